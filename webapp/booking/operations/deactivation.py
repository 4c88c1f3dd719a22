"""Taking a table out of service, and what happens to its bookings not yet over.

The owner chooses (:data:`CHOICES`): **refuse** while the table holds any (the API's
default), **move** them to other free tables, or **cancel** them. No choice may leave
an active booking on an inactive table, also while guests and staff keep booking:

1. One transaction locks the table's row ``FOR UPDATE``, reads its bookings not yet
   over, and (unless refusing over them) marks the table inactive. Every write that
   puts a stay on a table reads that table's row under ``FOR KEY SHARE`` after its
   INSERT/UPDATE (``context.refuse_inactive_table``), which this lock excludes: a
   booking that got there first has committed before the read below and is in the
   list; one that comes later sees the table inactive and is refused (or, when the
   service picked the table, goes to its next candidate).
2. Each listed booking is moved or cancelled through the booking service, in its own
   locked transaction, e-mailing the guest unless the owner opted out.
3. One more transaction under the same row lock: if a booking is still on the table
   (no other table was free for it), the table is made bookable again and the answer
   names the booking; otherwise it stays inactive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...database import BEGIN_IMMEDIATE
from ...models import (
    ACTIVE_STATUSES,
    BOOKING_ID,
    DiningTable,
    Reservation,
    Restaurant,
    overlapping_stays,
)
from .. import locks, service
from ..availability import best_fit_order
from ..errors import BookingError, LockTimeout, SlotTaken
from ..setup import restaurant_setup
from .context import AnySession, TableInactive, WriteContext, real_session

CHOICES = ("refuse", "move", "cancel")


class NoSuchTable(BookingError):
    code = "not_found"
    http_status = 404

    def __init__(self) -> None:
        super().__init__("This restaurant has no such table.")


class TableInUse(BookingError):
    code = "table_in_use"
    http_status = 409

    def __init__(self, name: str, reservation_ids: list[int]) -> None:
        super().__init__(f"Table {name} still has {len(reservation_ids)} upcoming "
                         "reservation(s); move or cancel them first.")
        self.reservation_ids = reservation_ids


@dataclass
class Deactivation:
    table: DiningTable
    choice: str
    moved: list[tuple[Reservation, str]] = field(default_factory=list)  # (booking, new table)
    cancelled: list[Reservation] = field(default_factory=list)
    # Bookings still on the table (nothing free to move them to), with the reason: the
    # table then stays bookable.
    kept: list[tuple[Reservation, str]] = field(default_factory=list)
    emails: list[int] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return not self.table.active


@contextmanager
def _locked_table(session: Session, restaurant: Restaurant, table_id: int,
                  context: WriteContext) -> Iterator[DiningTable]:
    """A write transaction holding the table's row lock; commits, or rolls back."""
    session = real_session(session)
    if session.in_transaction():
        session.rollback()  # start fresh: nothing of the caller's is pending here
    try:
        session.connection(execution_options={BEGIN_IMMEDIATE: True})
        locks.set_lock_timeout(session, context.policy.lock_timeout_ms)
        table = session.scalars(
            select(DiningTable)
            .where(DiningTable.id == table_id, DiningTable.restaurant_id == restaurant.id)
            .with_for_update()
            .execution_options(populate_existing=True)).first()
        if table is None:
            raise NoSuchTable()
        yield table
        session.commit()
    except sa_exc.DBAPIError as error:
        session.rollback()
        if getattr(error.orig, "sqlstate", None) in ("55P03", "40P01") \
                or "database is locked" in str(error.orig):
            raise LockTimeout() from error
        raise
    except BaseException:
        session.rollback()
        raise


def bookings_not_over(session: AnySession, table_id: int,
                      now: dt.datetime | None = None) -> list[Reservation]:
    """What a deactivation must decide about: the table's active reservations not yet
    over, in time order (a joined booking that holds the table through a part: the
    booking). None: there is nothing to choose, the table just goes ("refuse" does it)."""
    return _bookings_on(real_session(session), table_id, now)


