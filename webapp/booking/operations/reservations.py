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
  whichever door asked (a table taken names the booking in the way: "Napoli is taken
  19:00–21:00 by Rossi");
* **the owner's overrides**, each explicit and recorded in the booking's history: a
  phone booking's stay past closing, the same phone or e-mail on two overlapping
  bookings, a booking over the service's pace (``allow_over_pace``), a status change
  off the booking's service day (owners, not staff);
* **the service day**: seat, complete and no-show belong to the booking's day; a
  no-show or a cancellation can be taken back (the latter only while its table is free).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from ... import clock
from ...models import (
    ACTIVE_STATUSES,
    BOOKING_ID,
    IS_BOOKING,
    DiningTable,
    Hold,
    Reservation,
    ReservationEvent,
    Restaurant,
    overlapping_stays,
    owned_by,
)
from .. import rules, service
from .. import slots as slotlib
from ..errors import BookingError, PaceExceeded, ReservationNotFound, SlotTaken, TableNotFound
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
    # The owner's explicit choices after a refusal (see module docstring).
    allow_past_closing: bool = False
    shorten_to_closing: bool = False
    allow_same_guest: bool = False
    # The guest's language (the API's ``language``); None: the restaurant's default
    # language, else English (booking/languages.py).
    language: str | None = None
    allow_over_pace: bool = False
    # Tables joined for the party (2-3), or a combination the restaurant defined (its
    # id): either instead of ``table_id``.
    table_ids: tuple[int, ...] | None = None
    combination_id: int | None = None
    # The stored hash of a hold this booking converts (a waitlist offer's, booked by the
    # owner: operations/waitlist.py); its holder's holds block nothing.
    hold_hash: str | None = None


def tables_asked(session: AnySession, restaurant: Restaurant, table_id: int | None,
                 table_ids: tuple[int, ...] | None,
                 combination_id: int | None) -> tuple[int, ...] | None:
    """The tables the owner named: tables to join, else a defined combination's, else
    the one table; None: the best free fit (or, for a move, its own tables)."""
    if table_ids:
        return tuple(table_ids)
    if combination_id is not None:
        found = next((c for c in restaurant_setup(real_session(session), restaurant).combinations
                      if c.id == combination_id), None)
        if found is None:
            raise TableNotFound("No such table combination at this restaurant (or one of "
                                "its tables is inactive).")
        return found.table_ids
    return (table_id,) if table_id is not None else None


# What the history says about each override.
SAME_GUEST_TEXT = "Booked anyway: the same phone or e-mail has an overlapping booking."
# Followed by what was exceeded ("19:30–19:45 already has 18 of its 20 covers.").
OVER_PACE_TEXT = "Booked over the pace"


def _same_guest(allow: bool, over_pace: bool = False) -> dict[str, str]:
    """The overrides the owner asked for (each recorded only when really needed)."""
    return ({"same_guest": SAME_GUEST_TEXT} if allow else {}) | (
        {"pace": OVER_PACE_TEXT} if over_pace else {})


def _hhmm(instant: dt.datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%H:%M")


def _name_the_blocker(session: AnySession, error: SlotTaken,
                      table_ids: tuple[int, ...] | int | None,
                      starts_at: dt.datetime, ends_at: dt.datetime, zone: ZoneInfo,
                      ignore: int | None = None) -> SlotTaken:
    """An owner who asked for one table (or tables to join) hears which booking holds it:
    "Napoli is taken 19:00–21:00 by Rossi." (a read after the refused write rolled back;
    of joined tables, the first one taken)."""
    if isinstance(table_ids, int):
        table_ids = (table_ids,)
    if not table_ids or isinstance(error, PaceExceeded):  # the pace names its own
        return error
    for table_id in table_ids:
        query = (select(Reservation.starts_at, Reservation.ends_at, Reservation.guest_name)
                 .where(Reservation.table_id == table_id,
                        Reservation.status.in_(ACTIVE_STATUSES),
                        overlapping_stays(starts_at, ends_at))
                 .order_by(Reservation.starts_at).limit(1))
        if ignore is not None:
            query = query.where(BOOKING_ID.is_distinct_from(ignore))
        blocker = session.execute(query).first()
        if blocker is not None:
            break
    table = session.get(DiningTable, table_id)
    if table is None:
        return error
    if blocker is not None:
        error.message = (f"{table.name} is taken {_hhmm(blocker.starts_at, zone)}–"
                         f"{_hhmm(blocker.ends_at, zone)} by {blocker.guest_name}.")
    else:
        # No booking in the way: a guest booking online holds the table (or the waitlist's
        # offer does) for a few minutes. Say so, and until when, rather than "just taken".
        held = _held_until(session, table_ids, starts_at, ends_at)
        if held is None:
            return error
        table = session.get(DiningTable, held[0]) or table
        error.message = (f"{table.name} is held for a guest who is booking online, until "
                         f"{_hhmm(held[1], zone)}.")
    error.args = (error.message,)
    return error


def _held_until(session: AnySession, table_ids: tuple[int, ...], starts_at: dt.datetime,
                ends_at: dt.datetime) -> tuple[int, dt.datetime] | None:
    """The first of ``table_ids`` a live hold overlaps, and when that hold expires."""
    row = session.execute(
        select(Hold.table_id, Hold.expires_at)
        .where(Hold.table_id.in_(table_ids), Hold.expires_at > clock.now(),
               Hold.starts_at < ends_at, Hold.ends_at > starts_at)
        .order_by(Hold.expires_at).limit(1)).first()
    return None if row is None else (row.table_id, row.expires_at)


def _past_closing(schedule: Schedule, booking: NewBooking, starts_at: dt.datetime
                  ) -> tuple[int | None, dict[str, str]]:
    """The owner's answer to a stay past closing: the length to book and the override
    to record. Only when the start is inside a service and just the end passes closing
    (anything else stays refused by the rules)."""
    duration = booking.duration_minutes
    if booking.source != "phone" or not (booking.allow_past_closing
                                         or booking.shorten_to_closing):
        return duration, {}
    turn = slotlib.turn_minutes(schedule, booking.party_size)
    minutes = duration or turn
    closes = rules.closing_after(schedule, starts_at, booking.party_size,
                                 min(minutes, turn) if minutes >= 5 else turn)
    if closes is None:
        return duration, {}
    if booking.shorten_to_closing:
        return int((closes - starts_at).total_seconds() // 60), {}
    ends = starts_at + dt.timedelta(minutes=minutes)
    return duration, {"past_closing": f"Kept past closing: the stay ends "
                                      f"{_hhmm(ends, schedule.zone)}, closing is "
                                      f"{_hhmm(closes, schedule.zone)}."}


@dataclass(frozen=True)
class Booked:
    reservation: Reservation
    # The guest's private manage token in clear text, exactly once: now.
    manage_token: str
    table_name: str
    emails: list[int]


def book(session: AnySession, restaurant: Restaurant, context: WriteContext,
         booking: NewBooking, *, also: service.AfterWrite | None = None) -> Booked:
    """``also``: one more write inside the booking's transaction, run first (the waitlist
    marks its entry booked; a refusal there rolls the booking back)."""
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
    duration, overrides = booking.duration_minutes, _same_guest(booking.allow_same_guest,
                                                                booking.allow_over_pace)
    if schedule is not None:
        duration, past_closing = _past_closing(schedule, booking, starts_at)
        overrides.update(past_closing)
    asked = tables_asked(session, restaurant, booking.table_id, booking.table_ids,
                         booking.combination_id)
    write = context.start(notify=booking.notify_guest, any_table=asked is None)
    after_write: service.AfterWrite = write.after_write
    if also is not None:
        extra = also

        def after_write(session: Session, reservation: Reservation, action: str, *,
                        manage_token: str | None = None) -> None:
            extra(session, reservation, action, manage_token=manage_token)
            write.after_write(session, reservation, action, manage_token=manage_token)
    try:
        result = service.book(
            real_session(session), restaurant, starts_at=starts_at,
            party_size=booking.party_size, guest=guest,
            table_id=asked[0] if asked and len(asked) == 1 else None,
            table_ids=asked if asked and len(asked) > 1 else None,
            source=booking.source, status="seated" if walk_in else "booked",
            duration_minutes=duration,
            actor=context.actor, now=now, policy=context.policy, after_write=after_write,
            schedule=schedule, overrides=overrides, language=booking.language,
            hold_hash=booking.hold_hash)
    except SlotTaken as error:
        schedule = schedule or schedule_of(session, restaurant)
        length = duration or slotlib.turn_minutes(schedule, booking.party_size)
        _name_the_blocker(session, error, asked, starts_at,
                          starts_at + dt.timedelta(minutes=length), schedule.zone)
        raise
    emails = write.committed()
    return Booked(result.reservation, write.manage_token or result.manage_token,
                  result.table_name, emails)


@dataclass(frozen=True)
class Written:
    reservation: Reservation
    emails: list[int]


def edit(session: AnySession, restaurant: Restaurant, context: WriteContext, reservation_id: int,
         *, party_size: int, guest: GuestDetails, expected_version: int | None,
         notify_guest: bool = True, allow_same_guest: bool = False,
         allow_over_pace: bool = False) -> Written:
    """Guest details and party size (a larger party may need another table)."""
    write = context.start(notify=notify_guest)
    changed = service.change(
        real_session(session), restaurant, reservation_id, party_size=party_size,
        guest=guest, expected_version=expected_version, actor=context.actor, now=context.now,
        policy=context.policy, after_write=write.after_write,
        overrides=_same_guest(allow_same_guest, allow_over_pace))
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
    # Tables joined for the party, or a defined combination: instead of ``table_id``.
    table_ids: tuple[int, ...] | None = None
    combination_id: int | None = None


def move(session: AnySession, restaurant: Restaurant, context: WriteContext, reservation_id: int,
         to: Move, *, expected_version: int | None, notify_guest: bool = True,
         allow_same_guest: bool = False, allow_over_pace: bool = False) -> Written:
    """Owners may move off the slot grid and outside the hours; the table must be free.
    A length of stay equal to the present one keeps the stay's length (not a change)."""
    current = _get(session, restaurant, reservation_id)
    schedule = schedule_of(session, restaurant)
    starts_at = start_instant(schedule, to.day, to.time, to.party_size, to.utc_offset)
    length = int((current.ends_at - current.starts_at).total_seconds() // 60)
    duration = to.duration_minutes if to.duration_minutes not in (None, length) else None
    asked = tables_asked(session, restaurant, to.table_id, to.table_ids, to.combination_id)
    write = context.start(notify=notify_guest, any_table=asked is None)
    try:
        moved = service.change(
            real_session(session), restaurant, reservation_id, starts_at=starts_at,
            table_id=asked[0] if asked and len(asked) == 1 else None,
            table_ids=asked if asked and len(asked) > 1 else None,
            party_size=to.party_size, duration_minutes=duration,
            expected_version=expected_version, actor=context.actor, now=context.now,
            policy=context.policy, after_write=write.after_write,
            overrides=_same_guest(allow_same_guest, allow_over_pace))
    except SlotTaken as error:
        minutes = duration or (length if to.party_size == current.party_size
                               else slotlib.turn_minutes(schedule, to.party_size))
        _name_the_blocker(session, error, asked, starts_at,
                          starts_at + dt.timedelta(minutes=minutes), schedule.zone,
                          ignore=reservation_id)
        raise
    return Written(moved, write.committed())


def current_days(schedule: Schedule, now: dt.datetime) -> frozenset[dt.date]:
    """The service date now (a late service past midnight is still its evening's) and
    the local date: the days on which a booking may be seated, completed or no-showed."""
    return frozenset({slotlib.service_date_of(schedule, now),
                      now.astimezone(schedule.zone).date()})


def set_status(session: AnySession, restaurant: Restaurant, context: WriteContext,
               reservation_id: int, status: str, *, expected_version: int | None,
               notify_guest: bool = True, allow_off_day: bool = False,
               may_override: bool = True, allow_same_guest: bool = False,
               allow_over_pace: bool = False) -> Written:
    """Seat, complete, no-show or cancel (only a cancellation e-mails the guest), or take
    a no-show or cancellation back (``booked``/``seated``: :func:`service.reinstate`, a
    locked write that needs the table still free; the guest whose cancellation is taken
    back is e-mailed the booking again).

    Seat, complete, no-show and the no-show's reversal only on the booking's service
    day; off it :class:`~webapp.booking.errors.NotOnServiceDay`, unless ``allow_off_day``
    from a caller who ``may_override`` (an owner, not staff): then the history records it."""
    now = context.now or service.utcnow()
    schedule = schedule_of(session, restaurant)
    days = current_days(schedule, now)

    def on_the_day(reservation: Reservation) -> dict[str, str] | None:
        if status not in rules.DAY_BOUND and reservation.status != "no_show":
            return None
        text = rules.check_service_day(status, service_date(schedule, reservation), days,
                                       allow=allow_off_day, may_override=may_override)
        return {"off_day": text} if text else None

    current = _get(session, restaurant, reservation_id)
    if status in rules.REINSTATEMENTS.get(current.status, ()):
        was_cancelled = current.status == "cancelled"
        starts_at, ends_at, table_id = current.starts_at, current.ends_at, current.table_id
        write = context.start(notify=notify_guest and was_cancelled, any_table=False)
        try:
            changed = service.reinstate(
                real_session(session), restaurant, reservation_id, status,
                expected_version=expected_version, actor=context.actor, now=now,
                policy=context.policy, after_write=write.after_write, check=on_the_day,
                overrides=_same_guest(allow_same_guest, allow_over_pace))
        except SlotTaken as error:
            _name_the_blocker(session, error, table_id, starts_at, ends_at, schedule.zone,
                              ignore=reservation_id)
            raise
        return Written(changed, write.committed())
    write = context.start(notify=notify_guest)
    changed = service.set_status(
        real_session(session), restaurant, reservation_id, status,
        expected_version=expected_version, actor=context.actor, now=now,
        policy=context.policy, after_write=write.after_write, check=on_the_day)
    return Written(changed, write.committed())


def cancel(session: AnySession, restaurant: Restaurant, context: WriteContext,
           reservation_id: int, *, expected_version: int | None = None,
           notify_guest: bool = True) -> Written:
    return set_status(session, restaurant, context, reservation_id, "cancelled",
                      expected_version=expected_version, notify_guest=notify_guest)


# --------------------------------------------------------------------------- reads


def _get(session: AnySession, restaurant: Restaurant, reservation_id: int) -> Reservation:
    row: Reservation | None = owned_by(session, Reservation, reservation_id, restaurant.id)
    if row is None:
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
    query = select(Reservation).where(Reservation.restaurant_id == restaurant.id, IS_BOOKING)
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
