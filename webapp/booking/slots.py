"""Opening hours + special days + interval + turn time -> bookable start times.

Pure functions over plain data (no database), so they can be tested with
Hypothesis over arbitrary schedules and time zones.

Time rules:
* Hours are wall-clock times in the restaurant's zone; a service whose closing
  time is at or before its opening time runs past midnight, and its slots
  belong to the day it opened (the date a guest picks).
* Slots are generated in absolute time, ``interval`` apart from the opening
  instant. So on a DST day a wall time that does not exist (02:30 when clocks
  jump from 02:00 to 03:00) is never offered, and a wall time that happens twice
  (01:30 when clocks fall back) is offered twice, once per real instant.
* A wall time that falls into a DST gap is read as the instant it would be had
  the clocks not jumped yet, i.e. shifted later by the gap (PEP 495, fold=0).
* A wall time that happens twice: an opening is its first occurrence, a closing
  or last seating its second, so a service covers every wall time between its
  opening and its closing (01:30 on a fall-back night is offered twice).
* Closures and special days replace the services that *open* on their dates; a
  service that opened the evening before still runs past midnight into them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

UTC = dt.UTC


@dataclass(frozen=True)
class ServiceHours:
    """One service (lunch, dinner...) as wall-clock times."""

    opens: dt.time
    closes: dt.time
    name: str = ""
    # Latest start; None means closing time minus the party's turn time.
    last_seating: dt.time | None = None
    # Pacing (booking/pacing.py): the most covers starting in one slot interval, and
    # in the whole service; None: no limit.
    pace_covers: int | None = None
    max_covers: int | None = None

    @property
    def paced(self) -> bool:
        return self.pace_covers is not None or self.max_covers is not None

    @property
    def crosses_midnight(self) -> bool:
        return self.closes <= self.opens


@dataclass(frozen=True)
class SpecialDayRule:
    """Dates [start, end] closed, or served by their own list of services."""

    start: dt.date
    end: dt.date
    closed: bool = True
    services: tuple[ServiceHours, ...] = ()
    reason: str = ""

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Schedule:
    """Everything slot generation needs to know about a restaurant."""

    timezone: str
    interval_minutes: int = 15
    default_turn_minutes: int = 120
    # {smallest party size: minutes}; the largest key <= party size applies.
    turn_times: Mapping[int, int] = field(default_factory=dict)
    weekly: Mapping[int, tuple[ServiceHours, ...]] = field(default_factory=dict)
    special_days: tuple[SpecialDayRule, ...] = ()
    lead_time_minutes: int = 0
    horizon_days: int = 365
    max_online_party: int = 99
    # candidate_slots' answers for this schedule, by (day, party size): every booking asks
    # for them two or three times, and a cached schedule (booking/setup.py) serves many
    # requests. Not part of the schedule's value.
    _slots_memo: dict[tuple[dt.date, int], tuple[Slot, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)


@dataclass(frozen=True, order=True)
class Slot:
    """A candidate stay: [starts_at, ends_at) in UTC, in a named service."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    service: str = field(default="", compare=False)
    service_date: dt.date | None = field(default=None, compare=False)

    def local_start(self, tz: ZoneInfo) -> dt.datetime:
        return self.starts_at.astimezone(tz)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def turn_minutes(schedule: Schedule, party_size: int) -> int:
    applicable = [size for size in schedule.turn_times if size <= party_size]
    if not applicable:
        return schedule.default_turn_minutes
    return schedule.turn_times[max(applicable)]


def special_day_for(schedule: Schedule, day: dt.date) -> SpecialDayRule | None:
    # Later rules win where ranges overlap (the owner added the more specific one last).
    for rule in reversed(schedule.special_days):
        if rule.covers(day):
            return rule
    return None


