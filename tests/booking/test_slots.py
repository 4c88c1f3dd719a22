"""Slot generation (webapp/booking/slots.py): properties over random schedules and real
time zones, plus worked examples for the days that break naive code (DST changes,
services past midnight, leap days, closures, special days).

Pure functions: no database, so these run once, not per backend.

The oracle for "the instant a wall time means" is the standard library itself
(``datetime.combine(day, wall, tzinfo=zone)`` with fold 0 / fold 1, PEP 495): an
opening is the first occurrence of its wall time (a gap time shifts later by the
gap), a closing or last seating the latest occurrence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.booking import slots
from webapp.booking.slots import Schedule, ServiceHours, SpecialDayRule

UTC = dt.UTC
ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "America/Sao_Paulo",  # DST until 2019, switched at midnight
    "Asia/Kolkata",  # +05:30, no DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # switches at midnight
    "Europe/Dublin",  # "negative" DST in tzdata
)
YEARS = range(2017, 2031)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- helpers


def instant(day: dt.date, wall: dt.time, zone: str, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, wall, tzinfo=ZoneInfo(zone)).replace(fold=fold).astimezone(UTC)


def latest_instant(day: dt.date, wall: dt.time, zone: str) -> dt.datetime:
    return max(instant(day, wall, zone, 0), instant(day, wall, zone, 1))


def local_times(schedule: Schedule, found: list[slots.Slot]) -> list[dt.datetime]:
    return [s.starts_at.astimezone(schedule.zone) for s in found]


def hhmm(found: list[dt.datetime]) -> list[str]:
    return [f"{t:%H:%M}" for t in found]


@cache
def transition_days(zone: str) -> tuple[dt.date, ...]:
    """Dates on which the zone's UTC offset changes, and the day before each (whose night
    service runs into the change)."""
    tz = ZoneInfo(zone)
    days: list[dt.date] = []
    day = dt.date(YEARS[0], 1, 1)
    previous = dt.datetime.combine(day, dt.time(0), tzinfo=tz).utcoffset()
    while day.year < YEARS[-1] + 1:
        nxt = day + dt.timedelta(days=1)
        offset = dt.datetime.combine(nxt, dt.time(0), tzinfo=tz).utcoffset()
        if offset != previous:
            days += [day - dt.timedelta(days=1), day, nxt]
        previous, day = offset, nxt
    return tuple(days) or LEAP_DAYS  # a zone without DST (Kolkata)


LEAP_DAYS = (dt.date(2020, 2, 29), dt.date(2024, 2, 29), dt.date(2028, 2, 28),
             dt.date(2028, 2, 29), dt.date(2028, 3, 1))


def expected_window(schedule: Schedule, day: dt.date, service: ServiceHours, turn: int
                    ) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(opening, closing, last seating) of one service, from the rules as documented."""
    zone = schedule.timezone
    opens = instant(day, service.opens, zone)
    close_day = day + dt.timedelta(days=1) if service.closes <= service.opens else day
    closes = latest_instant(close_day, service.closes, zone)
    if service.last_seating is None:
        return opens, closes, closes - dt.timedelta(minutes=turn)
    after_midnight = service.closes <= service.opens and service.last_seating < service.opens
    seat_day = day + dt.timedelta(days=1) if after_midnight else day
    return opens, closes, min(latest_instant(seat_day, service.last_seating, zone), closes)


def expected_starts(schedule: Schedule, day: dt.date, party: int) -> set[dt.datetime]:
    """Every opening + k x interval up to the last seating, over the day's services."""
    turn = slots.turn_minutes(schedule, party)
    step = dt.timedelta(minutes=schedule.interval_minutes)
    starts: set[dt.datetime] = set()
    for service in slots.services_on(schedule, day):
        opens, _, last = expected_window(schedule, day, service, turn)
        if last >= opens:
            count = (last - opens) // step + 1  # the absolute-duration arithmetic
            starts.update(opens + k * step for k in range(count))
    return starts


# --------------------------------------------------------------------------- strategies

wall_times = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 5, 15, 30, 45, 50]))


