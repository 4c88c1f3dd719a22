"""A new restaurant's set-up guide: the use cases its steps need beyond the set-up
operations (``setup.py``), which they reuse.

* the quick tables form: "6 tables of 2, 4 of 4, 1 of 8" read into kinds, turned into
  named tables (T1…T11, after the names already taken) the owner may rename, then
  created in one transaction;
* opening-hour presets (lunch and dinner, dinner only) for chosen weekdays, with their
  times editable before they are stored, replacing those days' hours in one transaction;
* the guest page's preview (the next day with free times, for a party of two);
* finishing or putting off the guide (``restaurants.onboarded_at``).

Every function takes what the pages read and refuses bad input with
:class:`OnboardingRefused` (a SetupRefused: message + field), never a bare exception.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ... import clock
from ...models import DiningTable, OpeningHours, Restaurant
from .. import slots as slotlib
from ..availability import bookable_times, load_schedule
from ..slots import Slot
from .setup import (
    AnySession,
    RestaurantSettings,
    ServiceTimes,
    SetupRefused,
    TableDetails,
    WeeklyService,
    _setup_write,  # the one write transaction of the set-up (commit, or roll back)
    change_settings,
)

# The guide's steps, in order: (URL part, title).
STEPS: tuple[tuple[str, str], ...] = (
    ("restaurant", "Your restaurant"),
    ("tables", "Tables"),
    ("hours", "Opening hours"),
    ("rules", "Booking rules"),
    ("publish", "Preview and publish"),
)
STEP_NAMES = tuple(name for name, _ in STEPS)

MAX_KINDS = 20           # lines of the quick form
MAX_QUICK_TABLES = 200   # tables made at once
MAX_SEATS = 100          # as the table form's seats field
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class OnboardingRefused(SetupRefused):
    """Input the guide cannot use; ``field`` names the input to correct."""

    code = "onboarding_refused"


# --------------------------------------------------------------------------- quick tables


@dataclass(frozen=True)
class TableKind:
    """``count`` tables of ``seats`` seats, in ``area`` ("" for none)."""

    count: int
    seats: int
    area: str = ""


# "6 tables of 2", "4 of 4", "1 × 8", "2x6 seats", optionally "… in Terrace" / "… (Terrace)".
_KIND = re.compile(
    r"^(?P<count>\d+)\s*(?:tables?\s*)?(?:of|x|×|\*)\s*(?P<seats>\d+)\s*"
    r"(?:seats?|seaters?|people|persons?|guests?)?"
    r"\s*(?:(?:in|on|at)\s+(?P<area>[^()]+?)|\((?P<area2>[^()]+)\))?\s*$",
    re.IGNORECASE)


def _check_kind(count: int, seats: int, area: str, where: str, field: str) -> TableKind:
    if count < 1:
        raise OnboardingRefused(f"{where}: give at least one table.", field=field)
    if not 1 <= seats <= MAX_SEATS:
        raise OnboardingRefused(f"{where}: a table has 1 to {MAX_SEATS} seats.", field=field)
    if len(area) > 60:
        raise OnboardingRefused(f"{where}: an area name has at most 60 characters.",
                                field=field)
    return TableKind(count, seats, area)


def parse_kinds(text: str, field: str = "quick") -> list[TableKind]:
    """Kinds of tables from one line: "6 tables of 2, 4 of 4, 1 of 8" (commas, semicolons
    or line breaks between the kinds). Refuses what it cannot read, naming the part."""
    parts = [part.strip() for part in re.split(r"[,;\n]+", text) if part.strip()]
    kinds = []
    for part in parts:
        match = _KIND.match(part)
        if match is None:
            raise OnboardingRefused(
                f"“{part[:40]}” is not a kind of table: write it as “6 of 2” "
                "(six tables of two seats).", field=field)
        area = (match["area"] or match["area2"] or "").strip()
        kinds.append(_check_kind(int(match["count"]), int(match["seats"]), area,
                                 f"“{part[:40]}”", field))
    return _check_total(kinds, field)


def kinds_from_rows(rows: Sequence[tuple[str, str, str]]) -> list[TableKind]:
    """Kinds from the form's rows of (count, seats, area) text; empty rows are skipped.
    A refusal names the row (field ``rows-<i>``)."""
    kinds = []
    for index, (count_text, seats_text, area_text) in enumerate(rows):
        count_text, seats_text, area = count_text.strip(), seats_text.strip(), area_text.strip()
        if not count_text and not seats_text:
            if area:
                raise OnboardingRefused(f"Row {index + 1}: give the number of tables and "
                                        "their seats.", field=f"rows-{index}")
            continue
        where, field = f"Row {index + 1}", f"rows-{index}"
        if not count_text.isdigit():
            raise OnboardingRefused(f"{where}: give the number of tables as a whole number.",
                                    field=field)
        if not seats_text.isdigit():
            raise OnboardingRefused(f"{where}: give the seats per table as a whole number.",
                                    field=field)
        kinds.append(_check_kind(int(count_text), int(seats_text), area, where, field))
    return _check_total(kinds, "rows")


def _check_total(kinds: list[TableKind], field: str) -> list[TableKind]:
    if len(kinds) > MAX_KINDS:
        raise OnboardingRefused(f"At most {MAX_KINDS} kinds of table at once.", field=field)
    if sum(kind.count for kind in kinds) > MAX_QUICK_TABLES:
        raise OnboardingRefused(f"At most {MAX_QUICK_TABLES} tables at once; add more later "
                                "under Tables.", field=field)
    return kinds


def _number_of(name: str, prefix: str) -> int | None:
    rest = name[len(prefix):] if name.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def plan_tables(kinds: Iterable[TableKind], taken: Iterable[str] = (), prefix: str = "T",
                first_position: int = 0) -> list[TableDetails]:
    """Named tables for the kinds: T1, T2 … numbered on after the highest "T<n>" already
    taken, skipping any name in use; positions follow ``first_position``."""
    taken_names = set(taken)
    number = max((n for n in (_number_of(name, prefix) for name in taken_names) if n),
                 default=0)
    planned: list[TableDetails] = []
    for kind in kinds:
        for _ in range(kind.count):
            number += 1
            while f"{prefix}{number}" in taken_names:
                number += 1
            planned.append(TableDetails(name=f"{prefix}{number}", seats=kind.seats,
                                        area=kind.area,
                                        position=first_position + len(planned)))
    return planned


def table_names(session: AnySession, restaurant: Restaurant) -> list[str]:
    return list(session.scalars(select(DiningTable.name)
                                .where(DiningTable.restaurant_id == restaurant.id)))


def next_position(session: AnySession, restaurant: Restaurant) -> int:
    highest = session.scalar(select(func.max(DiningTable.position))
                             .where(DiningTable.restaurant_id == restaurant.id))
    return 0 if highest is None else highest + 1


def plan_for(session: AnySession, restaurant: Restaurant,
             kinds: Iterable[TableKind]) -> list[TableDetails]:
    """The tables the kinds would add to this restaurant (nothing is written)."""
    return plan_tables(kinds, table_names(session, restaurant),
                       first_position=next_position(session, restaurant))


def add_tables(session: AnySession, restaurant: Restaurant,
               tables: Sequence[TableDetails]) -> list[DiningTable]:
    """Create the (renamed) planned tables together, or none: a name that is empty, too
    long, given twice or already a table's is refused with field ``names-<i>``."""
    if not tables:
        raise OnboardingRefused("There are no tables to add.", field="names")
    taken = set(table_names(session, restaurant))
    seen: set[str] = set()
    for index, table in enumerate(tables):
        name, field = table.name.strip(), f"names-{index}"
        if not name:
            raise OnboardingRefused("Give the table a name.", field=field)
        if len(name) > 60:
            raise OnboardingRefused("A table name has at most 60 characters.", field=field)
        if name in taken:
            raise OnboardingRefused("Another table already has this name.", field=field)
        if name in seen:
            raise OnboardingRefused("Two of the new tables have this name.", field=field)
        if not 1 <= table.seats <= MAX_SEATS:
            raise OnboardingRefused(f"A table has 1 to {MAX_SEATS} seats.", field=field)
        seen.add(name)
    rows = [DiningTable(restaurant_id=restaurant.id, active=True, name=t.name.strip(),
                        seats=t.seats, min_party=1, max_party=None, area=t.area,
                        position=t.position) for t in tables]
    names = [row.name for row in rows]

    def clash() -> SetupRefused | None:
        # A concurrent writer took one of the names first: the unique constraint refused
        # the whole set; say so as the form's own check would.
        taken_now = session.scalar(select(DiningTable.name).where(
            DiningTable.restaurant_id == restaurant.id, DiningTable.name.in_(names)).limit(1))
        if taken_now is None:
            return None
        return OnboardingRefused("Another table already has this name.",
                                 field=f"names-{names.index(taken_now)}")

    with _setup_write(session, clash):
        session.add_all(rows)
    return rows


