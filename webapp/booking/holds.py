"""Holds: the table a guest picked a time for, kept for them for a few minutes
(``restaurants.hold_minutes``, default 7) while they type their details.

A hold is written like a booking (``service``'s candidate loop: the same placements,
single tables then combinations best fit; the (table, bucket) keys of every table of
the placement sorted together with the pace keys; the re-check of reservations and of
the other live holds under them; the pace re-counted), as one row per held table
sharing a random token, which the guest (their browser session) or the API caller keeps
and the booking names (``service.book(hold=...)``). Others no longer see the table as
free: availability, the busy read and every re-check treat a live hold like a stay.

Expiry is by time alone: every check ignores a hold whose ``expires_at`` has passed, so
an abandoned hold frees its table with no job running. A new hold deletes, under the
lock, the expired holds of its tables and the holder's earlier holds (one hold per
holder at a time), so the backstop can be strict: no two hold rows of one table overlap
(``holds_no_overlap``: an exclusion constraint on PostgreSQL, triggers on SQLite).

Holds do not count towards the pace (covers are counted when booked); a time whose pace
is full is not held, and the booking re-counts the pace under its keys as always.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from .. import clock
from ..models import Hold, Restaurant
from . import pacing, service
from .errors import BookingError, PaceExceeded, SlotTaken
from .rules import candidates, plan_stay
from .service import HoldsSeen
from .setup import restaurant_setup
from .tokens import hash_token, new_manage_token
from .transaction import DEFAULT_POLICY, WritePolicy

_holds = Hold.__table__


class HoldsOff(BookingError):
    code = "holds_off"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("This restaurant does not hold tables; book straight away.")


@dataclass(frozen=True)
class PlacedHold:
    # The hold's token, in clear exactly once: now (only its hash is stored).
    token: str
    expires_at: dt.datetime
    starts_at: dt.datetime
    ends_at: dt.datetime
    party_size: int
    table_ids: tuple[int, ...]
    table_name: str


def holder_hash(identity: str) -> str:
    """The stored form of who holds (a guest's browser session id, an API caller)."""
    return hash_token(f"holder:{identity}")


def place(session: Session, restaurant: Restaurant, *, starts_at: dt.datetime,
          party_size: int, holder: str, now: dt.datetime | None = None,
          policy: WritePolicy = DEFAULT_POLICY, minutes: int | None = None) -> PlacedHold:
    """Hold the best free table (or combination) for ``party_size`` at ``starts_at`` for
    ``holder`` (``holder_hash``'s input), releasing the holder's earlier hold. The guest
    rules apply (slot grid, lead time, horizon, largest online party, the pace). Raises
    a BookingError: :class:`HoldsOff`, or what a booking would meet (SlotTaken with
    nearby free times, PaceExceeded, ...). ``minutes``: how long (a waitlist offer's
    own setting); None: the restaurant's ``hold_minutes``."""
    minutes = restaurant.hold_minutes if minutes is None else minutes
    if minutes <= 0:
        raise HoldsOff()
    now = now or clock.now()
    restaurant_id = restaurant.id
    setup = restaurant_setup(session, restaurant)
    schedule = setup.schedule
    starts_at, ends_at = plan_stay(schedule, starts_at, party_size, online=True,
                                   within_hours=False, now=now)
    placements = candidates(setup.tables, party_size, combinations=setup.combinations)
    owner = holder_hash(holder)
    seen = HoldsSeen(now, owner)
    expires_at = now + dt.timedelta(minutes=minutes)
    token, token_hash = new_manage_token()
    loop = service.CandidateLoop(session, policy, restaurant_id, seen)
    pace = pacing.check_for(restaurant_id, schedule, starts_at, party_size, may_override=False)

    def attempt() -> PlacedHold:
        chosen = loop.claim(placements, starts_at, ends_at, pace=pace)
        connection = session.connection()
        # Under the keys: the holder's earlier hold goes (one at a time), and so do the
        # expired holds of these tables, which block nobody but would trip the backstop.
        connection.execute(delete(_holds).where(
            _holds.c.restaurant_id == restaurant_id,
            or_(_holds.c.holder_hash == owner,
                (_holds.c.table_id.in_(chosen.table_ids)) & (_holds.c.expires_at <= now))))
        connection.execute(insert(_holds), [{
            "restaurant_id": restaurant_id, "table_id": table_id, "starts_at": starts_at,
            "ends_at": ends_at, "party_size": party_size, "expires_at": expires_at,
            "token_hash": token_hash, "holder_hash": owner, "created_at": now}
            for table_id in chosen.table_ids])
        return PlacedHold(token, expires_at, starts_at, ends_at, party_size,
                          chosen.table_ids, chosen.name)

    try:
        placed = loop.run(attempt)
    except PaceExceeded as error:
        raise service.attach_alternatives(error, session, restaurant, schedule, starts_at,
                                           ends_at, party_size, True, now) from None
    if placed is None:
        raise service.attach_alternatives(
            SlotTaken(by_constraint=loop.by_constraint), session, restaurant,
            schedule, starts_at, ends_at, party_size, True, now)
    return placed


def release(session: Session, restaurant: Restaurant, token: str) -> bool:
    """Let a hold go before it expires (the guest changed their mind); False when there
    was none. No lock needed: deleting a hold only frees tables."""
    if not token or len(token) > 200:
        return False
    result = session.execute(delete(_holds).where(
        _holds.c.token_hash == hash_token(token), _holds.c.restaurant_id == restaurant.id))
    session.commit()
    return bool(getattr(result, "rowcount", 0))


def live_hold(session: Session, restaurant: Restaurant, token: str,
              now: dt.datetime | None = None) -> dt.datetime | None:
    """When the hold with this token expires, if it is still live; else None."""
    if not token or len(token) > 200:
        return None
    now = now or clock.now()
    expires: dt.datetime | None = session.scalar(
        select(Hold.expires_at)
        .where(Hold.token_hash == hash_token(token), Hold.restaurant_id == restaurant.id,
               Hold.expires_at > now).limit(1))
    return expires


# Expired holds block nobody; the worker deletes them once they are this old, so the
# table does not grow with every abandoned pick (housekeeping, not correctness).
PURGE_AFTER = dt.timedelta(hours=1)


def purge_expired(session: Session, now: dt.datetime | None = None) -> int:
    """Delete the holds that expired more than PURGE_AFTER ago; how many went."""
    cutoff = (now or clock.now()) - PURGE_AFTER
    result = session.execute(delete(_holds).where(_holds.c.expires_at < cutoff))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
