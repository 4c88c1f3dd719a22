"""The weeks at a glance (booking/insights.py): figures per service date, on both databases.

Reservations are written as rows (real database, no service call) so each can carry the
status, source and created_at a test needs."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from tests.factories import local, make_restaurant, today
from webapp.booking import insights
from webapp.models import DiningTable, Reservation, SpecialDay, SpecialDayService

LATE = [(d, dt.time(12), dt.time(15), "Lunch") for d in range(7)] + \
       [(d, dt.time(18), dt.time(1), "Late") for d in range(7)]


@pytest.fixture
def late(session):
    """Lunch 12–15 and a late service 18:00–01:00 every day, ten tables."""
    return make_restaurant(session, slug="late", hours=LATE,
                           tables=[(f"T{i}", 8) for i in range(1, 11)])


@pytest.fixture
def add(session, late):
    tables = [t.id for t in session.query(DiningTable).filter_by(restaurant_id=late.id)
              .order_by(DiningTable.position)]
    used: dict[int, int] = {}

    def make(day: dt.date, hour: int, minute: int = 0, party: int = 2, status: str = "booked",
             source: str = "online", made_before: dt.timedelta = dt.timedelta(days=2),
             next_day: bool = False) -> Reservation:
        when = local(late, day + dt.timedelta(days=1 if next_day else 0), hour, minute)
        key = int(when.timestamp())
        index = used[key] = used.get(key, -1) + 1  # same start, next table
        reservation = Reservation(restaurant_id=late.id, table_id=tables[index],
                                  starts_at=when, ends_at=when + dt.timedelta(minutes=90),
                                  party_size=party, guest_name="Guest", status=status,
                                  source=source, created_at=when - made_before)
        session.add(reservation)
        session.commit()
        return reservation

    return make


def monday_ahead(weeks: int = 2) -> dt.date:
    return insights.week_start(today()) + dt.timedelta(days=7 * weeks)


def test_week_counts_by_service_date_and_service(session, late, add):
    monday = monday_ahead()
    sunday = monday + dt.timedelta(days=6)
    add(monday, 12, 30, party=2)                                   # Monday lunch
    add(monday, 0, 30, party=4, status="seated", next_day=True)    # Tuesday 00:30: Monday's late
    add(monday, 19, 0, party=3, source="walk_in", status="completed")
    add(monday, 19, 0, party=5, source="api", status="cancelled")  # no covers
    add(monday, 20, 0, party=2, status="no_show")                  # no covers
    add(monday - dt.timedelta(days=1), 0, 15, party=6, next_day=True)  # the Sunday before's late
    add(sunday, 0, 30, party=7, next_day=True)                     # next Monday 00:30: Sunday's

    week = insights.week(session, late, monday + dt.timedelta(days=3))  # any day of the week
    assert week.monday == monday and [d.day for d in week.days][0] == monday
    mon = week.days[0]
    lunch, late_service = mon.services
    assert (lunch.name, lunch.covers, lunch.bookings) == ("Lunch", 2, 1)
    assert (late_service.name, late_service.covers, late_service.bookings) == ("Late", 7, 2)
    assert late_service.opens == "18:00" and late_service.closes == "01:00"
    # The busiest slot is the 00:30 one (4 arriving), after midnight but Monday's.
    assert late_service.busiest is not None
    assert late_service.busiest.starts_at == local(late, monday + dt.timedelta(days=1), 0, 30)
    assert late_service.busiest.covers == 4
    assert len(late_service.slots) == 28  # 18:00–01:00 in 15-minute steps
    assert (mon.covers, mon.bookings, mon.cancelled, mon.no_shows) == (9, 3, 1, 1)
    assert week.days[6].covers == 7 and week.days[6].services[1].covers == 7
    assert week.covers == 16  # the Sunday before's 6 are last week's
    assert all(d.covers == 0 for d in week.days[1:6])


def test_closed_and_special_days(session, late, add):
    monday = monday_ahead(3)
    wednesday, thursday = monday + dt.timedelta(days=2), monday + dt.timedelta(days=3)
    session.add(SpecialDay(restaurant_id=late.id, start_date=wednesday, end_date=wednesday,
                           closed=True, reason="Staff party"))
    concert = SpecialDay(restaurant_id=late.id, start_date=thursday, end_date=thursday,
                         closed=False, reason="Concert")
    concert.services.append(SpecialDayService(name="Concert", opens=dt.time(19),
                                              closes=dt.time(22)))
    session.add(concert)
    session.commit()
    add(thursday, 19, 30, party=4)
    # Wednesday 00:30: Tuesday's late service runs past midnight into the closed day.
    add(monday + dt.timedelta(days=1), 0, 30, party=2, next_day=True)
    week = insights.week(session, late, monday)
    tue, wed, thu = week.days[1:4]
    assert wed.closed and wed.special == "Staff party" and wed.services == ()
    assert tue.covers == 2 and not tue.closed and tue.special is None
    assert not thu.closed and thu.special == "Concert"
    assert [(s.name, s.covers) for s in thu.services] == [("Concert", 4)]


def test_an_empty_week(session, late):
    week = insights.week(session, late, monday_ahead(5))
    assert week.covers == 0 and week.bookings == 0
    assert all(s.busiest is None for d in week.days for s in d.services)


def test_a_start_outside_every_service_is_still_counted(session, late, add):
    monday = monday_ahead()
    add(monday, 16, 0, party=3, source="walk_in")  # between lunch and the late service
    mon = insights.week(session, late, monday).days[0]
    assert [(s.name, s.covers) for s in mon.services] == [
        ("Lunch", 0), ("Late", 0), (insights.OUTSIDE, 3)]


def test_period_rules():
    day = dt.date(2030, 6, 12)
    assert insights.period(day, None, None) == insights.Period(
        day - dt.timedelta(days=27), day, 4, "past")
    assert insights.period(day, "12", "next") == insights.Period(
        day, day + dt.timedelta(days=83), 12, "next")
    for weeks, way in (("3", "past"), ("13", None), ("x", None), ("٤", None), ("1_0", None), ("4.5", None),
                       ("-4", None), ("4", "future"), ("99999999999999999999", None)):
        with pytest.raises(insights.PeriodError):
            insights.period(day, weeks, way)


def test_insights_figures(session, late, add):
    span = insights.period(today(), "4", "next")
    first = span.first
    # Week 1: four bookings, one cancelled, one no-show.
    add(first, 12, 0, party=2, source="online", made_before=dt.timedelta(minutes=30))
    add(first, 19, 0, party=4, source="phone", made_before=dt.timedelta(hours=5))
    add(first, 19, 0, party=10, source="api", status="cancelled",
        made_before=dt.timedelta(days=2))
    add(first, 0, 30, party=3, source="walk_in", status="no_show", next_day=True,
        made_before=dt.timedelta(0))
    # Week 3: one, booked five weeks ahead; the day after the period does not count.
    add(first + dt.timedelta(days=15), 20, 0, party=6, made_before=dt.timedelta(days=35))
    add(span.last + dt.timedelta(days=1), 20, 0, party=8)
    data = insights.insights(session, late, span)

    assert data.bookings == 5
    assert data.services == ["Lunch", "Late"]
    assert data.covers[first] == {"Lunch": 2, "Late": 4}  # cancelled and no-show: no covers
    assert data.covers[first + dt.timedelta(days=15)] == {"Lunch": 0, "Late": 6}
    assert data.covers[first + dt.timedelta(days=1)] == {"Lunch": 0, "Late": 0}
    assert data.total_covers == 12 and len(data.covers) == 28
    assert data.sources == {"online": 2, "phone": 1, "walk_in": 1, "api": 1}
    assert data.lead_times == {"Under 1 hour": 2, "1–24 hours": 1, "1–3 days": 1,
                               "3–7 days": 0, "1–2 weeks": 0, "2–4 weeks": 0,
                               "Over 4 weeks": 1}
    assert data.party_sizes["2"] == 1 and data.party_sizes["9+"] == 1
    assert sum(data.party_sizes.values()) == 5
    week1, week2, week3, week4 = data.rates
    assert (week1.bookings, week1.cancelled, week1.no_shows) == (4, 1, 1)
    assert week1.cancellation_rate == pytest.approx(0.25)
    assert week1.no_show_rate == pytest.approx(1 / 3)
    assert week2.bookings == 0 and week2.cancellation_rate == 0 and week2.no_show_rate == 0
    assert week3.bookings == 1 and week4.bookings == 0


def test_insights_is_one_reservations_query(session, late, add, app):
    span = insights.period(today(), "12", "past")
    for offset in range(0, 80, 3):
        add(span.first + dt.timedelta(days=offset), 19, party=2)
    insights.week(session, late, span.first)  # warm the schedule cache
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        data = insights.insights(session, late, span)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert data.bookings == 27
    reading = [s for s in statements if "FROM reservations" in s]
    assert len(reading) == 1, statements
    assert "restaurant_id" in reading[0] and "starts_at >=" in reading[0]
