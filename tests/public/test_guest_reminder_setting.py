"""The reminder is a restaurant setting: 24 hours before unless the owner changes it, 0 for
none, set on the owner's settings page and through the API; a guest's booking plans its
reminder by it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner
from webapp.auth.tokens import create_token
from webapp.booking.operations.restaurants import create_restaurant
from webapp.models import OutboxEmail, Restaurant

SETTINGS = {"name": "Bistro Blau", "slug": "bistro", "timezone": "Europe/Berlin",
            "slot_interval_minutes": "15", "default_turn_minutes": "120", "turn_times": "",
            "lead_time_minutes": "0", "horizon_days": "365", "max_online_party": "8",
            "country": "DE", "phone": "+49 30 1234567", "email": "", "address": "Kanalstraße 1",
            "description": ""}


def reminders(session) -> list[OutboxEmail]:
    session.commit()
    return list(session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "reminder")))


def book_online(client, day: dt.date, time: str, email: str) -> None:
    response = client.post_form("/r/bistro/book", {
        "date": day.isoformat(), "time": time, "party_size": "2", "name": "Ada",
        "email": email, "phone": "+44 20 7946 0958"})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]


def test_a_new_restaurant_reminds_24_hours_before(session):
    restaurant = create_restaurant(session, slug="fresh", name="Fresh", timezone="Europe/Berlin")
    session.commit()
    assert session.get(Restaurant, restaurant.id).reminder_hours == 24


def test_the_owner_sets_the_reminder_time_or_switches_it_off(client, session, restaurant):
    make_owner(session, restaurant, "owner@example.com")
    client.login("owner@example.com", DEFAULT_PASSWORD)
    day = future_day(7)

    saved = client.post_form("/owner/bistro/settings", {**SETTINGS, "reminder_hours": "0"})
    assert saved.status_code == 303, saved.get_data(as_text=True)[:400]
    book_online(client, day, "12:00", "off@example.com")
    assert reminders(session) == []

    saved = client.post_form("/owner/bistro/settings", {**SETTINGS, "reminder_hours": "48"})
    assert saved.status_code == 303
    assert 'value="48"' in client.get("/owner/bistro/settings").get_data(as_text=True)
    book_online(client, day, "19:00", "on@example.com")
    (row,) = reminders(session)
    assert row.to_address == "on@example.com"
    assert row.next_attempt_at == local(restaurant, day, 19) - dt.timedelta(hours=48)

    refused = client.post_form("/owner/bistro/settings", {**SETTINGS, "reminder_hours": "-1"})
    assert refused.status_code == 422


def test_the_api_reads_and_sets_the_reminder_time(client, session, restaurant):
    _, token = create_token(session, restaurant.id, "tests")
    session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/restaurants/bistro/settings",
                      headers=auth).get_json()["reminder_hours"] == 0  # the factory's: off
    answer = client.patch("/api/v1/restaurants/bistro/settings", headers=auth,
                          json={"reminder_hours": 12})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:400]
    assert answer.get_json()["reminder_hours"] == 12
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).reminder_hours == 12
    assert client.patch("/api/v1/restaurants/bistro/settings", headers=auth,
                        json={"reminder_hours": -3}).status_code == 422