# --------------------------------------------------------------------------- opening hours


PRESETS: dict[str, tuple[str, tuple[ServiceTimes, ...]]] = {
    "lunch_dinner": ("Lunch and dinner", (
        ServiceTimes("Lunch", dt.time(12), dt.time(15)),
        ServiceTimes("Dinner", dt.time(18), dt.time(23)))),
    "dinner": ("Dinner only", (ServiceTimes("Dinner", dt.time(18), dt.time(23)),)),
}


def preset_services(preset: str) -> tuple[ServiceTimes, ...]:
    if preset not in PRESETS:
        raise OnboardingRefused("Choose lunch and dinner, or dinner only.", field="preset")
    return PRESETS[preset][1]


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def _span(service: ServiceTimes) -> tuple[int, int]:
    """The service as minutes after the day's midnight (past midnight: beyond 1440)."""
    opens, closes = _minutes(service.opens), _minutes(service.closes)
    return opens, closes if closes > opens else closes + 24 * 60


def weekly_services(weekdays: Iterable[int],
                    services: Sequence[ServiceTimes]) -> list[WeeklyService]:
    """The services on each chosen weekday (0 = Monday). Refuses no day, no service, a
    service that opens when it closes, and services of one day that overlap."""
    days = sorted(set(weekdays))
    if not days:
        raise OnboardingRefused("Choose at least one day.", field="weekdays")
    if any(not 0 <= day <= 6 for day in days):
        raise OnboardingRefused("Choose days from Monday to Sunday.", field="weekdays")
    if not services:
        raise OnboardingRefused("Give at least one service.", field="services")
    for index, service in enumerate(services):
        if service.opens == service.closes:
            raise OnboardingRefused(f"{service.name or 'The service'}: opening and closing "
                                    "times cannot be the same.", field=f"services-{index}")
    spans = sorted((*_span(service), index) for index, service in enumerate(services))
    for (_, end, before), (start, _, later) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise OnboardingRefused(
                f"{services[later].name or 'A service'} starts before "
                f"{services[before].name or 'the one before'} ends: the services of a day "
                "cannot overlap.", field=f"services-{later}")
    # Nor may the last service run past midnight into the next day's first one.
    if max(end for _, end, _ in spans) > 24 * 60 + spans[0][0]:
        raise OnboardingRefused("The last service runs past midnight into the next day's "
                                "first one.", field=f"services-{spans[-1][2]}")
    return [WeeklyService(day, service) for day in days for service in services]


