"""What the guest can pick: open dates, party sizes and free times, ready for templates.

Read-only helpers between the booking domain (UTC instants, schedules) and the
pages (wall-clock times in the restaurant's zone, grouped by service).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..booking import slots as slotlib
from ..booking.availability import bookable_times
from ..booking.slots import Schedule
from ..i18n import clock_time, day_month, day_numeric, day_short, language, month_year
from ..models import Restaurant


@dataclass(frozen=True)
class DateChoice:
    value: str  # ISO date
    label: str
    month: str


@dataclass(frozen=True)
class TimeChoice:
    value: str  # "19:30", or "02:30+01:00" when that wall time happens twice
    label: str
    starts_at: dt.datetime


@dataclass(frozen=True)
class ServiceTimes:
    service: str
    times: list[TimeChoice]


def local_today(schedule: Schedule, now: dt.datetime) -> dt.date:
    return now.astimezone(schedule.zone).date()


def date_choices(schedule: Schedule, now: dt.datetime) -> list[DateChoice]:
    """Every date the restaurant has a service on, from today to the booking horizon."""
    today = local_today(schedule, now)
    days = slotlib.open_days(schedule, today, schedule.horizon_days + 1)
    code = language()  # once: up to two years of days
    return [DateChoice(day.isoformat(), _day_label(day, today, code), month_year(day, code))
            for day in days]


def months(choices: list[DateChoice]) -> list[tuple[str, list[DateChoice]]]:
    return [(month, list(items)) for month, items in groupby(choices, key=lambda c: c.month)]


def _day_label(day: dt.date, today: dt.date, code: str) -> str:
    label = day_short(day, code)
    if day == today:
        return _("Today, %(day)s", day=label)
    if day == today + dt.timedelta(days=1):
        return _("Tomorrow, %(day)s", day=label)
    return label


def party_choices(schedule: Schedule) -> list[int]:
    return list(range(1, schedule.max_online_party + 1))


def time_choice(starts_at: dt.datetime, schedule: Schedule) -> TimeChoice:
    local = starts_at.astimezone(schedule.zone)
    value = slotlib.wall_time_text(starts_at, schedule.zone)
    if slotlib.is_repeated_wall_time(local):
        offset = value[5:]
        return TimeChoice(value, f"{clock_time(local)} ({local.tzname()}, UTC{offset})",
                          starts_at)
    return TimeChoice(value, clock_time(local), starts_at)


def day_problem(schedule: Schedule, day: dt.date, now: dt.datetime) -> str | None:
    """Why a guest cannot book on ``day`` at all, or None."""
    today = local_today(schedule, now)
    if day < today:
        return _("That date has passed. Please pick another date.")
    last_day = today + dt.timedelta(days=schedule.horizon_days)
    if day > last_day:
        return _("Bookings open %(num)d days ahead; the last date you can book now is %(day)s.",
                 num=schedule.horizon_days, day=day_numeric(last_day))
    if not slotlib.services_on(schedule, day):
        rule = slotlib.special_day_for(schedule, day)
        if rule and rule.reason:
            return _("We are closed on %(day)s (%(reason)s). Please pick another date.",
                     day=day_month(day), reason=rule.reason)
        return _("We are closed on %(day)s. Please pick another date.", day=day_month(day))
    return None


def free_times(session: Session, restaurant: Restaurant, schedule: Schedule, day: dt.date,
               party_size: int, now: dt.datetime, ignore: int | None = None,
               holder: str = "") -> list[ServiceTimes]:
    """Bookable times for a guest, grouped by service; ``ignore`` is the guest's own
    reservation when they are moving it (its table counts as free); ``holder``: the
    guest's holder hash (booking/holds.py), so their own hold does not hide their time."""
    # The guest rules live in bookable_times (the largest online party, lead time and
    # horizon, and the pace: this page used to offer a time whose pace was full).
    bookable = bookable_times(session, restaurant, day, party_size, now, online=True,
                              schedule=schedule, ignore=ignore, holder=holder)
    groups = slotlib.group_by_service(b.slot for b in bookable)
    return [ServiceTimes(name or _("Times"), [time_choice(s.starts_at, schedule) for s in slots_])
            for name, slots_ in groups]


def resolve_start(schedule: Schedule, day: dt.date, wall: dt.time, party_size: int,
                  offset: dt.timedelta | None) -> dt.datetime:
    """The instant a guest picked: ``wall`` on service date ``day``; ``offset`` (from
    "02:30+01:00") chooses between the two occurrences of a repeated wall time."""
    if offset is not None:
        start = slotlib.start_at_offset(schedule, day, wall, party_size, offset)
        if start is not None:
            return start
    return slotlib.resolve_local_start(schedule, day, wall, party_size)
