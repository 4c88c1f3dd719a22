"""Test data: restaurants, tables, hours and owners, written through the real models."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from webapp import clock
from webapp.auth.passwords import ensure_owner
from webapp.models import (
    CombinationTable,
    DiningTable,
    OpeningHours,
    Restaurant,
    TableCombination,
    User,
)

_counter = itertools.count(1)
DEFAULT_PASSWORD = "correct-horse-battery"


def make_restaurant(
    session: Session,
    *,
    slug: str | None = None,
    tables: list[tuple[str, int]] | None = None,
    hours: list[tuple[int, dt.time, dt.time, str]] | None = None,
    **settings,
) -> Restaurant:
    """A restaurant open every day for lunch (12-15) and dinner (18-23) unless told
    otherwise, with tables given as (name, seats)."""
    number = next(_counter)
    defaults = dict(name=f"Restaurant {number}", slug=slug or f"resto-{number}",
                    timezone="Europe/Berlin", slot_interval_minutes=15,
                    default_turn_minutes=120, turn_times={}, lead_time_minutes=0,
                    horizon_days=365, max_online_party=8,
                    # Reminders off unless a test asks for them (reminder_hours=24): a
                    # planned reminder is one more outbox row the e-mail tests would count.
                    reminder_hours=0)
    defaults.update(settings)
    restaurant = Restaurant(**defaults)
    session.add(restaurant)
    session.flush()
    for position, (name, seats) in enumerate(tables or [("T1", 2), ("T2", 4)]):
        session.add(DiningTable(restaurant_id=restaurant.id, name=name, seats=seats,
                                min_party=1, position=position))
    if hours is None:
        hours = [(day, dt.time(12), dt.time(15), "Lunch") for day in range(7)] + \
                [(day, dt.time(18), dt.time(23), "Dinner") for day in range(7)]
    for weekday, opens, closes, name in hours:
        session.add(OpeningHours(restaurant_id=restaurant.id, weekday=weekday, opens=opens,
                                 closes=closes, name=name))
    session.commit()
    return restaurant


def make_owner(session: Session, restaurant: Restaurant | None, email: str | None = None,
               password: str = DEFAULT_PASSWORD, role: str = "owner") -> User:
    user, _ = ensure_owner(session, email or f"owner{next(_counter)}@example.com", password,
                           restaurant, role)
    session.commit()
    return user


def today(timezone: str = "Europe/Berlin") -> dt.date:
    """The date the app's clock (fixed in the tests: tests/clock.py) says it is in
    ``timezone``, the factories' restaurants' zone by default."""
    return clock.now().astimezone(ZoneInfo(timezone)).date()


def future_day(days: int = 7) -> dt.date:
    """A date safely in the future (a week ahead by default) of the app's clock."""
    return today() + dt.timedelta(days=days)


def local(restaurant: Restaurant, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A restaurant-local wall time as an aware UTC datetime."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(restaurant.timezone)
                               ).astimezone(dt.UTC)


def join_tables(session: Session, restaurant: Restaurant, names: list[str], min_party: int,
                max_party: int, name: str | None = None, position: int = 0) -> TableCombination:
    """A combination of the restaurant's tables so named (committed)."""
    by_name = {t.name: t for t in session.query(DiningTable)
               .filter_by(restaurant_id=restaurant.id)}
    combination = TableCombination(restaurant_id=restaurant.id,
                                   name=name or " + ".join(names), min_party=min_party,
                                   max_party=max_party, position=position)
    session.add(combination)
    session.flush()
    for table_name in names:
        session.add(CombinationTable(combination_id=combination.id,
                                     table_id=by_name[table_name].id,
                                     restaurant_id=restaurant.id))
    session.commit()
    return combination
