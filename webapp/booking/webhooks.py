"""Webhooks: an owner's endpoints hear about every change to a reservation.

* **Written with the change.** ``queue_events`` runs inside the reservation's write
  transaction (from ``operations.context.Write.after_write``): one INSERT … SELECT adds a
  delivery row per active endpoint that subscribes to the event, so a rolled-back write
  announces nothing and a committed one is never forgotten. A restaurant without
  webhooks pays nothing: ``restaurants.webhook_events`` (kept here, in step with its
  endpoints) is empty and no statement runs.
* **Sent after commit** by the worker (``webapp/webhook_delivery.py``), signed in the
  Standard Webhooks format, retried with backoff until the receiver answers 2xx; the
  ``webhook-id`` stays the same on every attempt so receivers de-duplicate by it.
* **Only public addresses** in production: ``url_problem`` refuses loopback, private,
  link-local and other special addresses (an SSRF guard), unless the install allows them
  (``WEBHOOKS_ALLOW_PRIVATE``, on outside production for local receivers).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session, scoped_session

from .. import clock
from ..models import Reservation, Restaurant, UTCDateTime, WebhookDelivery, WebhookEndpoint
from . import held_tables
from . import slots as slotlib
from .errors import BookingError
from .operations.committing import committed
from .setup import cached_setup, restaurant_setup

AnySession = Session | scoped_session[Any]

EVENTS = ("reservation.created", "reservation.changed", "reservation.cancelled",
          "reservation.status_changed")
EVENT_LABELS = {
    "reservation.created": "A reservation is made",
    "reservation.changed": "A reservation is moved or changed",
    "reservation.cancelled": "A reservation is cancelled",
    "reservation.status_changed": "A guest is seated, done or a no-show",
}
TEST_EVENT = "webhook.test"
MAX_ENDPOINTS = 10
# The actions the booking service reports (after_write) and the event each one is.
_ACTION_EVENTS = {"created": "reservation.created", "changed": "reservation.changed",
                  "cancelled": "reservation.cancelled", "seated": "reservation.status_changed",
                  "completed": "reservation.status_changed",
                  "no_show": "reservation.status_changed",
                  "booked": "reservation.status_changed",
                  "reinstated": "reservation.status_changed"}


class WebhookRefused(BookingError):
    code = "webhook_refused"
    http_status = 422


# --------------------------------------------------------------------------- endpoints


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot receive webhooks (None when it can): http(s) only, a host, and
    unless ``allow_private``, every address the host resolves to public."""
    if len(url) > 500:
        return "The address is too long (at most 500 characters)."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Give an http:// or https:// address, e.g. https://pos.example.com/hooks."
    if parts.username or parts.password:
        return "Put no user name or password in the address; the signature proves the sender."
    if allow_private:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        return f"The host {parts.hostname} cannot be found."
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            return (f"{parts.hostname} is a private or local address ({address}); webhooks "
                    "go only to public addresses.")
    return None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _refresh_restaurant_events(session: AnySession, restaurant: Restaurant) -> None:
    rows = session.scalars(select(WebhookEndpoint.events).where(
        WebhookEndpoint.restaurant_id == restaurant.id, WebhookEndpoint.active.is_(True)))
    wanted = sorted({event for events in rows for event in events.split()})
    restaurant.webhook_events = " ".join(wanted)


def add_endpoint(session: AnySession, restaurant: Restaurant, url: str,
                 events: Iterable[str], description: str = "", *,
                 allow_private: bool) -> WebhookEndpoint:
    """A new endpoint (committed); its ``secret`` is shown to the owner once."""
    url = url.strip()
    chosen = sorted(set(events))
    if not chosen or any(event not in EVENTS for event in chosen):
        raise WebhookRefused("Choose at least one of the events.", field="events")
    problem = url_problem(url, allow_private=allow_private)
    if problem:
        raise WebhookRefused(problem, field="url")
    count = session.scalar(select(func.count(WebhookEndpoint.id)).where(
        WebhookEndpoint.restaurant_id == restaurant.id))
    if (count or 0) >= MAX_ENDPOINTS:
        raise WebhookRefused(f"A restaurant can have {MAX_ENDPOINTS} endpoints; remove one "
                             "first.", field="url")
    endpoint = WebhookEndpoint(restaurant_id=restaurant.id, url=url, events=" ".join(chosen),
                               secret=new_secret(), description=description.strip()[:200])
    with committed(session):
        session.add(endpoint)
        session.flush()
        _refresh_restaurant_events(session, restaurant)
    return endpoint


