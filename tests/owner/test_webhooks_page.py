"""The owner's webhooks page: add an endpoint (secret shown once), refusals under their
field, a test event, removal; owners only, other restaurants' endpoints 404."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.booking import webhooks
from webapp.models import WebhookDelivery, WebhookEndpoint


def _add(client, url="https://hooks.example.com/bm", events=("reservation.created",)):
    return client.post_form("/owner/chez-test/webhooks", {
        "url": url, "description": "Till", "events": list(events)})


def test_adding_an_endpoint_shows_its_secret_once(owner_client, session, restaurant):
    response = _add(owner_client)
    assert response.status_code == 201
    endpoint = session.scalars(select(WebhookEndpoint)).one()
    assert endpoint.secret in response.get_data(as_text=True)
    assert endpoint.events == "reservation.created"
    session.refresh(restaurant)
    assert restaurant.webhook_events == "reservation.created"
    again = owner_client.get("/owner/chez-test/webhooks").get_data(as_text=True)
    assert endpoint.secret not in again and "https://hooks.example.com/bm" in again


def test_refusals_are_shown_under_their_field(owner_client, session):
    response = _add(owner_client, url="ftp://nope")
    assert response.status_code == 422
    assert "Give an http:// or https:// address" in response.get_data(as_text=True)
    response = _add(owner_client, events=())
    assert response.status_code == 422
    assert "Choose at least one event." in response.get_data(as_text=True)
    assert session.scalars(select(WebhookEndpoint)).all() == []


def test_test_event_and_removal(owner_client, session, restaurant):
    _add(owner_client)
    endpoint = session.scalars(select(WebhookEndpoint)).one()
    response = owner_client.post_form(f"/owner/chez-test/webhooks/{endpoint.id}/test")
    assert response.status_code == 303
    assert session.scalars(select(WebhookDelivery.event_type)).all() == ["webhook.test"]
    response = owner_client.post_form(f"/owner/chez-test/webhooks/{endpoint.id}/delete")
    assert response.status_code == 303
    session.expire_all()
    assert session.scalars(select(WebhookEndpoint)).all() == []
    assert session.scalars(select(WebhookDelivery)).all() == []
    session.refresh(restaurant)
    assert restaurant.webhook_events == ""


def test_staff_may_not_and_other_restaurants_are_404(client, session, restaurant):
    other = make_restaurant(session, slug="elsewhere")
    theirs = webhooks.add_endpoint(session, other, "https://x.example.com/h",
                                   ["reservation.created"], allow_private=True)
    make_owner(session, restaurant, "staffer@example.com", role="staff")
    client.login("staffer@example.com", DEFAULT_PASSWORD)
    assert client.get("/owner/chez-test/webhooks").status_code == 403
    assert client.post_form("/owner/chez-test/webhooks", {
        "url": "https://a.example.com/h", "events": ["reservation.created"]}).status_code == 403
    client.post_form("/logout")
    make_owner(session, restaurant, "boss@example.com")
    client.login("boss@example.com", DEFAULT_PASSWORD)
    response = client.post_form(f"/owner/chez-test/webhooks/{theirs.id}/delete")
    assert response.status_code == 404
    assert session.get(WebhookEndpoint, theirs.id) is not None


def test_the_german_page_names_the_events_in_german(owner_client, session, restaurant):
    _add(owner_client)
    html = owner_client.get("/owner/chez-test/webhooks?lang=de").get_data(as_text=True)
    # The form's choices and the endpoint's event badge (its title).
    assert "> Eine Reservierung wird angelegt <code>reservation.created</code>" in html
    assert "Ein Gast wird platziert, ist fertig oder erscheint nicht" in html
    assert 'title="Eine Reservierung wird angelegt">reservation.created<' in html
    assert "A reservation is made" not in html
    english = owner_client.get("/owner/chez-test/webhooks?lang=en").get_data(as_text=True)
    assert "> A reservation is made <code>reservation.created</code>" in english
