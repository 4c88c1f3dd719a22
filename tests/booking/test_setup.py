"""The per-process cache of a restaurant's set-up (booking/setup.py): reused while
nothing changed, never stale after any edit, never poisoned by a rolled-back one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text

from tests.factories import future_day, make_restaurant
from webapp.booking.setup import clear_cache, read_schedule, read_tables, restaurant_setup
from webapp.models import DiningTable, OpeningHours, SpecialDay, SpecialDayService


def fresh(session, restaurant):
    """What the database says now, bypassing the cache."""
    return read_schedule(session, restaurant), read_tables(session, restaurant.id)


def assert_current(session, restaurant):
    setup = restaurant_setup(session, restaurant)
    assert (setup.schedule, setup.tables) == fresh(session, restaurant)
    return setup


def test_unchanged_set_up_is_served_from_the_cache(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 4)])
    clear_cache()
    first = assert_current(session, restaurant)
    assert restaurant_setup(session, restaurant) is first
    assert [t.name for t in first.tables] == ["A", "B"]


def test_every_kind_of_owner_edit_is_seen_at_once(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 4)])
    before = assert_current(session, restaurant)

    session.add(DiningTable(restaurant=restaurant, name="C", seats=6, position=9))
    session.commit()
    after_table = assert_current(session, restaurant)
    assert [t.name for t in after_table.tables] == ["A", "B", "C"] != [t.name for t in before.tables]

    table_b = session.query(DiningTable).filter_by(restaurant_id=restaurant.id, name="B").one()
    table_b.active = False
    session.commit()
    assert [t.name for t in assert_current(session, restaurant).tables] == ["A", "C"]

    hours = session.query(OpeningHours).filter_by(restaurant_id=restaurant.id).first()
    hours.closes = dt.time(22, 30)
    session.commit()
    assert_current(session, restaurant)

    day = future_day(10)
    special = SpecialDay(restaurant=restaurant, start_date=day, end_date=day, closed=False,
                         reason="Wine night")
    session.add(special)
    session.commit()
    with_special = assert_current(session, restaurant)
    assert [rule.reason for rule in with_special.schedule.special_days] == ["Wine night"]

    session.add(SpecialDayService(special_day_id=special.id, name="Late", opens=dt.time(20),
                                  closes=dt.time(23, 30)))
    session.commit()
    assert [s.name for s in assert_current(session, restaurant).schedule.special_days[0].services] \
        == ["Late"]

    restaurant.slot_interval_minutes = 30  # the restaurant's own rules, not a set-up table
    session.commit()
    assert assert_current(session, restaurant).schedule.interval_minutes == 30


def test_an_edit_by_someone_else_in_plain_sql_is_seen(session, app):
    """Another app instance (or an operator in psql): a different process's cache has
    no say, only the stamp in the database."""
    restaurant = make_restaurant(session, tables=[("A", 2)])
    assert_current(session, restaurant)
    restaurant_id = restaurant.id
    session.commit()  # no read transaction left open: SQLite would keep its snapshot
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.begin() as conn:
            conn.execute(text("UPDATE dining_tables SET seats = 8 WHERE restaurant_id = :r"),
                         {"r": restaurant_id})
    finally:
        other.dispose()
    assert [t.seats for t in assert_current(session, restaurant).tables] == [8]


def test_a_rolled_back_edit_never_reaches_later_readers(session):
    restaurant = make_restaurant(session, tables=[("A", 2)])
    assert_current(session, restaurant)
    session.add(DiningTable(restaurant=restaurant, name="Ghost", seats=4))
    session.flush()
    # Read inside the editing transaction: it sees its own table (and may cache it)...
    assert [t.name for t in restaurant_setup(session, restaurant).tables] == ["A", "Ghost"]
    session.rollback()
    # ...but once rolled back, no one gets it, even after the next real edit.
    assert [t.name for t in assert_current(session, restaurant).tables] == ["A"]
    session.add(DiningTable(restaurant=restaurant, name="Real", seats=4))
    session.commit()
    assert [t.name for t in assert_current(session, restaurant).tables] == ["A", "Real"]
