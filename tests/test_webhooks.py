"""Webhooks end to end: events written in the booking's transaction, sent to a real HTTP
receiver on loopback that fails its first answers, signatures checked with the
receiver's own code (standardwebhooks), nothing lost when a worker dies mid-delivery."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.factories import future_day, local, make_restaurant
from webapp import clock
from webapp.booking import service, webhooks
from webapp.booking.operations.context import WriteContext
from webapp.booking.service import GuestDetails
from webapp.models import WebhookDelivery
from webapp.webhook_delivery import deliver_due_webhooks


@dataclass
class Receiver:
    """An HTTP server on loopback: answers 500 to the first ``fail_first`` requests, then
    verifies each with the endpoint's secret and records it once per webhook-id."""

    secret: str = ""
    fail_first: int = 0
    requests: int = 0
    events: dict[str, dict] = field(default_factory=dict)
    duplicates: int = 0
    bad_signatures: int = 0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests += 1
            if state.requests <= state.fail_first:
                self.send_response(500)
                self.end_headers()
                return
            try:
                event = Webhook(state.secret).verify(body, dict(self.headers))
            except WebhookVerificationError:
                state.bad_signatures += 1
                self.send_response(400)
                self.end_headers()
                return
            event_id = self.headers["webhook-id"]
            if event_id in state.events:
                state.duplicates += 1
            state.events[event_id] = event
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


CONFIG = {"WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOK_MAX_ATTEMPTS": 10}


def _book(session, restaurant, hour, email):
    write = WriteContext(actor="test").start(notify=True)
    result = service.book(session, restaurant, starts_at=local(restaurant, future_day(5), hour),
                          party_size=2, guest=GuestDetails("Ada Guest", email), source="online",
                          after_write=write.after_write)
    return result.reservation


def _deliver_until_quiet(session, rounds=12):
    """Passes of the worker, each a backoff later than the last (the clock is moved, not
    waited for)."""
    moment = clock.now()
    for _ in range(rounds):
        report = deliver_due_webhooks(session, CONFIG, now=moment)
        if not (report.sent or report.retrying) and not session.scalar(
                select(func.count(WebhookDelivery.id)).where(WebhookDelivery.status == "pending")):
            return
        moment += dt.timedelta(hours=7)  # past the longest backoff


def test_a_restaurant_without_webhooks_writes_no_delivery(session):
    restaurant = make_restaurant(session)
    _book(session, restaurant, 19, "a@example.com")
    assert session.scalar(select(func.count(WebhookDelivery.id))) == 0
    assert restaurant.webhook_events == ""


def test_every_event_arrives_signed_despite_failures(session, receiver):
    restaurant = make_restaurant(session, tables=[("T1", 2), ("T2", 4)])
    endpoint = webhooks.add_endpoint(session, restaurant, receiver.url, webhooks.EVENTS,
                                     allow_private=True)
    other = webhooks.add_endpoint(session, restaurant, receiver.url + "?only=cancel",
                                  ["reservation.cancelled"], allow_private=True)
    receiver.secret = endpoint.secret
    receiver.fail_first = 3
    reservation = _book(session, restaurant, 19, "b@example.com")
    write = WriteContext(actor="owner").start(notify=False)
    service.set_status(session, restaurant, reservation.id, "cancelled",
                       after_write=write.after_write)
    # created + cancelled for the first endpoint, cancelled for the second.
    rows = session.scalars(select(WebhookDelivery)).all()
    assert sorted((r.endpoint_id, r.event_type) for r in rows) == sorted([
        (endpoint.id, "reservation.created"), (endpoint.id, "reservation.cancelled"),
        (other.id, "reservation.cancelled")])
    # The second endpoint signs with its own secret, which this receiver does not know:
    # remove it so every request the receiver gets must verify.
    webhooks.remove_endpoint(session, restaurant, other)

    _deliver_until_quiet(session)
    assert receiver.bad_signatures == 0
    assert sorted(e["type"] for e in receiver.events.values()) == [
        "reservation.cancelled", "reservation.created"]
    created = next(e for e in receiver.events.values() if e["type"] == "reservation.created")
    assert created["data"]["id"] == reservation.id
    assert created["data"]["service_date"] == future_day(5).isoformat()
    assert created["data"]["time"] == "19:00"
    assert receiver.requests == 3 + 2  # three refused answers, then each event once
    session.expire_all()
    assert {r.status for r in session.scalars(select(WebhookDelivery))} == {"sent"}