def services_on(schedule: Schedule, day: dt.date) -> tuple[ServiceHours, ...]:
    """The services that open on ``day``: a special day's, else the weekday's."""
    rule = special_day_for(schedule, day)
    if rule is not None:
        return () if rule.closed else rule.services
    return tuple(schedule.weekly.get(day.weekday(), ()))


def to_utc(day: dt.date, wall: dt.time, tz: ZoneInfo, fold: int = 0) -> dt.datetime:
    """A wall-clock time on a date in ``tz`` as a UTC instant (gap times shift later)."""
    return dt.datetime.combine(day, wall, tzinfo=tz).replace(fold=fold).astimezone(UTC)


def to_utc_last(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime:
    """Like :func:`to_utc`, but a wall time that happens twice is its second occurrence
    (for closing times and last seatings). Gap times still shift later."""
    return max(to_utc(day, wall, tz, 0), to_utc(day, wall, tz, 1))


def wall_time_exists(local: dt.datetime) -> bool:
    """False for wall times inside a DST gap (they do not round-trip through UTC)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def service_window(
    day: dt.date, service: ServiceHours, tz: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """[opening, closing) of a service that opens on ``day``, as UTC instants."""
    opens = to_utc(day, service.opens, tz)
    close_day = day + dt.timedelta(days=1) if service.crosses_midnight else day
    return opens, to_utc_last(close_day, service.closes, tz)


def last_seating(
    day: dt.date, service: ServiceHours, tz: ZoneInfo, turn: dt.timedelta
) -> dt.datetime:
    """The latest start: the service's own last seating (never after closing), else
    closing minus the turn time. May lie before the opening: then no slots."""
    _, closes = service_window(day, service, tz)
    if service.last_seating is None:
        return closes - turn
    # On a service past midnight, a last seating earlier than the opening is after midnight.
    after_midnight = service.crosses_midnight and service.last_seating < service.opens
    seat_day = day + dt.timedelta(days=1) if after_midnight else day
    return min(to_utc_last(seat_day, service.last_seating, tz), closes)


# Memoised answers kept per schedule; beyond this many the memo starts afresh.
_SLOTS_MEMO_SIZE = 512


def candidate_slots(schedule: Schedule, day: dt.date, party_size: int) -> list[Slot]:
    """Every start on ``day``'s services for this party, before any booking rules
    (lead time, horizon) or table availability, in time order, without duplicates."""
    memo = schedule._slots_memo
    found = memo.get((day, party_size))
    if found is None:
        if len(memo) >= _SLOTS_MEMO_SIZE:
            memo.clear()
        found = memo[(day, party_size)] = tuple(_candidate_slots(schedule, day, party_size))
    return list(found)


def _candidate_slots(schedule: Schedule, day: dt.date, party_size: int) -> list[Slot]:
    tz = schedule.zone
    turn = dt.timedelta(minutes=turn_minutes(schedule, party_size))
    step = dt.timedelta(minutes=schedule.interval_minutes)
    seen: dict[dt.datetime, Slot] = {}
    for service in services_on(schedule, day):
        start, _ = service_window(day, service, tz)
        latest = last_seating(day, service, tz, turn)
        while start <= latest:
            seen.setdefault(start, Slot(start, start + turn, service.name, day))
            start += step
    return sorted(seen.values())


def grid_slots(schedule: Schedule, day: dt.date) -> list[Slot]:
    """The owner's grid columns for a service date: every ``interval`` from each
    service's opening up to its closing (not just its last seating), each one
    interval long, in time order, without duplicates."""
    tz = schedule.zone
    step = dt.timedelta(minutes=schedule.interval_minutes)
    seen: dict[dt.datetime, Slot] = {}
    for service in services_on(schedule, day):
        start, closes = service_window(day, service, tz)
        while start < closes:
            seen.setdefault(start, Slot(start, start + step, service.name, day))
            start += step
    return sorted(seen.values())


def online_window(schedule: Schedule, now: dt.datetime) -> tuple[dt.datetime, dt.date]:
    """Earliest bookable instant and the last bookable service date for online guests."""
    earliest = now + dt.timedelta(minutes=schedule.lead_time_minutes)
    today = now.astimezone(schedule.zone).date()
    return earliest, today + dt.timedelta(days=schedule.horizon_days)


def online_slots(
    schedule: Schedule, day: dt.date, party_size: int, now: dt.datetime
) -> list[Slot]:
    """Candidate slots a guest may book online now: lead time and horizon applied."""
    earliest, last_day = online_window(schedule, now)
    if day > last_day:
        return []
    return [slot for slot in candidate_slots(schedule, day, party_size)
            if slot.starts_at >= earliest and slot.starts_at > now]


def _service_days(schedule: Schedule, instant: dt.datetime) -> tuple[dt.date, dt.date]:
    # A start belongs to its local date's services or, past midnight, the day before's.
    local_day = instant.astimezone(schedule.zone).date()
    return local_day, local_day - dt.timedelta(days=1)


def find_slot(schedule: Schedule, starts_at: dt.datetime, party_size: int) -> Slot | None:
    """The candidate slot starting at ``starts_at`` (on that local day's services, or the
    previous day's when a service runs past midnight), or None."""
    for day in _service_days(schedule, starts_at):
        for slot in candidate_slots(schedule, day, party_size):
            if slot.starts_at == starts_at:
                return slot
    return None


def service_date_of(schedule: Schedule, instant: dt.datetime) -> dt.date:
    """The service date ``instant`` belongs to: the day whose service (opening to
    closing, both included) contains it, its local date first; else its local date."""
    tz = schedule.zone
    for day in _service_days(schedule, instant):
        for service in services_on(schedule, day):
            opens, closes = service_window(day, service, tz)
            if opens <= instant <= closes:
                return day
    return instant.astimezone(tz).date()


def within_service(schedule: Schedule, starts_at: dt.datetime, party_size: int,
                   stay_minutes: int | None = None) -> bool:
    """True when ``starts_at`` lies between a service's opening and its last seating,
    on or off the slot grid (owners may book a phone guest at 19:10). The last seating
    is reckoned with the party's turn time, or ``stay_minutes`` when that is given."""
    tz = schedule.zone
    turn = dt.timedelta(minutes=stay_minutes or turn_minutes(schedule, party_size))
    for day in _service_days(schedule, starts_at):
        for service in services_on(schedule, day):
            opens, _ = service_window(day, service, tz)
            if opens <= starts_at <= last_seating(day, service, tz, turn):
                return True
    return False


def why_outside_service(schedule: Schedule, starts_at: dt.datetime, party_size: int,
                        stay_minutes: int | None = None) -> str:
    """What to tell the owner when ``within_service`` said no (the refusal only, never
    the hot path): a start inside opening hours whose stay would end after closing,
    or after the service's own last seating, says so and gives the latest start."""
    tz = schedule.zone
    minutes = stay_minutes or turn_minutes(schedule, party_size)
    turn = dt.timedelta(minutes=minutes)

    def hhmm(instant: dt.datetime) -> str:
        return instant.astimezone(tz).strftime("%H:%M")

    for day in _service_days(schedule, starts_at):
        for service in services_on(schedule, day):
            opens, closes = service_window(day, service, tz)
            if not opens <= starts_at < closes:
                continue
            latest = last_seating(day, service, tz, turn)
            name = service.name or "the service"
            if latest < opens:
                return (f"A {minutes}-minute stay does not fit in {name} "
                        f"({hhmm(opens)}–{hhmm(closes)}); shorten the stay.")
            if starts_at + turn > closes:
                return (f"A {minutes}-minute stay from {hhmm(starts_at)} would end after "
                        f"closing at {hhmm(closes)}; latest start {hhmm(latest)}, or shorten "
                        "the stay.")
            return (f"The last seating for {name} is {hhmm(latest)}; "
                    f"{hhmm(starts_at)} is after it.")
    return "That time is outside the restaurant's services."


def resolve_local_start(
    schedule: Schedule, day: dt.date, wall: dt.time, party_size: int, fold: int | None = None
) -> dt.datetime:
    """The UTC instant a guest means by "``wall`` on ``day``".

    ``day`` is the service date, so 00:30 on a Friday whose dinner runs past
    midnight is Saturday 00:30. When a wall time happens twice, ``fold`` picks
    the first (0) or second (1) occurrence; without it the first offered slot wins.
    The first also wins when the day's services show one wall time on two dates (a
    service opening at 00:00 and another running past midnight): pages that can
    should post the slot's instant instead.
    A time that is no slot (an owner's 19:10) is read the same way, so the caller's
    rules can then accept or refuse it.
    """
    tz = schedule.zone
    matches = [slot.starts_at for slot in candidate_slots(schedule, day, party_size)
               if slot.local_start(tz).time() == wall]
    if fold is not None:  # never answer "the second 02:30" with the first one
        matches = [m for m in matches
                   if m.astimezone(tz).fold == fold or not _repeated(m, wall, tz)]
    if matches:
        return matches[0]
    # Off the grid: after midnight when it falls in the early-morning part of a service
    # that opened on ``day`` and runs past midnight (and no service of ``day`` holds it).
    services = services_on(schedule, day)
    same_day = any((wall >= s.opens) if s.crosses_midnight else (s.opens <= wall < s.closes)
                   for s in services)
    next_morning = any(s.crosses_midnight and wall < s.closes for s in services)
    on_day = day + dt.timedelta(days=1) if next_morning and not same_day else day
    return to_utc_last(on_day, wall, tz) if fold == 1 else to_utc(on_day, wall, tz)


def _repeated(instant: dt.datetime, wall: dt.time, tz: ZoneInfo) -> bool:
    day = instant.astimezone(tz).date()
    return to_utc(day, wall, tz, 0) != to_utc(day, wall, tz, 1) and wall_time_exists(
        dt.datetime.combine(day, wall, tzinfo=tz))


def start_at_offset(schedule: Schedule, day: dt.date, wall: dt.time, party_size: int,
                    offset: dt.timedelta) -> dt.datetime | None:
    """The occurrence of ``wall`` on service date ``day`` whose UTC offset is ``offset``
    (a guest's "02:30+01:00" on the night clocks go back), or None if there is none."""
    for fold in (0, 1):
        start = resolve_local_start(schedule, day, wall, party_size, fold=fold)
        if start.astimezone(schedule.zone).utcoffset() == offset:
            return start
    return None


def is_repeated_wall_time(local: dt.datetime) -> bool:
    """True for a local time that happens twice (the hour the clocks go back)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def wall_time_text(instant: dt.datetime, tz: ZoneInfo) -> str:
    """HH:MM in ``tz``, with the offset ("02:30+01:00") when that wall time happens twice."""
    local = instant.astimezone(tz)
    if is_repeated_wall_time(local):
        return local.strftime("%H:%M") + local.isoformat()[-6:]
    return local.strftime("%H:%M")


def group_by_service(slots: Iterable[Slot]) -> list[tuple[str, list[Slot]]]:
    """Slots grouped by service name, in time order of each service's first slot."""
    groups: dict[str, list[Slot]] = {}
    for slot in sorted(slots):
        groups.setdefault(slot.service, []).append(slot)
    return list(groups.items())


def open_days(schedule: Schedule, start: dt.date, days: int) -> list[dt.date]:
    """Dates in [start, start + days) with at least one service."""
    return [start + dt.timedelta(days=i) for i in range(days)
            if services_on(schedule, start + dt.timedelta(days=i))]


def slot_sequence(slots: Sequence[Slot]) -> list[dt.datetime]:
    return [slot.starts_at for slot in slots]