@st.composite
def services(draw: st.DrawFn) -> ServiceHours:
    opens = draw(wall_times)
    length = draw(st.integers(30, 23 * 60))  # some run past midnight
    closes_at = dt.datetime.combine(dt.date(2000, 1, 1), opens) + dt.timedelta(minutes=length)
    last = draw(st.none() | st.none() | wall_times)
    return ServiceHours(opens, closes_at.time(), draw(st.sampled_from(["Lunch", "Dinner", "Late"])),
                        last)


@st.composite
def schedule_days(draw: st.DrawFn) -> tuple[Schedule, dt.date, int]:
    """A schedule in a real zone, a date (often a DST change of that zone or a leap day)
    and a party size. Only the date's weekday and its neighbours get services (the
    only ones slot generation and lookup consult), which keeps generation cheap."""
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.one_of(
        st.sampled_from(transition_days(zone)),
        st.sampled_from(LEAP_DAYS),
        st.dates(dt.date(YEARS[0], 1, 1), dt.date(YEARS[-1], 12, 31)),
    ))
    weekly = {(day.weekday() + shift) % 7: tuple(draw(st.lists(services(), min_size=1,
                                                                max_size=3)))
              for shift in (-1, 0, 1)}
    schedule = Schedule(
        timezone=zone,
        interval_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90])),
        default_turn_minutes=draw(st.integers(15, 300)),
        turn_times=draw(st.sampled_from([{}, {1: 90, 3: 120, 5: 150}, {2: 45, 6: 240}])),
        weekly=weekly,
    )
    return schedule, day, draw(st.integers(1, 8))


# --------------------------------------------------------------------------- properties


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(schedule_days())
def test_starts_are_the_opening_plus_whole_intervals_up_to_last_seating(case):
    schedule, day, party = case
    found = slots.candidate_slots(schedule, day, party)
    starts = [s.starts_at for s in found]
    assert starts == sorted(set(starts)), "strictly increasing, no duplicates"
    # Completeness and soundness at once: exactly opening + k x interval, within
    # [opening, last seating], per service; so the count is the duration arithmetic.
    assert set(starts) == expected_starts(schedule, day, party)
    turn = dt.timedelta(minutes=slots.turn_minutes(schedule, party))
    for slot in found:
        assert slot.starts_at.tzinfo is not None and slot.starts_at.utcoffset() == dt.timedelta(0)
        assert slot.ends_at - slot.starts_at == turn
        assert slot.service_date == day
        assert slots.within_service(schedule, slot.starts_at, party)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(schedule_days())