def remove_endpoint(session: AnySession, restaurant: Restaurant,
                    endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and what it has still to send (committed)."""
    if endpoint.restaurant_id != restaurant.id:
        raise ValueError("endpoint of another restaurant")
    with committed(session):
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
        session.delete(endpoint)
        session.flush()
        _refresh_restaurant_events(session, restaurant)


def endpoints_of(session: AnySession, restaurant: Restaurant) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(
        WebhookEndpoint.restaurant_id == restaurant.id).order_by(WebhookEndpoint.id)))


def recent_deliveries(session: AnySession, endpoint: WebhookEndpoint,
                      limit: int = 20) -> list[WebhookDelivery]:
    return list(session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id.desc())
        .limit(limit)))


def send_test_event(session: AnySession, restaurant: Restaurant,
                    endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A ``webhook.test`` event for this endpoint only (committed); the worker sends it."""
    now = clock.now()
    event_id = new_event_id()
    payload = {"type": TEST_EVENT, "timestamp": _iso(now),
               "data": {"restaurant": restaurant.slug, "endpoint_id": endpoint.id}}
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event_id,
                               event_type=TEST_EVENT, payload=_dump(payload),
                               next_attempt_at=now, last_error="")
    with committed(session):
        session.add(delivery)
    return delivery


# --------------------------------------------------------------------------- events


def new_event_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def event_for(action: str) -> str | None:
    return _ACTION_EVENTS.get(action)


def _iso(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _dump(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def reservation_data(session: AnySession, restaurant: Restaurant,
                     reservation: Reservation) -> dict[str, Any]:
    """The reservation as the API shows it to the restaurant (api/representations.py:
    the same fields but ``links``; the service date in ``date``/``service_date``)."""
    setup = cached_setup(restaurant) or restaurant_setup(session, restaurant)  # type: ignore[arg-type]
    zone = ZoneInfo(restaurant.timezone)
    day = slotlib.service_date_of(setup.schedule, reservation.starts_at).isoformat()
    table_name = next((t.name for t in setup.tables if t.id == reservation.table_id), None)
    # Every table it holds, its own first (its parts' read in this transaction; an
    # inactive table's name, not in the set-up, loaded).
    tables = [{"id": t.id, "name": t.name}
              for t in held_tables.tables_of(session, reservation, table_name)]
    return {
        "id": reservation.id, "restaurant": restaurant.slug, "status": reservation.status,
        "source": reservation.source, "party_size": reservation.party_size, "date": day,
        "service_date": day, "time": slotlib.wall_time_text(reservation.starts_at, zone),
        "starts_at": _iso(reservation.starts_at), "ends_at": _iso(reservation.ends_at),
        "local_start": reservation.starts_at.astimezone(zone).isoformat(),
        "local_end": reservation.ends_at.astimezone(zone).isoformat(),
        "name": reservation.guest_name, "email": reservation.guest_email,
        "phone": reservation.guest_phone, "notes": reservation.notes,
        "version": reservation.version, "language": reservation.language,
        "confirmed_at": _iso(reservation.confirmed_at) if reservation.confirmed_at else None,
        "created_at": _iso(reservation.created_at), "updated_at": _iso(reservation.updated_at),
        "table": tables[0], "tables": tables,
    }


def queue_events(session: Session, reservation: Reservation, action: str) -> None:
    """Inside the write: one delivery per subscribed active endpoint (no statement at
    all when the restaurant has none)."""
    event = _ACTION_EVENTS.get(action)
    if event is None:
        return
    restaurant = session.get_one(Restaurant, reservation.restaurant_id)
    if event not in restaurant.webhook_events.split():
        return
    now = clock.now()
    payload = _dump({"type": event, "timestamp": _iso(now),
                     "data": reservation_data(session, restaurant, reservation)})
    # One event id per endpoint (each acknowledges its own delivery): a random prefix
    # shared by this event, then the endpoint's id.
    event_id = literal(f"msg_{secrets.token_hex(9)}_", String) + cast(WebhookEndpoint.id, String)
    endpoints = select(
        WebhookEndpoint.id, literal(event), literal(payload), literal("pending"), literal(0),
        literal(now, UTCDateTime), literal(""), literal(now, UTCDateTime), event_id,
    ).where(WebhookEndpoint.restaurant_id == restaurant.id, WebhookEndpoint.active.is_(True),
            WebhookEndpoint.events.contains(event, autoescape=True))
    session.execute(insert(WebhookDelivery).from_select(
        ["endpoint_id", "event_type", "payload", "status", "attempts", "next_attempt_at",
         "last_error", "created_at", "event_id"], endpoints))
