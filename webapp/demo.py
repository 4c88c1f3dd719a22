"""The demo restaurant: a handful of tables, lunch and dinner, some bookings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock
from .auth.passwords import ensure_owner
from .booking import service
from .booking.availability import bookable_times
from .booking.errors import BookingError
from .booking.operations import combinations
from .booking.operations.setup import SetupRefused
from .models import DiningTable, OpeningHours, Reservation, Restaurant, TableCombination

DEMO_SLUG = "demo"
DEMO_EMAIL = "owner@demo.example"
DEMO_PASSWORD = "demo-owner-1234"

TABLES = [  # name, seats, min party, area
    ("Monaco", 2, 1, "Window"), ("Roma", 2, 1, "Window"), ("Napoli", 4, 2, "Main room"),
    ("Milano", 4, 2, "Main room"), ("Firenze", 6, 3, "Main room"), ("Venezia", 8, 5, "Garden"),
]
# Neighbouring tables the demo lets be joined (party ranges: the defaults, 5-8 and 3-4).
JOINED = [("Napoli", "Milano"), ("Monaco", "Roma")]
GUESTS = [("Ada Lovelace", 2), ("Alan Turing", 4), ("Grace Hopper", 3), ("Edsger Dijkstra", 2),
          ("Barbara Liskov", 6), ("Leslie Lamport", 2)]


def ensure_demo(session: Session, today: dt.date | None = None) -> tuple[Restaurant, bool]:
    """Create the demo restaurant, its owner and a few bookings; idempotent."""
    restaurant = session.scalar(select(Restaurant).where(Restaurant.slug == DEMO_SLUG))
    created = restaurant is None
    if restaurant is None:
        restaurant = Restaurant(
            name="Trattoria Demo", slug=DEMO_SLUG, timezone="Europe/Berlin",
            slot_interval_minutes=15, default_turn_minutes=90,
            turn_times={"1": 90, "3": 120, "5": 150}, lead_time_minutes=60, horizon_days=60,
            max_online_party=8, phone="+49 30 1234567", email="ciao@demo.example",
            address="Via Demo 1, Berlin",
            description="Fresh pasta, wood-fired pizza and a small garden.",
        )
        session.add(restaurant)
        session.flush()
        for position, (name, seats, min_party, area) in enumerate(TABLES):
            session.add(DiningTable(restaurant_id=restaurant.id, name=name, seats=seats,
                                    min_party=min_party, area=area, position=position))
        for weekday in range(1, 7):  # closed on Mondays
            session.add(OpeningHours(restaurant_id=restaurant.id, weekday=weekday, name="Lunch",
                                     opens=dt.time(12), closes=dt.time(15)))
            session.add(OpeningHours(restaurant_id=restaurant.id, weekday=weekday, name="Dinner",
                                     opens=dt.time(18), closes=dt.time(23)))
    ensure_owner(session, DEMO_EMAIL, DEMO_PASSWORD, restaurant)
    session.commit()
    _join_some(session, restaurant)
    if not session.scalar(select(func.count(Reservation.id))
                          .where(Reservation.restaurant_id == restaurant.id)):
        _book_some(session, restaurant, today)
    return restaurant, created


def _join_some(session: Session, restaurant: Restaurant) -> None:
    """The demo's table combinations, when it has none yet (a demo made before they
    existed gains them; its tables and bookings stay as they are)."""
    if session.scalar(select(TableCombination.id)
                      .where(TableCombination.restaurant_id == restaurant.id).limit(1)):
        return
    tables: dict[str, int] = dict(session.execute(
        select(DiningTable.name, DiningTable.id)
        .where(DiningTable.restaurant_id == restaurant.id)).tuples().all())
    for names in JOINED:
        if all(name in tables for name in names):
            try:
                combinations.add_combination(session, restaurant, combinations.CombinationDetails(
                    table_ids=tuple(tables[name] for name in names)))
            except SetupRefused:  # an owner's own combination already has the name
                continue


def _book_some(session: Session, restaurant: Restaurant, today: dt.date | None) -> None:
    zone_today = today or clock.now().date()
    day = zone_today + dt.timedelta(days=1)
    while day.weekday() == 0:
        day += dt.timedelta(days=1)
    for number, (name, party) in enumerate(GUESTS):
        times = bookable_times(session, restaurant, day, party, online=False)
        if not times:
            continue
        pick = times[(number * 7) % len(times)]
        email = name.lower().replace(" ", ".") + "@guest.example"
        try:
            service.book(session, restaurant, starts_at=pick.starts_at, party_size=party,
                         guest=service.GuestDetails(name, email, "", ""), source="phone",
                         actor="demo")
        except BookingError:
            continue