def _bookings_on(session: Session, table_id: int,
                 now: dt.datetime | None) -> list[Reservation]:
    now = now or service.utcnow()
    on_table = (select(BOOKING_ID)
                .where(Reservation.table_id == table_id, Reservation.status.in_(ACTIVE_STATUSES),
                       overlapping_stays(now)))
    return list(session.scalars(
        select(Reservation)
        .where(Reservation.id.in_(on_table))
        .order_by(Reservation.starts_at, Reservation.id)
        .execution_options(populate_existing=True)))


def deactivate_table(session: AnySession, restaurant: Restaurant, context: WriteContext,
                     table_id: int, *, choice: str = "refuse",
                     notify_guest: bool = True) -> Deactivation:
    """Stop offering a table; ``choice`` says what happens to its bookings not yet over
    (see the module docstring). Raises :class:`TableInUse` for "refuse" over bookings."""
    if choice not in CHOICES:
        raise ValueError(f"unknown choice {choice!r}")
    session = real_session(session)
    with _locked_table(session, restaurant, table_id, context) as table:
        bookings = _bookings_on(session, table_id, context.now)
        if bookings and choice == "refuse":
            raise TableInUse(table.name, [r.id for r in bookings])
        table.active = False
    result = Deactivation(table, choice)
    pending = [(r.id, r.party_size) for r in bookings]
    for reservation_id, party_size in pending:
        if choice == "move":
            _move_off(session, restaurant, context, table_id, reservation_id, party_size,
                      notify_guest, result)
        else:
            _cancel(session, restaurant, context, reservation_id, notify_guest, result)
    if pending:
        with _locked_table(session, restaurant, table_id, context) as table:
            left = _bookings_on(session, table_id, context.now)
            if left:
                table.active = True  # never an active booking on an inactive table
                reasons = dict((r.id, why) for r, why in result.kept)
                result.kept = [(r, reasons.get(r.id, "booked meanwhile")) for r in left]
            result.table = table
    return result


def _move_off(session: Session, restaurant: Restaurant, context: WriteContext, table_id: int,
              reservation_id: int, party_size: int, notify_guest: bool,
              result: Deactivation) -> None:
    """The best free fit among the other active tables, each tried in the service's own
    locked write (which re-checks it)."""
    candidates = best_fit_order(restaurant_setup(session, restaurant).tables, party_size)
    reason = "no other table is free"
    for candidate in candidates:
        if candidate.id == table_id:
            continue
        write = context.start(notify=notify_guest, any_table=False)
        try:
            moved = service.change(session, restaurant, reservation_id, table_id=candidate.id,
                                   actor=context.actor, now=context.now,
                                   policy=context.policy, after_write=write.after_write)
        except (SlotTaken, TableInactive):
            continue  # taken meanwhile: the next one
        except BookingError as error:
            if error.http_status == 422:
                continue  # does not take the party
            reason = error.message  # changed or ended meanwhile: leave it to the owner
            break
        result.emails += write.committed()
        result.moved.append((moved, candidate.name))
        return
    row = session.get(Reservation, reservation_id)
    if row is not None:
        result.kept.append((row, reason))


def _cancel(session: Session, restaurant: Restaurant, context: WriteContext,
            reservation_id: int, notify_guest: bool, result: Deactivation) -> None:
    write = context.start(notify=notify_guest)
    try:
        cancelled = service.cancel(session, restaurant, reservation_id, actor=context.actor,
                                   now=context.now, policy=context.policy,
                                   after_write=write.after_write)
    except BookingError as error:
        row = session.get(Reservation, reservation_id)
        if row is not None and row.active:
            result.kept.append((row, error.message))
        return
    result.emails += write.committed()
    result.cancelled.append(cancelled)
