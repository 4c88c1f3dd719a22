"""Guests' phone numbers: parsed in the restaurant's country, stored in E.164, refused
under the Phone field when they cannot be valid (owner page and API, guest page and
API), shown to the restaurant in its national format."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_restaurant
from tests.operations.conftest import PAGE, stored, table_id
from tests.public.conftest import TOKEN_IN_PAGE
from webapp.booking.phones import country_for_zone, parse_phone
from webapp.models import Reservation


def _book(door, restaurant, day, phone, time="19:00"):
    return door.book(date=day.isoformat(), time=time, party_size=2,
                     table=table_id(restaurant, "T4"), name="Grace Hopper",
                     email="grace@example.com", phone=phone)


@pytest.mark.parametrize(("typed", "e164"), [("+49 (0) 170 / 123 45 67", "+491701234567"),
                                             ("0171 5555555", "+491715555555")])
def test_the_owner_books_a_phone_number_stored_in_e164(door, session, restaurant, day, typed,
                                                       e164):
    answer = _book(door, restaurant, day, typed)
    assert answer.reservation_id, answer.text[:300]
    assert stored(session, answer.reservation_id).guest_phone == e164


def test_a_number_that_cannot_be_valid_is_refused_under_phone(door, session, restaurant, day):
    answer = _book(door, restaurant, day, "0171 555")
    assert answer.status == 422, answer.status
    assert "is not a valid phone number" in answer.text
    if door.name == "api":
        assert "phone" in answer.body["errors"]
    else:
        assert re.search(r'id="phone-error"[^>]*>[^<]*is not a valid phone number', answer.text)
    assert session.query(Reservation).count() == 0


def test_the_owner_sees_the_national_format(door, client, session, restaurant, day):
    answer = _book(door, restaurant, day, "+49 171 5555555")
    html = client.get(f"{PAGE}/reservations/{answer.reservation_id}").get_data(as_text=True) \
        if door.name == "page" else None
    if html is not None:
        assert "0171 5555555" in html and 'href="tel:+491715555555"' in html


GUEST_FORM = {"time": "19:00", "party_size": "2", "name": "Ada", "email": "ada@example.com"}


def test_the_guest_page_stores_e164_and_refuses_an_invalid_number(client, session, restaurant,
                                                                  day):
    page = client.get("/r/bistro").get_data(as_text=True)
    token = TOKEN_IN_PAGE.search(page)[1]
    refused = client.post("/r/bistro/book", data={**GUEST_FORM, "date": day.isoformat(),
                                                   "phone": "0171 555", "csrf_token": token})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert ('<small class="field-error" id="phone-error">“0171 555” is not a valid phone '
            'number.</small>') in body  # under the Phone field
    assert session.query(Reservation).count() == 0
    booked = client.post("/r/bistro/book", data={**GUEST_FORM, "date": day.isoformat(),
                                                  "phone": "0171 5555555", "csrf_token": token})
    assert booked.status_code == 303, booked.get_data(as_text=True)[:300]
    assert session.query(Reservation).one().guest_phone == "+491715555555"


def test_the_guest_api_refuses_an_invalid_number_as_a_phone_error(client, session, restaurant,
                                                                  day):
    url = "/api/v1/restaurants/bistro/reservations"
    refused = client.post(url, json={**GUEST_FORM, "party_size": 2, "date": day.isoformat(),
                                     "phone": "+49 30 1"})
    assert refused.status_code == 422 and "phone" in refused.get_json()["errors"]
    booked = client.post(url, json={**GUEST_FORM, "party_size": 2, "date": day.isoformat(),
                                    "phone": "+49 (0) 170 / 123 45 67"})
    assert booked.status_code == 201, booked.get_json()
    assert booked.get_json()["phone"] == "+491701234567"


def test_the_same_guest_by_phone_in_another_spelling_is_one_guest(client, session, restaurant,
                                                                   day):
    url = "/api/v1/restaurants/bistro/reservations"
    first = {**GUEST_FORM, "party_size": 2, "date": day.isoformat(), "phone": "0171 5555555"}
    assert client.post(url, json=first).status_code == 201
    twin = {**first, "email": "someone@example.com", "name": "Someone", "time": "19:30",
            "phone": "+49 171 555 55 55"}
    answer = client.post(url, json=twin)
    assert answer.status_code == 409 and "phone" in answer.get_json().get("errors", {})


def test_a_restaurant_gets_its_country_from_its_time_zone(session):
    assert make_restaurant(session, timezone="Europe/Paris").country == "FR"
    assert make_restaurant(session, timezone="America/New_York").country == "US"
    assert country_for_zone("UTC") == ""


def test_without_a_country_a_number_needs_its_country_code():
    assert parse_phone("+44 20 7946 0958", "") == "+442079460958"
    with pytest.raises(Exception, match="Start it with \\+"):
        parse_phone("0171 5555555", "")
