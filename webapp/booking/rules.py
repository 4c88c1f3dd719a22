"""The booking rules: pure decisions, no database.

Which stay a booking holds (:func:`plan_stay`: the slot grid, lead time, horizon and
party limit for guests; a service's hours for phone bookings), which stay a change
moves to (:func:`plan_change`), which tables to try and in which order
(:func:`candidates`), who may change what (:func:`check_guest_may_change`,
:data:`TRANSITIONS`). The write (``service.py``) applies them and then lets the locked
re-check decide whether the table is really free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import MAX_STAY_MINUTES, Reservation
from . import slots as slotlib
from .availability import AnyTable, best_fit_order
from .errors import (
    CancelCutoffPassed,
    InvalidDuration,
    InvalidTransition,
    NoSuitableTable,
    NotChangeable,
    NotOnServiceDay,
    NotReinstatable,
    OutsideOpeningHours,
    PartyTooLarge,
    StaleReservation,
    StayPastClosing,
    TableNotFound,
    TooFarAhead,
    TooLate,
)
from .setup import CombinationInfo
from .slots import Schedule, Slot
from .tokens import normalise_email, normalise_phone

# The most tables one party may be seated at (a combination, or the owner's own choice).
MAX_JOINED_TABLES = 3

# Sources whose bookings follow the guest rules (slot grid, lead time, horizon, party limit).
ONLINE_SOURCES = frozenset({"online", "api"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "booked": frozenset({"seated", "no_show", "cancelled"}),
    "seated": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "no_show": frozenset(),
}
MAX_PARTY = 500
# Taking back a no-show or a cancellation: the stay becomes active again, so unlike the
# moves above it is a placing write (locks, re-check), done by ``service.reinstate``.
REINSTATEMENTS: dict[str, frozenset[str]] = {
    "no_show": frozenset({"booked", "seated"}),
    "cancelled": frozenset({"booked", "seated"}),
}
# Status moves (and the no-show's reversal) that belong to the booking's service day.
DAY_BOUND = frozenset({"seated", "completed", "no_show"})


@dataclass(frozen=True)
class GuestDetails:
    name: str
    email: str = ""
    phone: str = ""
    notes: str = ""

    def normalised(self, country: str = "") -> GuestDetails:
        """One spelling per guest; the phone in E.164, read in ``country`` (the
        restaurant's). Raises ``InvalidPhone`` for a number that cannot be valid."""
        return GuestDetails(self.name.strip(), normalise_email(self.email),
                            normalise_phone(self.phone, country), self.notes.strip())

    def identities(self) -> list[str]:
        """What tells this guest apart (for the guest lock): "email:..." and/or "phone:..."."""
        identities = []
        if self.email:
            identities.append(f"email:{self.email}")
        if self.phone:
            identities.append(f"phone:{self.phone}")
        return identities


def _online_slot(schedule: Schedule, starts_at: dt.datetime, party_size: int,
                 now: dt.datetime) -> Slot:
    if party_size > schedule.max_online_party:
        raise PartyTooLarge(f"Parties of more than {schedule.max_online_party} cannot book "
                            "online; please call the restaurant.")
    if starts_at <= now:  # before the slot search, which cannot step back from year 1
        raise TooLate("That time has already passed.")
    slot = slotlib.find_slot(schedule, starts_at, party_size)
    if slot is None:
        raise OutsideOpeningHours()
    earliest, last_day = slotlib.online_window(schedule, now)
    if slot.starts_at <= now:
        raise TooLate("That time has already passed.")
    if slot.starts_at < earliest:
        raise TooLate(f"Online bookings close {schedule.lead_time_minutes} minutes before the "
                      "start; please call the restaurant.")
    if slot.service_date is not None and slot.service_date > last_day:
        raise TooFarAhead(f"Bookings open {schedule.horizon_days} days ahead.")
    return slot


def plan_stay(schedule: Schedule, starts_at: dt.datetime, party_size: int, *, online: bool,
              within_hours: bool, now: dt.datetime,
              duration_minutes: int | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The stay [start, end) a booking will hold, after the rules that apply to it:
    guests get the slot grid, lead time, horizon and party limit; owners' phone
    bookings must fall inside a service; walk-ins and moves are the owner's call."""
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if not 1 <= party_size <= MAX_PARTY:
        raise NoSuitableTable(f"A party must be between 1 and {MAX_PARTY} people.")
    if online:
        slot = _online_slot(schedule, starts_at, party_size, now)
        return slot.starts_at, slot.ends_at
    minutes = duration_minutes or slotlib.turn_minutes(schedule, party_size)
    if within_hours:
        # A stay the owner shortened may start later; a longer one keeps the turn time's
        # last seating (the owner's call what happens after closing).
        turn = slotlib.turn_minutes(schedule, party_size)
        stay = min(minutes, turn) if minutes >= 5 else turn
        if not slotlib.within_service(schedule, starts_at, party_size, stay):
            raise _outside_service(schedule, starts_at, party_size, stay)
    if not 5 <= minutes <= MAX_STAY_MINUTES:
        raise InvalidDuration()
    return starts_at, starts_at + dt.timedelta(minutes=minutes)


def closing_after(schedule: Schedule, starts_at: dt.datetime, party_size: int,
                  stay_minutes: int) -> dt.datetime | None:
    """The closing instant when ``starts_at`` lies inside a service (without a last
    seating of its own) and only the stay's end passes its closing, else None: the one
    refusal of a phone booking an owner may override (keep it, or end it at closing)."""
    tz = schedule.zone
    local_day = starts_at.astimezone(tz).date()
    for day in (local_day, local_day - dt.timedelta(days=1)):
        for service in slotlib.services_on(schedule, day):
            opens, closes = slotlib.service_window(day, service, tz)
            if (service.last_seating is None and opens <= starts_at < closes
                    and starts_at + dt.timedelta(minutes=stay_minutes) > closes):
                return closes
    return None


def _outside_service(schedule: Schedule, starts_at: dt.datetime, party_size: int,
                     stay: int) -> OutsideOpeningHours:
    message = slotlib.why_outside_service(schedule, starts_at, party_size, stay)
    closes = closing_after(schedule, starts_at, party_size, stay)
    if closes is None:
        return OutsideOpeningHours(message)
    minutes = int((closes - starts_at).total_seconds() // 60)
    return StayPastClosing(message, closes_at=closes, minutes_to_closing=minutes)


@dataclass(frozen=True)
class ChangePlan:
    starts_at: dt.datetime
    ends_at: dt.datetime
    party_size: int
    moves: bool  # the stay (time, length or party) changes


def plan_change(schedule: Schedule, reservation: Reservation, starts_at: dt.datetime | None,
                party_size: int | None, duration_minutes: int | None, online: bool,
                now: dt.datetime) -> ChangePlan:
    """The new stay. Guests move on the slot grid with their party's turn time; owners
    keep the stay's length unless they give a duration or change the party size (which
    recomputes the turn time)."""
    new_party = party_size if party_size is not None else reservation.party_size
    new_start = starts_at if starts_at is not None else reservation.starts_at
    moves = (new_start != reservation.starts_at or new_party != reservation.party_size
             or duration_minutes is not None)
    if not moves:
        return ChangePlan(reservation.starts_at, reservation.ends_at, new_party, False)
    if not online and duration_minutes is None and new_party == reservation.party_size:
        length = reservation.ends_at - reservation.starts_at
        duration_minutes = max(1, int(length.total_seconds() // 60))
    new_start, new_end = plan_stay(schedule, new_start, new_party, online=online,
                                   within_hours=False, now=now,
                                   duration_minutes=duration_minutes)
    return ChangePlan(new_start, new_end, new_party, True)


@dataclass(frozen=True)
class Placement:
    """Where a party sits: one table, or tables joined for it. The first table holds the
    reservation row, each further one a part row (``Reservation.part_of``)."""

    table_ids: tuple[int, ...]
    name: str  # the table's name, or "Napoli + Milano"


def _single(table: AnyTable) -> Placement:
    return Placement((table.id,), table.name)


def candidates(tables: Sequence[AnyTable], party_size: int, table_id: int | None = None,
               prefer: Sequence[int] | None = None, *,
               combinations: Sequence[CombinationInfo] = (),
               table_ids: Sequence[int] | None = None) -> list[Placement]:
    """Where to try the party, in order: the table (``table_id``) or set of tables
    (``table_ids``, joined for it) asked for; else every table that takes the party, best
    fit first, then every combination that does, best fit first (a moved guest's own
    table or tables, ``prefer``, first when they still take the party).

    An owner may join any set of tables: a combination the restaurant defined takes its
    own party range, another set as many as its tables' largest parties added up."""
    if table_ids is not None and len(set(table_ids)) > 1:
        return [_joined(tables, party_size, table_ids, combinations)]
    if table_ids:
        table_id = table_ids[0]
    if table_id is not None:
        table = next((t for t in tables if t.id == table_id), None)
        if table is None:
            raise TableNotFound()
        if not table.fits(party_size):
            raise NoSuitableTable(f"Table {table.name} takes parties of {table.min_party} to "
                                  f"{table.largest_party}.")
        return [_single(table)]
    names = {t.id: t.name for t in tables}
    ordered = [_single(t) for t in best_fit_order(tables, party_size)] + [
        Placement(c.table_ids, c.name) for c in best_fit_order(combinations, party_size)
        if all(tid in names for tid in c.table_ids)]
    if not ordered:
        raise NoSuitableTable(f"No table takes a party of {party_size}.")
    if prefer:  # keep a guest on their table(s) when they still take the party
        kept = tuple(prefer)
        ordered.sort(key=lambda p: p.table_ids != kept)
    return ordered


def _joined(tables: Sequence[AnyTable], party_size: int, table_ids: Sequence[int],
            combinations: Sequence[CombinationInfo]) -> Placement:
    """The owner's own set of tables, in the restaurant's table order."""
    by_id = {t.id: t for t in tables}
    if any(tid not in by_id for tid in table_ids):
        raise TableNotFound()
    if len(set(table_ids)) > MAX_JOINED_TABLES:
        raise NoSuitableTable(f"At most {MAX_JOINED_TABLES} tables can be joined for one party.")
    order = {t.id: index for index, t in enumerate(tables)}
    ids = tuple(sorted(set(table_ids), key=order.__getitem__))
    name = " + ".join(by_id[tid].name for tid in ids)
    defined = next((c for c in combinations if set(c.table_ids) == set(ids)), None)
    if defined is not None:
        if not defined.fits(party_size):
            raise NoSuitableTable(f"{defined.name} takes parties of {defined.min_party} to "
                                  f"{defined.max_party}.")
        return Placement(defined.table_ids, defined.name)
    largest = sum(by_id[tid].largest_party for tid in ids)
    if party_size > largest:
        raise NoSuitableTable(f"{name} together take parties of up to {largest}.")
    return Placement(ids, name)


def check_version(reservation: Reservation, expected_version: int | None) -> None:
    if expected_version is not None and reservation.version != expected_version:
        raise StaleReservation()


def cutoff_passed(reservation: Reservation, now: dt.datetime, cutoff_hours: int) -> bool:
    """Is it too close to the start for the guest to change or cancel online? With a
    cut-off of 0 this is never so before the start (the start itself is checked apart)."""
    return cutoff_hours > 0 and now >= reservation.starts_at - dt.timedelta(hours=cutoff_hours)


def check_guest_may_change(reservation: Reservation, now: dt.datetime, what: str, *,
                           cutoff_hours: int = 0, phone: str = "") -> None:
    """Guests may change or cancel only a booked reservation that has not started, and
    only until the restaurant's cut-off (``cutoff_hours`` before the start; ``phone``:
    the number the refusal gives to call instead). Owners never come here."""
    if reservation.status != "booked":
        raise NotChangeable(f"This booking is {reservation.status.replace('_', ' ')} and can no "
                            f"longer be {what}.")
    if reservation.starts_at <= now:
        raise NotChangeable(f"This booking has already started and can no longer be {what}.")
    if cutoff_passed(reservation, now, cutoff_hours):
        raise CancelCutoffPassed(cutoff_hours, phone)


def check_owner_may_change(reservation: Reservation) -> None:
    if not reservation.active:
        raise NotChangeable(f"A {reservation.status.replace('_', ' ')} reservation "
                            "cannot be changed.")


def check_status_move(reservation: Reservation, new_status: str, *, online: bool,
                      now: dt.datetime, cutoff_hours: int = 0, phone: str = "") -> None:
    """booked -> seated -> completed, booked -> no_show, booked/seated -> cancelled; a
    guest (``online``) may only cancel a booked reservation that has not started, until
    the cut-off (:func:`check_guest_may_change`)."""
    if online:
        if new_status != "cancelled":
            raise NotChangeable("Guests can cancel a booking, nothing else.")
        check_guest_may_change(reservation, now, "cancelled", cutoff_hours=cutoff_hours,
                               phone=phone)
    if new_status not in TRANSITIONS.get(reservation.status, ()):
        raise InvalidTransition(reservation.status, new_status)


def day_words(day: dt.date) -> str:
    """ "Friday 4 December": how a host says a service date."""
    return f"{day:%A} {day.day} {day:%B}"


STATUS_VERBS = {"seated": "seated", "completed": "completed", "no_show": "marked as no-show",
                "booked": "booked again"}
# The question an owner is asked off the day: "... Seat it anyway?"
STATUS_ASKS = {"seated": "Seat it", "completed": "Complete it", "no_show": "Mark it as no-show",
               "booked": "Take the no-show back"}


def check_service_day(new_status: str, booking_day: dt.date, current_days: frozenset[dt.date],
                      *, allow: bool, may_override: bool) -> str | None:
    """Seat, complete and no-show (and a no-show's reversal) only on the booking's service
    day (``current_days``: the service date now, and today's date). Off the day an owner
    (``may_override``) who says so (``allow``) goes ahead: the text to record in the
    history is returned; None when no override was needed."""
    if booking_day in current_days:
        return None
    verb = STATUS_VERBS.get(new_status, new_status)
    today = min(current_days, key=lambda d: abs((d - booking_day).days))
    if not (allow and may_override):
        if may_override:
            message = (f"This booking is for {day_words(booking_day)}. "
                       f"{STATUS_ASKS.get(new_status, verb)} anyway?")
        else:
            message = (f"This booking is for {day_words(booking_day)}; it can be {verb} on "
                       "that day (an owner may override).")
        raise NotOnServiceDay(message, may_override=may_override)
    return f"{verb[0].upper()}{verb[1:]} on {day_words(today)}; the booking is for " \
           f"{day_words(booking_day)}."


def check_reinstatable(reservation: Reservation, new_status: str, now: dt.datetime) -> None:
    """A no-show or cancellation may be taken back (to booked or seated) while its stay
    has not ended; the table must still be free (the locked write re-checks that)."""
    if new_status not in REINSTATEMENTS.get(reservation.status, ()):
        raise InvalidTransition(reservation.status, new_status)
    if reservation.ends_at <= now:
        raise NotReinstatable(f"This booking's time is over; it stays "
                              f"{reservation.status.replace('_', ' ')}.")
