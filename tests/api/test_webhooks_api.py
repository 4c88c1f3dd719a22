"""The webhook endpoints through /api/v1: JSON arrays for the events, the secret in the
201 answer only, refusals as problem+json, another restaurant's endpoint 404."""

from __future__ import annotations

import json

from sqlalchemy import select

from webapp.booking import webhooks
from webapp.models import WebhookDelivery, WebhookEndpoint

from .conftest import API, booking


def test_add_list_test_and_remove_an_endpoint(client, session, restaurant, auth):
    response = client.post(f"{API}/restaurants/trattoria/webhooks", headers=auth, json={
        "url": "https://pos.example.com/hooks", "description": "Till",
        "events": ["reservation.created", "reservation.cancelled"]})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["secret"].startswith("whsec_")
    assert made["events"] == ["reservation.cancelled", "reservation.created"]
    listed = client.get(f"{API}/restaurants/trattoria/webhooks", headers=auth).get_json()
    assert [row["id"] for row in listed["webhooks"]] == [made["id"]]
    assert "secret" not in listed["webhooks"][0]

    assert client.post(f"{API}/restaurants/trattoria/webhooks/{made['id']}/test",
                       headers=auth).status_code == 202
    assert session.scalars(select(WebhookDelivery.event_type)).all() == ["webhook.test"]
    assert client.delete(f"{API}/restaurants/trattoria/webhooks/{made['id']}",
                         headers=auth).status_code == 204
    assert session.scalars(select(WebhookEndpoint)).all() == []


def test_refusals_are_problems_with_the_field(client, session, restaurant, auth):
    response = client.post(f"{API}/restaurants/trattoria/webhooks", headers=auth, json={
        "url": "gopher://x", "events": ["reservation.created"]})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "url" in str(response.get_json())
    response = client.post(f"{API}/restaurants/trattoria/webhooks", headers=auth, json={
        "url": "https://pos.example.com/hooks", "events": ["reservation.eaten"]})
    assert response.status_code == 422
    response = client.post(f"{API}/restaurants/trattoria/webhooks", headers=auth, json={
        "url": "https://pos.example.com/hooks", "events": "reservation.created"})
    assert response.status_code in (201, 422)  # one value is a list of one to a form
    assert session.scalar(select(WebhookEndpoint.id).where(
        WebhookEndpoint.url == "gopher://x")) is None


def test_another_restaurants_endpoint_is_404(client, session, restaurant, other_restaurant,
                                             auth):
    theirs = webhooks.add_endpoint(session, other_restaurant, "https://x.example.com/h",
                                   ["reservation.created"], allow_private=True)
    assert client.delete(f"{API}/restaurants/trattoria/webhooks/{theirs.id}",
                         headers=auth).status_code == 404
    assert client.post(f"{API}/restaurants/trattoria/webhooks/{theirs.id}/test",
                       headers=auth).status_code == 404
    assert session.get(WebhookEndpoint, theirs.id) is not None


def test_a_reservation_event_carries_the_bookings_language_as_the_api_shows_it(
        client, session, restaurant, auth, day):
    """The event's ``data`` is the reservation as the API's Reservation shows it: the
    booking's language too (the receiver writes to the guest in it), and each field it
    carries has the API's value."""
    client.post(f"{API}/restaurants/trattoria/webhooks", headers=auth, json={
        "url": "https://pos.example.com/hooks", "events": ["reservation.created"]})
    made = client.post(f"{API}/restaurants/trattoria/reservations", headers=auth,
                       json={**booking(day), "source": "phone", "language": "de"})
    assert made.status_code == 201, made.get_json()
    shown = made.get_json()
    payload = session.scalars(select(WebhookDelivery.payload).where(
        WebhookDelivery.event_type == "reservation.created")).one()
    data = json.loads(payload)["data"]
    assert data["language"] == "de" == shown["language"]
    assert {key: shown[key] for key in data} == data
    # Every field but the API's own links (the docs say "the same fields"), and never the
    # guest's manage token, which only the booking's own answer carries.
    assert set(data) == set(shown) - {"links", "manage_token"}