def test_wall_times_exist_and_repeat_at_most_twice(case):
    schedule, day, party = case
    found = slots.candidate_slots(schedule, day, party)
    walls = local_times(schedule, found)
    for wall in walls:
        assert slots.wall_time_exists(wall.replace(fold=0)), f"{wall} lies in a DST gap"
    naive = [w.replace(tzinfo=None) for w in walls]
    for wall in set(naive):
        repeats = naive.count(wall)
        assert repeats <= 2
        if repeats == 2:  # only when the clocks really showed it twice
            both = [w for w in walls if w.replace(tzinfo=None) == wall]
            assert {w.fold for w in both} == {0, 1}


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(schedule_days())
def test_each_slot_is_found_again_from_its_instant_and_from_its_wall_time(case):
    schedule, day, party = case
    found = slots.candidate_slots(schedule, day, party)
    keys = [(w.time(), w.fold) for w in local_times(schedule, found)]
    # Every slot would be O(n^2) per example; the first, the last and a spread are enough.
    for index in sorted({0, len(found) - 1, *range(0, len(found), max(1, len(found) // 12))}
                        if found else ()):
        slot = found[index]
        again = slots.find_slot(schedule, slot.starts_at, party)
        assert again is not None and again.starts_at == slot.starts_at
        local = slot.starts_at.astimezone(schedule.zone)
        resolved = slots.resolve_local_start(schedule, day, local.time(), party, fold=local.fold)
        if keys.count(keys[index]) == 1:
            assert resolved == slot.starts_at
        else:  # the same wall time on two dates (a 00:00 service and one past midnight)
            assert resolved == found[keys.index(keys[index])].starts_at  # the first one
        # Its own service date, unless a service of its local date holds it as well.
        assert slots.service_date_of(schedule, slot.starts_at) in (day, local.date())


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(schedule_days(), st.integers(0, 48 * 60), st.integers(0, 12 * 60),
       st.integers(0, 400))
def test_online_slots_respect_lead_time_and_horizon(case, minutes_before, lead, horizon):
    schedule, day, party = case
    schedule = dataclasses.replace(schedule, lead_time_minutes=lead, horizon_days=max(horizon, 1))
    now = instant(day, dt.time(0), schedule.timezone) - dt.timedelta(minutes=minutes_before)
    online = slots.online_slots(schedule, day, party, now)
    all_slots = slots.candidate_slots(schedule, day, party)
    earliest, last_day = slots.online_window(schedule, now)
    assert online == [s for s in all_slots if s.starts_at >= earliest and s.starts_at > now
                      and day <= last_day]


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(schedule_days())
def test_grid_columns_cover_every_service_from_opening_to_closing(case):
    schedule, day, _ = case
    step = dt.timedelta(minutes=schedule.interval_minutes)
    columns = slots.grid_slots(schedule, day)
    starts = [c.starts_at for c in columns]
    assert starts == sorted(set(starts))
    expected: set[dt.datetime] = set()
    for service in slots.services_on(schedule, day):
        opens, closes, _ = expected_window(schedule, day, service, 0)
        if closes > opens:
            expected.update(opens + k * step for k in range(-(-(closes - opens) // step)))
    assert set(starts) == expected
    assert all(c.ends_at - c.starts_at == step for c in columns)


def test_turn_time_by_party_size():
    schedule = Schedule("Europe/Berlin", default_turn_minutes=100,
                        turn_times={1: 90, 3: 120, 5: 150})
    assert [slots.turn_minutes(schedule, n) for n in range(1, 8)] == \
        [90, 90, 120, 120, 150, 150, 150]
    assert slots.turn_minutes(Schedule("Europe/Berlin", default_turn_minutes=100,
                                       turn_times={3: 120}), 2) == 100


# --------------------------------------------------------------------------- examples

BERLIN = "Europe/Berlin"
NIGHT = ServiceHours(dt.time(22), dt.time(5), "Night")


def every_day(*services_: ServiceHours, zone: str = BERLIN, **kwargs) -> Schedule:
    return Schedule(zone, weekly={d: services_ for d in range(7)}, **kwargs)


def test_spring_forward_night_has_no_two_oclock_slots():
    # 2026-03-29 02:00 CET -> 03:00 CEST; the night service opened on the 28th.
    schedule = every_day(NIGHT, interval_minutes=30, default_turn_minutes=60)
    walls = local_times(schedule, slots.candidate_slots(schedule, dt.date(2026, 3, 28), 2))
    times = hhmm(walls)
    assert not [t for t in times if t.startswith("02:")]
    assert times[times.index("01:30") + 1] == "03:00"  # 30 real minutes later
    assert times[0] == "22:00" and times[-1] == "04:00"  # closes 05:00 CEST, turn 60
    assert len(times) == 11  # 22:00 CET .. 04:00 CEST is 5 real hours / 30 min, + 1


def test_fall_back_night_offers_the_repeated_half_hour_twice():
    # 2026-10-25 03:00 CEST -> 02:00 CET: 02:00-02:59 happens twice.
    schedule = every_day(ServiceHours(dt.time(22), dt.time(4), "Night"), interval_minutes=30,
                         default_turn_minutes=90)
    found = slots.candidate_slots(schedule, dt.date(2026, 10, 24), 2)
    walls = local_times(schedule, found)
    assert hhmm(walls)[-4:] == ["02:00", "02:30", "02:00", "02:30"]  # last seating 04:00 CET - 90
    assert [w.fold for w in walls[-4:]] == [0, 0, 1, 1]
    assert walls[-1] - walls[-2] == dt.timedelta(minutes=30)  # absolute time, not wall time
    first, second = (slots.resolve_local_start(schedule, dt.date(2026, 10, 24), dt.time(2, 30), 2,
                                               fold=fold) for fold in (0, 1))
    assert second - first == dt.timedelta(hours=1)
    assert slots.resolve_local_start(schedule, dt.date(2026, 10, 24), dt.time(2, 30), 2) == first


def test_explicit_last_seating_on_a_fall_back_night_is_its_second_occurrence():
    service = ServiceHours(dt.time(22), dt.time(5), "Night", last_seating=dt.time(2, 30))
    schedule = every_day(service, interval_minutes=30, default_turn_minutes=60)
    walls = local_times(schedule, slots.candidate_slots(schedule, dt.date(2026, 10, 24), 2))
    assert hhmm(walls)[-2:] == ["02:00", "02:30"] and walls[-1].fold == 1
    assert hhmm(walls).count("02:30") == 2


def test_new_york_spring_forward_gap_opening_shifts_later():
    # 2026-03-08 02:00 EST -> 03:00 EDT; an opening at 02:30 does not exist.
    schedule = every_day(ServiceHours(dt.time(2, 30), dt.time(6), "Early"),
                         zone="America/New_York", interval_minutes=30, default_turn_minutes=60)
    walls = local_times(schedule, slots.candidate_slots(schedule, dt.date(2026, 3, 8), 2))
    assert hhmm(walls) == ["03:30", "04:00", "04:30", "05:00"]
    assert walls[0].utcoffset() == dt.timedelta(hours=-4)


def test_service_past_midnight_belongs_to_the_day_it_opened():
    schedule = every_day(ServiceHours(dt.time(22), dt.time(2), "Late"), interval_minutes=15,
                         default_turn_minutes=60)
    day = dt.date(2026, 11, 27)  # an ordinary Friday
    found = slots.candidate_slots(schedule, day, 2)
    walls = local_times(schedule, found)
    assert hhmm(walls)[0] == "22:00" and hhmm(walls)[-1] == "01:00"
    assert len(found) == 13  # 22:00 .. 01:00 in 15-minute steps
    assert walls[-1].date() == day + dt.timedelta(days=1)
    past_midnight = found[-4]  # 00:15 on Saturday
    assert slots.find_slot(schedule, past_midnight.starts_at, 2).service_date == day
    assert slots.service_date_of(schedule, past_midnight.starts_at) == day
    assert slots.resolve_local_start(schedule, day, dt.time(0, 15), 2) == past_midnight.starts_at
    # An owner's off-grid 00:40 on Friday's service is Saturday 00:40 ...
    off_grid = slots.resolve_local_start(schedule, day, dt.time(0, 40), 2)
    assert off_grid == instant(day + dt.timedelta(days=1), dt.time(0, 40), BERLIN)
    # ... but 10:00 (outside every service) stays on the day asked for.
    assert slots.resolve_local_start(schedule, day, dt.time(10), 2) == instant(day, dt.time(10),
                                                                               BERLIN)


def test_leap_day_has_its_weekday_services():
    tuesday = dt.date(2028, 2, 29)
    schedule = Schedule(BERLIN, weekly={1: (ServiceHours(dt.time(18), dt.time(22), "Dinner"),)},
                        default_turn_minutes=120, interval_minutes=30)
    times = hhmm(local_times(schedule, slots.candidate_slots(schedule, tuesday, 2)))
    assert times == ["18:00", "18:30", "19:00", "19:30", "20:00"]
    assert slots.candidate_slots(schedule, dt.date(2028, 3, 1), 2) == []  # a Wednesday
    assert slots.open_days(schedule, dt.date(2028, 2, 27), 10) == [tuesday, dt.date(2028, 3, 7)]


def test_closure_and_special_day_override_the_week():
    dinner = ServiceHours(dt.time(18), dt.time(23), "Dinner")
    gala = ServiceHours(dt.time(19), dt.time(1), "Gala", last_seating=dt.time(21))
    schedule = every_day(dinner, interval_minutes=60, default_turn_minutes=120, special_days=(
        SpecialDayRule(dt.date(2026, 12, 24), dt.date(2026, 12, 26), closed=True, reason="Xmas"),
        SpecialDayRule(dt.date(2026, 12, 31), dt.date(2026, 12, 31), closed=False,
                       services=(gala,), reason="New Year's Eve"),
    ))
    assert slots.candidate_slots(schedule, dt.date(2026, 12, 25), 2) == []
    assert slots.services_on(schedule, dt.date(2026, 12, 26)) == ()
    assert hhmm(local_times(schedule, slots.candidate_slots(schedule, dt.date(2026, 12, 27), 2))) \
        == ["18:00", "19:00", "20:00", "21:00"]
    eve = slots.candidate_slots(schedule, dt.date(2026, 12, 31), 4)
    assert hhmm(local_times(schedule, eve)) == ["19:00", "20:00", "21:00"]
    assert {s.service for s in eve} == {"Gala"}
    assert slots.open_days(schedule, dt.date(2026, 12, 23), 4) == [dt.date(2026, 12, 23)]


def test_explicit_last_seating_may_end_after_closing_but_never_starts_after_it():
    early = ServiceHours(dt.time(18), dt.time(23), "Dinner", last_seating=dt.time(22))
    late = ServiceHours(dt.time(18), dt.time(23), "Dinner", last_seating=dt.time(23, 30))
    for service, last in ((early, "22:00"), (late, "23:00")):
        schedule = every_day(service, interval_minutes=30, default_turn_minutes=150)
        found = slots.candidate_slots(schedule, dt.date(2026, 12, 2), 2)
        assert hhmm(local_times(schedule, found))[-1] == last


@pytest.mark.parametrize("zone, day, jump", [
    # Lord Howe: 30-minute DST. 2026-10-04 02:00 -> 02:30 (+10:30 -> +11:00).
    ("Australia/Lord_Howe", dt.date(2026, 10, 3), dt.timedelta(minutes=30)),
    # Chatham: 2026-09-27 02:45 -> 03:45 (+12:45 -> +13:45).
    ("Pacific/Chatham", dt.date(2026, 9, 26), dt.timedelta(hours=1)),
    # Sao Paulo 2018-11-04: midnight -> 01:00, inside a night service opening at 23:00.
    ("America/Sao_Paulo", dt.date(2018, 11, 3), dt.timedelta(hours=1)),
])
def test_odd_zones_keep_absolute_steps_across_the_change(zone, day, jump):
    schedule = every_day(ServiceHours(dt.time(23), dt.time(6), "Night"), zone=zone,
                         interval_minutes=15, default_turn_minutes=60)
    found = slots.candidate_slots(schedule, day, 2)
    steps = {b.starts_at - a.starts_at for a, b in zip(found, found[1:], strict=False)}
    assert steps == {dt.timedelta(minutes=15)}
    opens = instant(day, dt.time(23), zone)
    closes = latest_instant(day + dt.timedelta(days=1), dt.time(6), zone)
    assert found[0].starts_at == opens
    assert found[-1].starts_at == closes - dt.timedelta(minutes=60)
    # The night is shorter by the DST jump: 7 h of wall time, less in real time.
    assert closes - opens == dt.timedelta(hours=7) - jump
    assert len(found) == (closes - opens - dt.timedelta(minutes=60)) // dt.timedelta(minutes=15) + 1
    walls = local_times(schedule, found)
    assert all(slots.wall_time_exists(w) for w in walls)


def test_memoised_slots_are_the_schedules_own():
    """candidate_slots remembers its answers per schedule object: a changed copy of a
    schedule (dataclasses.replace) must not see the original's."""
    hours = {0: (slots.ServiceHours(dt.time(18), dt.time(22), "Dinner"),)}
    original = slots.Schedule(timezone="Europe/Berlin", interval_minutes=30, weekly=hours)
    monday = dt.date(2030, 6, 3)
    first = slots.candidate_slots(original, monday, 2)
    first.clear()  # callers get their own list
    assert len(slots.candidate_slots(original, monday, 2)) == 5  # 18:00 ... 20:00
    finer = dataclasses.replace(original, interval_minutes=15)
    assert len(slots.candidate_slots(finer, monday, 2)) == 9
    assert finer == dataclasses.replace(original, interval_minutes=15)  # the memo is no part of it
