"""A guest's reservation by its manage token: read, change, cancel."""

from __future__ import annotations

from tests.api.conftest import API, assert_problem, booking
from tests.factories import make_restaurant
from webapp.models import OutboxEmail, Reservation

BOOK = f"{API}/restaurants/trattoria/reservations"


def _book(client, day, time="19:00", **extra):
    response = client.post(BOOK, json=booking(day, time, **extra))
    assert response.status_code == 201, response.json
    return response.json


def test_guest_reads_their_reservation(client, restaurant, day):
    made = _book(client, day)
    body = client.get(f"{API}/reservations/{made['manage_token']}").json
    assert body["id"] == made["id"] and body["time"] == "19:00"
    assert "source" not in body  # owner-only detail


def test_unknown_token_is_404(client, restaurant):
    assert_problem(client.get(f"{API}/reservations/not-a-token"), 404)
    assert_problem(client.patch(f"{API}/reservations/not-a-token", json={"time": "20:00"}), 404)
    assert_problem(client.delete(f"{API}/reservations/not-a-token"), 404)


def test_guest_moves_the_time_with_json(client, session, restaurant, day):
    made = _book(client, day)
    response = client.patch(f"{API}/reservations/{made['manage_token']}", json={"time": "20:00"})
    assert response.status_code == 200, response.json
    assert response.json["time"] == "20:00" and response.json["party_size"] == 2
    assert response.json["version"] == 2
    assert session.query(OutboxEmail).count() == 2  # confirmation + change


def test_guest_changes_party_size_with_a_form_post(client, restaurant, day):
    made = _book(client, day)
    response = client.patch(f"{API}/reservations/{made['manage_token']}",
                            data={"party_size": "4"})
    assert response.status_code == 200, response.json
    assert response.json["party_size"] == 4 and response.json["table"]["name"] == "T4"


def test_bad_change_is_422_and_changes_nothing(client, session, restaurant, day):
    made = _book(client, day)
    response = client.patch(f"{API}/reservations/{made['manage_token']}", json={"time": "25:00"})
    assert_problem(response, 422, "time")
    assert client.get(f"{API}/reservations/{made['manage_token']}").json["version"] == 1


def test_change_to_a_taken_time_is_409(client, session, day):
    make_restaurant(session, slug="trattoria", tables=[("Solo", 2)])
    _book(client, day, "19:00", email="other@example.com", phone="030 9999999")
    made = _book(client, day, "12:00")
    response = client.patch(f"{API}/reservations/{made['manage_token']}", json={"time": "19:30"})
    assert assert_problem(response, 409)["code"] == "slot_taken"


def test_guest_cancels_and_cannot_cancel_twice(client, session, restaurant, day):
    made = _book(client, day)
    response = client.delete(f"{API}/reservations/{made['manage_token']}")
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert session.query(Reservation).one().status == "cancelled"
    again = client.delete(f"{API}/reservations/{made['manage_token']}")
    assert assert_problem(again, 409)["code"] == "not_changeable"
    assert_problem(client.patch(f"{API}/reservations/{made['manage_token']}",
                                json={"time": "20:00"}), 409)
