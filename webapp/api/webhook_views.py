"""/api/v1 webhook endpoints: list, add (the secret in that answer only), test, remove.
The rules are in booking/webhooks.py, shared with the dashboard's page."""

from __future__ import annotations

from flask import current_app, url_for
from sqlalchemy import select

from ..booking import webhooks as hooks
from ..extensions import db
from ..models import WebhookEndpoint
from ..owner.webhooks import WebhookForm
from . import representations as rep
from .auth import owner_restaurant
from .blueprint import bp
from .bodies import bind
from .common import json_response
from .errors import not_found
from .operations import documented


def _endpoint(restaurant_id: int, endpoint_id: int) -> WebhookEndpoint:
    row = db.session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.restaurant_id == restaurant_id))
    if row is None:
        raise not_found("There is no such webhook endpoint.")
    return row


@bp.get("/restaurants/<slug>/webhooks")
@documented(summary="The webhook endpoints", tag="Owner: webhooks", auth="owner", scope="read",
            responses={200: ("WebhookEndpointList", "Every endpoint of the restaurant.")})
def webhooks(slug: str):
    restaurant, _ = owner_restaurant(slug)
    return json_response({"webhooks": [rep.webhook_endpoint(row) for row in
                                       hooks.endpoints_of(db.session, restaurant)]})


@bp.post("/restaurants/<slug>/webhooks")
@documented(summary="Add a webhook endpoint", tag="Owner: webhooks", auth="owner",
            scope="setup", body=lambda: WebhookForm,
            description="Events go only to public http(s) addresses in production. The "
                        "answer holds the endpoint's signing secret, shown this once.",
            responses={201: ("WebhookEndpointCreated", "The new endpoint with its secret.")})
def create_webhook(slug: str):
    restaurant, _ = owner_restaurant(slug)
    form = bind(WebhookForm, restaurant_id=restaurant.id)
    endpoint = hooks.add_endpoint(db.session, restaurant, form.url.data, form.events.data,
                                  form.description.data or "",
                                  allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    return json_response(rep.webhook_endpoint(endpoint, secret=True), 201, location=url_for(
        "api.webhooks", slug=restaurant.slug, _external=True))


@bp.post("/restaurants/<slug>/webhooks/<int:endpoint_id>/test")
@documented(summary="Send a test event", tag="Owner: webhooks", auth="owner", scope="setup",
            description="Queues a `webhook.test` event for this endpoint; the worker sends it.",
            responses={202: (None, "Queued.")})
def test_webhook(slug: str, endpoint_id: int):
    restaurant, _ = owner_restaurant(slug)
    hooks.send_test_event(db.session, restaurant, _endpoint(restaurant.id, endpoint_id))
    return "", 202


@bp.delete("/restaurants/<slug>/webhooks/<int:endpoint_id>")
@documented(summary="Remove a webhook endpoint", tag="Owner: webhooks", auth="owner",
            scope="setup", responses={204: (None, "Removed, with what it had still to send.")})
def delete_webhook(slug: str, endpoint_id: int):
    restaurant, _ = owner_restaurant(slug)
    hooks.remove_endpoint(db.session, restaurant, _endpoint(restaurant.id, endpoint_id))
    return "", 204
