"""Availability (webapp/booking/availability.py) on PostgreSQL and SQLite: which start
times a party can book, the owner's day grid, and the fixed number of queries a day
costs whatever the number of tables and reservations."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.booking.availability import bookable_times, day_grid, nearest_free_times
from webapp.booking.setup import clear_cache as clear_setup_cache
from webapp.extensions import db
from webapp.models import DiningTable, Reservation

BERLIN = ZoneInfo("Europe/Berlin")


def guest(n: int) -> service.GuestDetails:
    return service.GuestDetails(f"Guest {n}", f"g{n}@example.com")


def walls(restaurant, times) -> list[str]:
    zone = ZoneInfo(restaurant.timezone)
    return [f"{t.starts_at.astimezone(zone):%H:%M}" for t in times]


def quarter_hours(first: str, last: str) -> list[str]:
    start = dt.datetime.strptime(first, "%H:%M")
    end = dt.datetime.strptime(last, "%H:%M")
    out = []
    while start <= end:
        out.append(f"{start:%H:%M}")
        start += dt.timedelta(minutes=15)
    return out


def phone(session, restaurant, day, hour, minute=0, *, party=2, table=None, minutes=None,
          n=0, source="phone"):
    return service.book(session, restaurant, starts_at=local(restaurant, day, hour, minute),
                        party_size=party, guest=guest(n), table_id=table, source=source,
                        duration_minutes=minutes).reservation


LUNCH = quarter_hours("12:00", "13:00")  # 12-15, turn 120
DINNER = quarter_hours("18:00", "21:00")  # 18-23, turn 120


def test_times_need_a_suitable_table_free_for_the_whole_stay(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 4)])
    a, b = (t.id for t in restaurant.tables)
    day = future_day()
    assert walls(restaurant, bookable_times(session, restaurant, day, 2)) == LUNCH + DINNER
    phone(session, restaurant, day, 19, table=b, n=1)
    times = bookable_times(session, restaurant, day, 2)
    assert walls(restaurant, times) == LUNCH + DINNER  # A is still free all day ...
    assert {t.free_table_ids for t in times if t.starts_at == local(restaurant, day, 19)} == {(a,)}
    # ... but B is the only table for four: stays overlapping [19:00, 21:00) are gone.
    assert walls(restaurant, bookable_times(session, restaurant, day, 4)) == LUNCH + ["21:00"]
    phone(session, restaurant, day, 19, table=a, n=2)
    assert walls(restaurant, bookable_times(session, restaurant, day, 2)) == LUNCH + ["21:00"]
    assert bookable_times(session, restaurant, day, 5) == []  # no table takes five


def test_best_fit_order_of_free_tables(session):
    restaurant = make_restaurant(session, tables=[("Six", 6), ("Two", 2), ("Four", 4)])
    ids = {t.name: t.id for t in restaurant.tables}
    times = bookable_times(session, restaurant, future_day(), 2)
    assert times[0].free_table_ids == (ids["Two"], ids["Four"], ids["Six"])


def test_cancelled_no_show_and_completed_reservations_do_not_block(session):
    restaurant = make_restaurant(session, tables=[("Only", 4)])
    day = future_day()
    lunch = phone(session, restaurant, day, 12, n=1)
    dinner = phone(session, restaurant, day, 18, n=2)
    late = phone(session, restaurant, day, 20, minutes=180, n=3)
    assert bookable_times(session, restaurant, day, 2) == []  # lunch and dinner are full
    service.cancel(session, restaurant, lunch.id)
    service.set_status(session, restaurant, dinner.id, "no_show")
    service.set_status(session, restaurant, late.id, "seated")
    service.set_status(session, restaurant, late.id, "completed")
    assert walls(restaurant, bookable_times(session, restaurant, day, 2)) == LUNCH + DINNER


def test_stays_of_different_lengths(session):
    restaurant = make_restaurant(session, tables=[("Only", 4)],
                                 turn_times={"1": 90, "3": 120, "5": 150})
    day = future_day()
    phone(session, restaurant, day, 19, minutes=30, n=1)  # a quick walk-in-like stay
    # Parties of two stay 90 minutes: starts in (17:30, 19:30) collide.
    assert walls(restaurant, bookable_times(session, restaurant, day, 2))[-9:] == \
        quarter_hours("19:30", "21:30")
    assert "18:00" not in walls(restaurant, bookable_times(session, restaurant, day, 2))
    # Parties of three stay 120 minutes: (17:00, 19:30) collide, and last seating is 21:00.
    dinner_for_three = [w for w in walls(restaurant, bookable_times(session, restaurant, day, 3))
                        if w >= "18:00"]
    assert dinner_for_three == quarter_hours("19:30", "21:00")
    # A long stay (three hours at lunch) blocks the whole lunch service.
    phone(session, restaurant, day, 12, minutes=180, n=2)
    assert [w for w in walls(restaurant, bookable_times(session, restaurant, day, 2))
            if w < "16:00"] == []


def test_lead_time_horizon_and_online_party_limit(session):
    restaurant = make_restaurant(session, lead_time_minutes=120, horizon_days=10,
                                 max_online_party=6, tables=[("Big", 8)])
    day = future_day(3)
    now = local(restaurant, day, 18)
    assert walls(restaurant, bookable_times(session, restaurant, day, 2, now)) == \
        quarter_hours("20:00", "21:00")
    assert walls(restaurant, bookable_times(session, restaurant, day, 2, now, online=False)) == \
        LUNCH + DINNER  # the owner books past the lead time
    far = future_day(12)
    assert bookable_times(session, restaurant, far, 2) == []
    assert bookable_times(session, restaurant, far, 2, online=False) != []
    assert bookable_times(session, restaurant, day, 7) == []
    assert bookable_times(session, restaurant, day, 7, online=False) != []


def test_ignore_lets_a_reservation_move_within_its_own_stay(session):
    restaurant = make_restaurant(session, tables=[("Only", 2)])
    day = future_day()
    booked = phone(session, restaurant, day, 19, n=1)
    assert "19:15" not in walls(restaurant, bookable_times(session, restaurant, day, 2))
    moved = walls(restaurant, bookable_times(session, restaurant, day, 2, ignore=booked.id))
    assert moved == LUNCH + DINNER


def test_nearest_free_times_stay_on_the_service_date_past_midnight(session):
    late = [(d, dt.time(20), dt.time(2), "Late") for d in range(7)]
    restaurant = make_restaurant(session, tables=[("Only", 2)], hours=late,
                                 default_turn_minutes=60)
    day = future_day()
    next_date = day + dt.timedelta(days=1)
    wanted = local(restaurant, next_date, 0, 40)  # off the grid, in the day's late service
    phone(session, restaurant, next_date, 0, 40, n=1)
    nearest = nearest_free_times(session, restaurant, wanted, 2, online=False)
    assert nearest == [local(restaurant, day, 22, 45), local(restaurant, day, 23),
                       local(restaurant, day, 23, 15), local(restaurant, day, 23, 30)]


def test_day_grid_columns_and_cells(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    a, b = (t.id for t in restaurant.tables)
    day = future_day()
    held = phone(session, restaurant, day, 19, table=a, n=1)
    gone = phone(session, restaurant, day, 20, table=b, n=2)
    service.cancel(session, restaurant, gone.id)
    short = phone(session, restaurant, day, 12, 10, table=b, minutes=20, n=3)  # off the grid
    grid = day_grid(session, restaurant, day)
    zone = ZoneInfo(restaurant.timezone)
    columns = [f"{s.starts_at.astimezone(zone):%H:%M}" for s in grid.slots]
    assert columns == quarter_hours("12:00", "14:45") + quarter_hours("18:00", "22:45")
    assert [t.id for t in grid.tables] == [a, b]
    assert {r.id for r in grid.reservations} == {held.id, gone.id, short.id}
    held_cells = [f"{s:%H:%M}" for (table, s), rid in
                  sorted(grid.cells.items()) if rid == held.id and table == a]
    assert len(held_cells) == 8  # 19:00 .. 20:45
    assert grid.cell(a, local(restaurant, day, 19)).reservation_id == held.id
    assert grid.cell(a, local(restaurant, day, 20, 45)).reservation_id == held.id
    assert grid.cell(a, local(restaurant, day, 21)).free
    assert grid.cell(b, local(restaurant, day, 20)).free  # cancelled holds nothing
    # 12:10-12:30 touches the 12:00 and 12:15 columns, not 12:30.
    assert [grid.cell(b, local(restaurant, day, 12, m)).reservation_id for m in (0, 15, 30)] == \
        [short.id, short.id, None]


def test_day_grid_of_a_night_service_runs_past_midnight(session):
    night = [(d, dt.time(22), dt.time(2), "Night") for d in range(7)]
    restaurant = make_restaurant(session, tables=[("A", 2)], hours=night,
                                 default_turn_minutes=60)
    day = future_day()
    after_midnight = phone(session, restaurant, day + dt.timedelta(days=1), 1, 30, n=1,
                           minutes=60, source="walk_in")
    grid = day_grid(session, restaurant, day)
    assert len(grid.slots) == 16  # 22:00 .. 01:45
    (table,) = grid.tables
    held = sorted(s for (t, s), rid in grid.cells.items() if rid == after_midnight.id)
    assert held == [local(restaurant, day + dt.timedelta(days=1), 1, 30),
                    local(restaurant, day + dt.timedelta(days=1), 1, 45)]


def test_a_fall_back_night_keeps_its_two_half_past_twos_apart(session):
    night = [(d, dt.time(22), dt.time(4), "Night") for d in range(7)]
    restaurant = make_restaurant(session, tables=[("A", 2)], hours=night, slot_interval_minutes=30,
                                 default_turn_minutes=30)
    day = dt.date(2026, 10, 24)  # clocks go back at 03:00 CEST on the 25th
    second = dt.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1).astimezone(dt.UTC)
    first = dt.datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=0).astimezone(dt.UTC)
    service.book(session, restaurant, starts_at=second, party_size=2, guest=guest(1),
                 source="walk_in")
    starts = [t.starts_at for t in bookable_times(session, restaurant, day, 2, online=False)]
    assert first in starts and second not in starts
    # 22:00 CEST .. 03:30 CET (last seating) is 6.5 real hours: 14 slots, one taken.
    assert len(starts) == 13


# --------------------------------------------------------------------------- query count


@contextmanager
def statements():
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _fill(session, restaurant, day: dt.date, tables: int, per_table: int) -> None:
    """Tables and reservations written straight through the models (fixture data)."""
    session.add_all(DiningTable(restaurant_id=restaurant.id, name=f"X{i}", seats=2 + i % 5,
                                position=i + 10) for i in range(tables))
    session.flush()
    table_ids = [t.id for t in restaurant.tables]
    statuses = ("booked", "seated", "cancelled", "no_show", "completed")
    rows = []
    for n, table_id in enumerate(table_ids):
        for k in range(per_table):
            start = local(restaurant, day, 12) + dt.timedelta(minutes=45 * k)
            rows.append(Reservation(
                restaurant_id=restaurant.id, table_id=table_id, starts_at=start,
                ends_at=start + dt.timedelta(minutes=30), party_size=2,
                guest_name=f"G{n}-{k}", status=statuses[(n + k) % 5], source="phone"))
    session.add_all(rows)
    session.commit()


def _queries_for_a_day(session, restaurant, day) -> dict[str, int]:
    counts = {}
    for name, read in (
        ("online", lambda: bookable_times(session, restaurant, day, 2,
                                          now=local(restaurant, day, 0))),
        ("owner", lambda: bookable_times(session, restaurant, day, 3, online=False)),
        ("grid", lambda: day_grid(session, restaurant, day)),
    ):
        session.expire_all()  # the same cold start for both restaurants
        clear_setup_cache()
        with statements() as seen:
            result = read()
        counts[name] = len(seen)
        assert result
        # Again with the restaurant's set-up cached in the process: the stamp check
        # replaces reading hours, special days and tables.
        session.expire_all()
        with statements() as seen:
            assert read() == result
        counts[f"{name}, set-up cached"] = len(seen)
    return counts


def test_a_day_costs_a_fixed_small_number_of_queries(session):
    day = future_day()
    small = make_restaurant(session, tables=[("A", 2), ("B", 4), ("C", 6)])
    for n, hour in enumerate((12, 18, 20, 12, 18)):
        phone(session, small, day, hour, n=n)
    big = make_restaurant(session)  # two tables, and 98 more:
    _fill(session, big, day, 98, 10)
    assert session.scalar(select(func.count(Reservation.id))
                          .where(Reservation.restaurant_id == big.id)) == 1000
    assert session.scalar(select(func.count(DiningTable.id))
                          .where(DiningTable.restaurant_id == big.id)) == 100
    small_counts = _queries_for_a_day(session, small, day)
    big_counts = _queries_for_a_day(session, big, day)
    assert big_counts == small_counts
    assert max(big_counts.values()) <= 7, big_counts
    for name in ("online", "owner"):
        assert big_counts[f"{name}, set-up cached"] < big_counts[name], big_counts
