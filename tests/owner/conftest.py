"""Owner dashboard fixtures: a restaurant, its owner logged in, a booking helper."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp.booking import service
from webapp.booking.service import GuestDetails


@pytest.fixture
def restaurant(session):
    return make_restaurant(session, name="Chez Test", slug="chez-test",
                           tables=[("T1", 2), ("T2", 4), ("T3", 4)])


@pytest.fixture
def owner(session, restaurant):
    return make_owner(session, restaurant, "owner@example.com")


@pytest.fixture
def owner_client(client, owner):
    client.login("owner@example.com", DEFAULT_PASSWORD)
    return client


@pytest.fixture
def day() -> dt.date:
    return future_day(7)


@pytest.fixture
def book(session, restaurant, day):
    """book(hour, minute=0, party=2, name=..., table=None) -> Reservation (a guest's online booking)."""

    def make(hour: int, minute: int = 0, party: int = 2, name: str = "Ada Guest",
             table: str | None = None, email: str = "", phone: str = "", when: dt.date = None):
        table_id = None
        if table is not None:
            table_id = next(t.id for t in restaurant.tables if t.name == table)
        result = service.book(session, restaurant, starts_at=local(restaurant, when or day, hour,
                                                                   minute),
                              party_size=party, guest=GuestDetails(name, email, phone),
                              table_id=table_id, source="online" if table is None else "phone")
        return result.reservation

    return make
