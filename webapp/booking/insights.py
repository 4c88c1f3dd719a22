"""The weeks at a glance: covers and bookings per service date, for the week view and the
insights page. Read-only.

Every figure is counted by **service date** (a 00:30 start in Monday's late service is
Monday's), which only the schedule can tell (``slots.service_date_of``), so SQL cannot
group by it. Each answer is therefore one narrow query — five columns of the
restaurant's reservations starting in the range, through the index on
(restaurant_id, starts_at) — aggregated here in Python: a fixed number of queries
(schedule, reservations) whatever the number of days or bookings.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import IS_BOOKING, SOURCES, Reservation, Restaurant
from . import slots as slotlib
from .availability import load_schedule
from .slots import Schedule, ServiceHours

# Parties that came or are expected: what "covers" counts (the day view's covers too).
COUNTED = ("booked", "seated", "completed")
OUTSIDE = "Outside services"  # a walk-in after closing still counts, under this name
UNNAMED = "Service"

MIN_WEEKS, MAX_WEEKS, DEFAULT_WEEKS = 4, 12, 4
DIRECTIONS = ("past", "next")

SOURCE_LABELS = {"online": "Online", "phone": "Phone", "walk_in": "Walk-in", "api": "API"}
# Lead time: how long before its start a booking was made (created_at → starts_at).
LEAD_BUCKETS: tuple[tuple[str, dt.timedelta | None], ...] = (
    ("Under 1 hour", dt.timedelta(hours=1)),
    ("1–24 hours", dt.timedelta(hours=24)),
    ("1–3 days", dt.timedelta(days=3)),
    ("3–7 days", dt.timedelta(days=7)),
    ("1–2 weeks", dt.timedelta(days=14)),
    ("2–4 weeks", dt.timedelta(days=28)),
    ("Over 4 weeks", None),
)
LARGEST_PARTY_BAR = 8  # parties of 9 or more share one bar, "9+"


class Row(NamedTuple):
    starts_at: dt.datetime
    party_size: int
    status: str
    source: str
    created_at: dt.datetime


class Dated(NamedTuple):
    """A reservation's row with its service date and the service it starts in."""

    row: Row
    day: dt.date
    service: str


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week ``day`` lies in."""
    return day - dt.timedelta(days=day.weekday())


def _name(service: ServiceHours) -> str:
    return service.name or UNNAMED


def _rows(session: Session, restaurant: Restaurant, schedule: Schedule, first: dt.date,
          last: dt.date) -> list[Dated]:
    """Reservations (any status) whose service date lies in [first, last], each with its
    service date and service. One query: a service date's starts lie on that local date
    or, past midnight, the next, so [first 00:00, last + 2 days 00:00) local holds them
    all; rows of the edge days that belong to a neighbouring date are dropped."""
    tz = schedule.zone
    lo = slotlib.to_utc(first, dt.time(0), tz)
    hi = slotlib.to_utc(last + dt.timedelta(days=2), dt.time(0), tz)
    raw = session.execute(
        select(Reservation.starts_at, Reservation.party_size, Reservation.status,
               Reservation.source, Reservation.created_at)
        .where(Reservation.restaurant_id == restaurant.id, IS_BOOKING,
               Reservation.starts_at >= lo, Reservation.starts_at < hi)).all()
    # Many bookings share a start time (19:00): place each start once.
    placed: dict[dt.datetime, tuple[dt.date, str]] = {}
    result = []
    for values in raw:
        starts_at = values[0]
        where = placed.get(starts_at)
        if where is None:
            where = placed[starts_at] = _place(schedule, starts_at)
        if first <= where[0] <= last:
            result.append(Dated(Row._make(values), where[0], where[1]))
    return result


def _place(schedule: Schedule, instant: dt.datetime) -> tuple[dt.date, str]:
    day = slotlib.service_date_of(schedule, instant)
    for service in slotlib.services_on(schedule, day):
        opens, closes = slotlib.service_window(day, service, schedule.zone)
        if opens <= instant < closes:
            return day, _name(service)
    return day, OUTSIDE


# --------------------------------------------------------------------------- the week


@dataclass(frozen=True)
class SlotCovers:
    starts_at: dt.datetime  # UTC
    covers: int


@dataclass(frozen=True)
class ServiceWeekday:
    """One service of one day: its covers, bookings and arrivals per grid slot."""

    name: str
    opens: str  # "18:00", "" for the outside-services line
    closes: str
    covers: int
    bookings: int
    slots: tuple[SlotCovers, ...]  # every grid step from opening to closing

    @property
    def busiest(self) -> SlotCovers | None:
        """The slot most guests arrive in (the earliest of equals); None when nobody does."""
        top = max(self.slots, key=lambda s: (s.covers, -s.starts_at.timestamp()), default=None)
        return top if top is not None and top.covers > 0 else None


@dataclass(frozen=True)
class WeekDay:
    day: dt.date
    services: tuple[ServiceWeekday, ...]
    closed: bool  # no services open on this date
    special: str | None  # the special day's reason ("" if it has none), None on a normal day
    cancelled: int
    no_shows: int

    @property
    def covers(self) -> int:
        return sum(s.covers for s in self.services)

    @property
    def bookings(self) -> int:
        return sum(s.bookings for s in self.services)


@dataclass(frozen=True)
class Week:
    monday: dt.date
    days: tuple[WeekDay, ...]

    @property
    def covers(self) -> int:
        return sum(d.covers for d in self.days)

    @property
    def bookings(self) -> int:
        return sum(d.bookings for d in self.days)


def week(session: Session, restaurant: Restaurant, day: dt.date,
         schedule: Schedule | None = None) -> Week:
    """The Monday-based week holding ``day``: per service date and service, the covers and
    bookings of parties that came or are expected, and guests arriving per grid slot."""
    schedule = schedule or load_schedule(session, restaurant)
    monday = week_start(day)
    dates = [monday + dt.timedelta(days=i) for i in range(7)]
    by_day: dict[dt.date, list[Dated]] = defaultdict(list)
    for dated in _rows(session, restaurant, schedule, dates[0], dates[-1]):
        by_day[dated.day].append(dated)
    return Week(monday, tuple(_week_day(schedule, d, by_day[d]) for d in dates))


def _week_day(schedule: Schedule, day: dt.date, rows: list[Dated]) -> WeekDay:
    tz = schedule.zone
    step = dt.timedelta(minutes=schedule.interval_minutes)
    counted = [d for d in rows if d.row.status in COUNTED]
    services = slotlib.services_on(schedule, day)
    assigned: set[int] = set()
    lines = []
    for service in services:
        opens, closes = slotlib.service_window(day, service, tz)
        mine = [d for d in counted if id(d) not in assigned and d.service == _name(service)
                and opens <= d.row.starts_at < closes]
        assigned.update(id(d) for d in mine)
        arrivals: Counter[int] = Counter()
        for d in mine:
            arrivals[(d.row.starts_at - opens) // step] += d.row.party_size
        steps = max(1, math.ceil((closes - opens) / step))
        lines.append(ServiceWeekday(
            _name(service), f"{service.opens:%H:%M}", f"{service.closes:%H:%M}",
            sum(d.row.party_size for d in mine), len(mine),
            tuple(SlotCovers(opens + i * step, arrivals[i]) for i in range(steps))))
    rest = [d.row for d in counted if id(d) not in assigned]
    if rest:  # a walk-in after closing, a booking made before the hours changed
        lines.append(ServiceWeekday(OUTSIDE, "", "", sum(r.party_size for r in rest),
                                    len(rest), ()))
    rule = slotlib.special_day_for(schedule, day)
    return WeekDay(day, tuple(lines), closed=not services,
                   special=None if rule is None else rule.reason,
                   cancelled=sum(1 for d in rows if d.row.status == "cancelled"),
                   no_shows=sum(1 for d in rows if d.row.status == "no_show"))


# --------------------------------------------------------------------------- insights


class PeriodError(ValueError):
    """The asked period is not one the insights page offers (the message says why)."""


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date  # included
    weeks: int
    direction: str

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def week_starts(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=7 * i) for i in range(self.weeks)]


def period(today: dt.date, weeks: str | int | None, direction: str | None) -> Period:
    """The last ``weeks`` weeks up to today, or the next ``weeks`` weeks from today (both
    include today), as 7-day blocks. Missing values take the defaults (4, past); anything
    else outside 4–12 weeks and past/next is refused with a message."""
    if weeks is None or weeks == "":
        count = DEFAULT_WEEKS
    else:
        text = str(weeks).strip()
        # ASCII digits only: int() would also read "٤" or "1_0".
        if not (text.isascii() and text.isdigit() and len(text) <= 3):
            raise PeriodError(f"Weeks must be a whole number from {MIN_WEEKS} to "
                              f"{MAX_WEEKS}.")
        count = int(text)
        if not MIN_WEEKS <= count <= MAX_WEEKS:
            raise PeriodError(f"Weeks must be from {MIN_WEEKS} to {MAX_WEEKS}.")
    way = direction or "past"
    if way not in DIRECTIONS:
        raise PeriodError("Direction must be past or next.")
    span = dt.timedelta(days=7 * count - 1)
    if way == "past":
        return Period(today - span, today, count, way)
    return Period(today, today + span, count, way)


@dataclass(frozen=True)
class WeekRates:
    first: dt.date  # the 7-day block's first day
    bookings: int
    cancelled: int
    no_shows: int

    @property
    def cancellation_rate(self) -> float:
        """Cancelled of all bookings."""
        return self.cancelled / self.bookings if self.bookings else 0.0

    @property
    def no_show_rate(self) -> float:
        """No-shows of the bookings that were not cancelled (the ones due to come)."""
        due = self.bookings - self.cancelled
        return self.no_shows / due if due else 0.0


@dataclass
class Insights:
    period: Period
    services: list[str]  # series of the covers chart, in order of opening
    covers: dict[dt.date, dict[str, int]]  # service date -> service -> covers
    sources: dict[str, int]  # every source, zero included, in SOURCES order
    rates: list[WeekRates]
    lead_times: dict[str, int]  # LEAD_BUCKETS labels in order
    party_sizes: dict[str, int]  # "1" … "8", "9+"
    bookings: int = 0
    closed_days: set[dt.date] = field(default_factory=set)

    @property
    def total_covers(self) -> int:
        return sum(sum(v.values()) for v in self.covers.values())


def lead_bucket(lead: dt.timedelta) -> str:
    for label, limit in LEAD_BUCKETS:
        if limit is None or lead < limit:
            return label
    raise AssertionError("the last bucket has no limit")


def party_bucket(size: int) -> str:
    return str(size) if size <= LARGEST_PARTY_BAR else f"{LARGEST_PARTY_BAR + 1}+"


def _service_order(schedule: Schedule, days: Iterable[dt.date], seen: set[str]) -> list[str]:
    opening: dict[str, dt.time] = {}
    for day in days:
        for service in slotlib.services_on(schedule, day):
            name = _name(service)
            if name not in opening or service.opens < opening[name]:
                opening[name] = service.opens
    names = sorted(opening, key=lambda n: (opening[n], n))
    extra = sorted(seen - set(names) - {OUTSIDE})
    return names + extra + ([OUTSIDE] if OUTSIDE in seen else [])


def insights(session: Session, restaurant: Restaurant, span: Period,
             schedule: Schedule | None = None) -> Insights:
    """Every chart of the insights page for one period (one reservations query).

    * covers: guests of parties that came or are expected (booked, seated, completed)
      per service date and service;
    * sources, lead times, party sizes: every booking made for a date in the period,
      whatever became of it (a cancellation was still a booking made);
    * rates per 7-day block: cancelled of all bookings, no-shows of those not cancelled.
    """
    schedule = schedule or load_schedule(session, restaurant)
    rows = _rows(session, restaurant, schedule, span.first, span.last)
    days = span.days
    covers: dict[dt.date, dict[str, int]] = {d: {} for d in days}
    seen: set[str] = set()
    for dated in rows:
        if dated.row.status in COUNTED:
            per = covers[dated.day]
            per[dated.service] = per.get(dated.service, 0) + dated.row.party_size
            seen.add(dated.service)
    services = _service_order(schedule, days, seen)
    for per in covers.values():
        for name in services:
            per.setdefault(name, 0)

    sources = {s: 0 for s in SOURCES}
    lead = {label: 0 for label, _ in LEAD_BUCKETS}
    parties = {party_bucket(n): 0 for n in range(1, LARGEST_PARTY_BAR + 2)}
    blocks = span.week_starts
    counts = {b: [0, 0, 0] for b in blocks}
    for dated in rows:
        row = dated.row
        sources[row.source] = sources.get(row.source, 0) + 1
        lead[lead_bucket(max(row.starts_at - row.created_at, dt.timedelta(0)))] += 1
        parties[party_bucket(row.party_size)] += 1
        block = counts[blocks[(dated.day - span.first).days // 7]]
        block[0] += 1
        block[1] += row.status == "cancelled"
        block[2] += row.status == "no_show"
    return Insights(
        span, services, covers, sources,
        [WeekRates(b, *counts[b]) for b in blocks], lead, parties, bookings=len(rows),
        closed_days={d for d in days if not slotlib.services_on(schedule, d)})
