"""The owner's reservation use cases, one function each, shared by the dashboard
(``webapp/owner/reservations.py``) and the API (``webapp/api/owner_views.py``).

The callers hand over values their forms have already checked (shape, ranges); the
rules and the locked write are the booking service's. What lives here is what both
doors must do the same way:

* **the service date**: an owner's "date" is the date of the service a stay belongs
  to (00:30 in Monday's late service is Monday), on input (:func:`start_instant`),
  on output (:func:`service_date`) and in the filters of :func:`search`;
* **telling the guest**: every booking, move, change or cancellation of a guest with
  an e-mail address queues the matching e-mail in its own transaction, unless the
  owner unticked ``notify_guest`` for that action;
* **the refusals**: a :class:`~webapp.booking.errors.BookingError` with one message,
  whichever door asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import joinedload

from ...models import Reservation, ReservationEvent, Restaurant
from .. import service
from .. import slots as slotlib
from ..errors import BookingError, ReservationNotFound
from ..service import GuestDetails
from ..setup import restaurant_setup
from ..slots import Schedule
from ..tokens import phone_digits
from .context import AnySession, WriteContext, real_session

# --------------------------------------------------------------------------- the service date


class InvalidTime(BookingError):
    code = "invalid_time"
    http_status = 422

    def __init__(self, message: str = "That UTC offset does not occur at this time on this "
                                      "date.") -> None:
        super().__init__(message, field="time")


def schedule_of(session: AnySession, restaurant: Restaurant) -> Schedule:
    return restaurant_setup(real_session(session), restaurant).schedule


def start_instant(schedule: Schedule, day: dt.date, wall: dt.time, party_size: int,
                  offset: dt.timedelta | None = None) -> dt.datetime:
    """The instant meant by ``wall`` on the service date ``day``. ``offset`` (the API's
    "02:30+01:00") picks one of the two occurrences of a wall time the night the clocks
    go back; without it the first is meant."""
    wall = wall.replace(second=0, microsecond=0)
    if offset is None:
        return slotlib.resolve_local_start(schedule, day, wall, party_size)
    instant = slotlib.start_at_offset(schedule, day, wall, party_size, offset)
    if instant is None:
        raise InvalidTime()
    return instant


def service_date(schedule: Schedule, reservation: Reservation) -> dt.date:
    """The date of the service the reservation belongs to (what every "date" means)."""
    return slotlib.service_date_of(schedule, reservation.starts_at)


def wall_time(schedule: Schedule, reservation: Reservation) -> str:
    """HH:MM, with the UTC offset when that wall time happens twice: sent back with
    :func:`service_date`, it means this very start."""
    return slotlib.wall_time_text(reservation.starts_at, schedule.zone)


# --------------------------------------------------------------------------- writes


# The name a walk-in gets when the host gives none.
WALK_IN_NAME = "Walk-in"


@dataclass(frozen=True)
class NewBooking:
    """A phone booking (``day`` and ``time`` on the service date) or a walk-in (now)."""

    source: str  # "phone" or "walk_in"
    party_size: int
    guest: GuestDetails
    day: dt.date | None = None
    time: dt.time | None = None
    utc_offset: dt.timedelta | None = None
    table_id: int | None = None
    duration_minutes: int | None = None
    notify_guest: bool = True


@dataclass(frozen=True)
class Booked:
    reservation: Reservation
    # The guest's private manage token in clear text, exactly once: now.
    manage_token: str
    table_name: str
    emails: list[int]


def book(session: AnySession, restaurant: Restaurant, context: WriteContext,
         booking: NewBooking) -> Booked:
    walk_in = booking.source == "walk_in"
    now = context.now or service.utcnow()
    schedule = None
    guest = booking.guest
    if walk_in:
        starts_at = now.replace(second=0, microsecond=0)
        if not (guest.name or "").strip():  # a host seats first and asks later, if at all
            guest = replace(guest, name=WALK_IN_NAME)
    else:
        if booking.day is None or booking.time is None:
            raise InvalidTime("Give the date and the time.")
        schedule = schedule_of(session, restaurant)
        starts_at = start_instant(schedule, booking.day, booking.time, booking.party_size,
                                  booking.utc_offset)
    write = context.start(notify=booking.notify_guest, any_table=booking.table_id is None)
    result = service.book(
        real_session(session), restaurant, starts_at=starts_at,
        party_size=booking.party_size, guest=guest, table_id=booking.table_id,
        source=booking.source, status="seated" if walk_in else "booked",
        duration_minutes=booking.duration_minutes,
        actor=context.actor, now=now, policy=context.policy, after_write=write.after_write,
        schedule=schedule)
    emails = write.committed()
    return Booked(result.reservation, write.manage_token or result.manage_token,
                  result.table_name, emails)


@dataclass(frozen=True)
class Written:
    reservation: Reservation
    emails: list[int]


def edit(session: AnySession, restaurant: Restaurant, context: WriteContext, reservation_id: int,
         *, party_size: int, guest: GuestDetails, expected_version: int | None,
         notify_guest: bool = True) -> Written:
    """Guest details and party size (a larger party may need another table)."""
    write = context.start(notify=notify_guest)
    changed = service.change(
        real_session(session), restaurant, reservation_id, party_size=party_size,
        guest=guest, expected_version=expected_version, actor=context.actor, now=context.now,
        policy=context.policy, after_write=write.after_write)
    return Written(changed, write.committed())


@dataclass(frozen=True)
class Move:
    """Where to: the service date and wall time, the table, party size, length of stay."""

    day: dt.date
    time: dt.time
    table_id: int | None
    party_size: int
    utc_offset: dt.timedelta | None = None
    duration_minutes: int | None = None


def move(session: AnySession, restaurant: Restaurant, context: WriteContext, reservation_id: int,
         to: Move, *, expected_version: int | None, notify_guest: bool = True) -> Written:
    """Owners may move off the slot grid and outside the hours; the table must be free.
    A length of stay equal to the present one keeps the stay's length (not a change)."""
    current = _get(session, restaurant, reservation_id)
    schedule = schedule_of(session, restaurant)
    starts_at = start_instant(schedule, to.day, to.time, to.party_size, to.utc_offset)
    length = int((current.ends_at - current.starts_at).total_seconds() // 60)
    duration = to.duration_minutes if to.duration_minutes not in (None, length) else None
    write = context.start(notify=notify_guest, any_table=to.table_id is None)
    moved = service.change(
        real_session(session), restaurant, reservation_id, starts_at=starts_at,
        table_id=to.table_id, party_size=to.party_size, duration_minutes=duration,
        expected_version=expected_version, actor=context.actor, now=context.now,
        policy=context.policy, after_write=write.after_write)
    return Written(moved, write.committed())


def set_status(session: AnySession, restaurant: Restaurant, context: WriteContext,
               reservation_id: int, status: str, *, expected_version: int | None,
               notify_guest: bool = True) -> Written:
    """Seat, complete, no-show or cancel (only a cancellation e-mails the guest)."""
    write = context.start(notify=notify_guest)
    changed = service.set_status(
        real_session(session), restaurant, reservation_id, status,
        expected_version=expected_version, actor=context.actor, now=context.now,
        policy=context.policy, after_write=write.after_write)
    return Written(changed, write.committed())


def cancel(session: AnySession, restaurant: Restaurant, context: WriteContext,
           reservation_id: int, *, expected_version: int | None = None,
           notify_guest: bool = True) -> Written:
    return set_status(session, restaurant, context, reservation_id, "cancelled",
                      expected_version=expected_version, notify_guest=notify_guest)


# --------------------------------------------------------------------------- reads


def _get(session: AnySession, restaurant: Restaurant, reservation_id: int) -> Reservation:
    row = session.get(Reservation, reservation_id)
    if row is None or row.restaurant_id != restaurant.id:
        raise ReservationNotFound()
    return row


def history(session: AnySession, restaurant: Restaurant,
            reservation_id: int) -> list[ReservationEvent]:
    """Who changed the reservation, when and what, oldest first."""
    _get(session, restaurant, reservation_id)
    return list(session.scalars(
        select(ReservationEvent).where(ReservationEvent.reservation_id == reservation_id)
        .order_by(ReservationEvent.at, ReservationEvent.id)))


@dataclass(frozen=True)
class Filters:
    """Service dates ``first``..``last`` (either may be open), a status, a guest."""

    first: dt.date | None = None
    last: dt.date | None = None
    status: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class Found:
    rows: list[Reservation]
    truncated: bool
    schedule: Schedule

    def service_date(self, reservation: Reservation) -> dt.date:
        return service_date(self.schedule, reservation)


def _escaped_like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _guest_matches(q: str, country: str = "") -> ColumnElement[bool]:
    """Name or e-mail containing ``q`` (LIKE wildcards taken literally), or a phone whose
    digits contain its digits ("30 1234" finds "+49 30 1234567")."""
    like = _escaped_like(q.lower())
    conditions = [func.lower(Reservation.guest_name).like(like, escape="\\"),
                  Reservation.guest_email.like(like, escape="\\")]
    try:  # a whole number as the guest typed it ("0171 5555555") finds its E.164 form
        digits = service.normalise_phone(q, country).lstrip("+")
    except BookingError:
        digits = phone_digits(q).lstrip("+")
    if len(digits) >= 3:
        conditions.append(Reservation.guest_phone.like(f"%{digits}%"))
    return or_(*conditions)


def _query(schedule: Schedule, restaurant: Restaurant,
           filters: Filters) -> Select[tuple[Reservation]]:
    query = select(Reservation).where(Reservation.restaurant_id == restaurant.id)
    zone = schedule.zone
    # A stay's service date is its local date or the day before (a service running
    # past midnight), so the instants [first 00:00, last + 2 days 00:00) hold every
    # candidate; the exact service date is then checked row by row.
    if filters.first:
        query = query.where(Reservation.starts_at >= slotlib.to_utc(filters.first, dt.time(0),
                                                                    zone))
    if filters.last:
        query = query.where(Reservation.starts_at < slotlib.to_utc(
            filters.last + dt.timedelta(days=2), dt.time(0), zone))
    if filters.status:
        query = query.where(Reservation.status == filters.status)
    if filters.q:
        query = query.where(_guest_matches(filters.q, restaurant.country))
    return query.options(joinedload(Reservation.table)).order_by(Reservation.starts_at,
                                                                 Reservation.id)


def _on_dates(rows: Iterator[Reservation], schedule: Schedule,
              filters: Filters) -> Iterator[Reservation]:
    for row in rows:
        day = service_date(schedule, row)
        if (filters.first is None or day >= filters.first) and \
                (filters.last is None or day <= filters.last):
            yield row


def search(session: AnySession, restaurant: Restaurant, filters: Filters,
           limit: int | None = None) -> Found:
    """The reservations matching the filters, earliest first; at most ``limit`` rows
    (``truncated`` says whether more matched)."""
    schedule = schedule_of(session, restaurant)
    query = _query(schedule, restaurant, filters)
    if limit is not None and filters.first is None and filters.last is None:
        query = query.limit(limit + 1)  # no row-by-row date check: the database can cut
    rows: list[Reservation] = []
    for row in _on_dates(iter(session.scalars(query)), schedule, filters):
        rows.append(row)
        if limit is not None and len(rows) > limit:
            break
    truncated = limit is not None and len(rows) > limit
    return Found(rows[:limit] if limit is not None else rows, truncated, schedule)