def set_weekly_hours(session: AnySession, restaurant: Restaurant,
                     services: Sequence[WeeklyService]) -> list[OpeningHours]:
    """The services, replacing the hours already set on their weekdays (other days keep
    theirs); one transaction. Bookings already made stay as they are."""
    days = sorted({s.weekday for s in services})
    rows = [OpeningHours(restaurant_id=restaurant.id, weekday=s.weekday, name=s.times.name,
                         opens=s.times.opens, closes=s.times.closes,
                         last_seating=s.times.last_seating) for s in services]
    with _setup_write(session):
        session.execute(delete(OpeningHours).where(
            OpeningHours.restaurant_id == restaurant.id, OpeningHours.weekday.in_(days)))
        session.add_all(rows)
    session.expire(restaurant, ["opening_hours"])
    return rows


# --------------------------------------------------------------------------- settings


def settings_of(restaurant: Restaurant) -> RestaurantSettings:
    """The restaurant's current settings, for a step that changes only some of them."""
    names = [f.name for f in dataclasses.fields(RestaurantSettings)]
    values = {name: getattr(restaurant, name) for name in names}
    values["turn_times"] = dict(restaurant.turn_times or {})
    return RestaurantSettings(**values)


def change_some_settings(session: AnySession, restaurant: Restaurant,
                         **changes: Any) -> Restaurant:
    """change_settings with only ``changes`` new (the rest as stored)."""
    return change_settings(session, restaurant,
                           dataclasses.replace(settings_of(restaurant), **changes))


# --------------------------------------------------------------------------- the preview


@dataclass(frozen=True)
class GuestPreview:
    day: dt.date | None              # None: no open day with free times ahead
    party_size: int
    services: list[tuple[str, list[Slot]]]


def guest_preview(session: Session, restaurant: Restaurant, now: dt.datetime | None = None,
                  party_size: int = 2, look_ahead: int = 14) -> GuestPreview:
    """What a guest would be offered on the first of the next ``look_ahead`` days that has
    a free time for ``party_size`` (today included), as the booking page computes it."""
    now = now or clock.now()
    schedule = load_schedule(session, restaurant)
    today = now.astimezone(schedule.zone).date()
    days = slotlib.open_days(schedule, today, min(look_ahead, schedule.horizon_days + 1))
    for day in days:
        times = bookable_times(session, restaurant, day, party_size, now, online=True,
                               schedule=schedule)
        if times:
            return GuestPreview(day, party_size,
                                slotlib.group_by_service(t.slot for t in times))
    return GuestPreview(None, party_size, [])


# --------------------------------------------------------------------------- the guide itself


def finish_onboarding(session: AnySession, restaurant: Restaurant) -> Restaurant:
    """The guide is done or put off: the dashboard stops opening it after login (it stays
    reachable from the dashboard and the settings)."""
    if restaurant.onboarded_at is None:
        with _setup_write(session):
            restaurant.onboarded_at = clock.now()
    return restaurant
