"""The guest confirms they are coming (the reminder's "Confirm" link).

One conditional UPDATE: confirming twice, or from two tabs at once, sets ``confirmed_at``
once and writes one history row.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import CursorResult, insert, update

from ...models import Reservation, ReservationEvent
from ..errors import BookingError
from .context import AnySession, real_session


class NotConfirmable(BookingError):
    code = "not_confirmable"
    http_status = 409


def why_not_confirmable(reservation: Reservation, now: dt.datetime) -> str | None:
    if reservation.status == "cancelled":
        return "This booking is cancelled."
    if reservation.status != "booked" or reservation.starts_at <= now:
        return "This booking is in the past."
    return None


def confirm_attendance(session: AnySession, reservation: Reservation, now: dt.datetime,
                       actor: str = "guest") -> bool:
    """Mark ``reservation`` confirmed at ``now`` and commit; False when it already was.
    Raises :class:`NotConfirmable` for a cancelled or past booking."""
    session = real_session(session)
    reason = why_not_confirmable(reservation, now)
    if reason:
        raise NotConfirmable(reason)
    table = Reservation.__table__
    try:
        result = cast(CursorResult[tuple[()]], session.execute(
            update(table).where(table.c.id == reservation.id, table.c.confirmed_at.is_(None),
                                table.c.status == "booked")
            .values(confirmed_at=now, updated_at=table.c.updated_at)))
        done = result.rowcount
        if done:
            session.execute(insert(ReservationEvent.__table__).values(
                reservation_id=reservation.id, at=now, actor=actor, action="confirmed",
                changes={"confirmed_at": [None, now.isoformat()]}))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.expire(reservation)
    return bool(done)