def test_a_worker_that_dies_mid_delivery_loses_nothing(session, receiver):
    """The claim commits a lease before the request leaves: a worker killed after it
    (simulated by claiming and never recording) leaves the row to be sent again once the
    lease ends; the receiver sees the same webhook-id and keeps one copy."""
    restaurant = make_restaurant(session)
    endpoint = webhooks.add_endpoint(session, restaurant, receiver.url, ["reservation.created"],
                                     allow_private=True)
    receiver.secret = endpoint.secret
    _book(session, restaurant, 19, "c@example.com")

    sent_once: list[str] = []

    def send_then_die(url, headers, body):
        from webapp.webhook_delivery import post

        post(url, headers, body)  # the receiver got it ...
        sent_once.append(headers["webhook-id"])
        raise SystemExit("worker killed before recording")  # ... the worker never knew

    with pytest.raises(SystemExit):
        deliver_due_webhooks(session, CONFIG, send=send_then_die)
    session.rollback()
    # Within the lease nobody sends it again; after it, the next pass does.
    assert deliver_due_webhooks(session, CONFIG).sent == 0
    later = clock.now() + dt.timedelta(minutes=2)
    assert deliver_due_webhooks(session, CONFIG, now=later).sent == 1
    assert receiver.requests == 2 and receiver.duplicates == 1
    assert list(receiver.events) == sent_once


def test_a_receiver_that_never_answers_is_given_up_after_the_attempts(session):
    restaurant = make_restaurant(session)
    webhooks.add_endpoint(session, restaurant, "http://127.0.0.1:9/nobody", ["reservation.created"],
                          allow_private=True)
    _book(session, restaurant, 19, "d@example.com")
    moment = clock.now()
    for _ in range(CONFIG["WEBHOOK_MAX_ATTEMPTS"]):
        deliver_due_webhooks(session, CONFIG, now=moment)
        moment += dt.timedelta(hours=7)
    row = session.scalars(select(WebhookDelivery)).one()
    assert (row.status, row.attempts) == ("failed", 10)
    assert row.last_error.startswith("no answer")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8000/hook", "http://10.0.0.5/hook",
    "http://192.168.1.10/hook", "http://169.254.169.254/latest/meta-data", "http://[::1]/hook",
    "http://0.0.0.0/hook",
])
def test_private_addresses_are_refused_in_production(url):
    assert "private or local" in (webhooks.url_problem(url, allow_private=False) or "")
    assert webhooks.url_problem(url, allow_private=True) is None


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "https://",
                                 "https://user:pw@example.com/hook"])
def test_other_bad_addresses_are_refused(url):
    assert webhooks.url_problem(url, allow_private=True)


def test_the_test_event_reaches_the_endpoint(session, receiver):
    restaurant = make_restaurant(session)
    endpoint = webhooks.add_endpoint(session, restaurant, receiver.url, ["reservation.created"],
                                     allow_private=True)
    receiver.secret = endpoint.secret
    webhooks.send_test_event(session, restaurant, endpoint)
    assert deliver_due_webhooks(session, CONFIG).sent == 1
    (event,) = receiver.events.values()
    assert event["type"] == "webhook.test"
    assert json.dumps(event["data"]) == json.dumps({"restaurant": restaurant.slug,
                                                    "endpoint_id": endpoint.id})


def test_taking_a_cancellation_back_is_a_status_change(session, receiver):
    """docs/api.md: reservation.status_changed covers a booking "taken back to booked".
    Reinstating a cancellation was reported as reservation.changed (the service tells its
    callers "changed", for the guest's e-mail) although nothing but the status moved."""
    restaurant = make_restaurant(session)
    endpoint = webhooks.add_endpoint(session, restaurant, receiver.url, webhooks.EVENTS,
                                     allow_private=True)
    reservation = _book(session, restaurant, 19, "c@example.com")
    for status in ("cancelled", "booked"):
        write = WriteContext(actor="owner").start(notify=True)
        if status == "booked":
            service.reinstate(session, restaurant, reservation.id, "booked",
                              after_write=write.after_write)
        else:
            service.set_status(session, restaurant, reservation.id, status,
                               after_write=write.after_write)
        session.commit()
    rows = session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                           .order_by(WebhookDelivery.id)).all()
    assert [r.event_type for r in rows] == ["reservation.created", "reservation.cancelled",
                                            "reservation.status_changed"]
    assert json.loads(rows[-1].payload)["data"]["status"] == "booked"
