"""Request ids, structured request logs, security headers and /metrics."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.booking.errors import LockTimeout, SlotTaken
from webapp.booking.locks import slot_lock_keys
from webapp.booking.service import GuestDetails, WritePolicy
from webapp.extensions import db
from webapp.observability import ACCESS_LOGGER, JsonFormatter


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_id_is_generated_and_echoed(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_incoming_request_id_is_honoured_when_sane(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"})
    assert response.headers["X-Request-ID"] == "lb-1234.abc"
    for forged in ('x", "level": "fake', "a" * 500, "<script>"):
        answer = client.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert answer != forged and len(answer) == 32


def test_one_json_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = client.get("/no-such-page?q=1", headers={"X-Request-ID": "req-42"})
    records = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "req-42" == response.headers["X-Request-ID"]
    assert entry["method"] == "GET" and entry["path"] == "/no-such-page"
    assert entry["status"] == 404
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["level"] == "info" and entry["ts"].endswith("+00:00")


def test_manage_tokens_stay_out_of_the_log(client, caplog):
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        client.get("/r/some-place/b/SECRET-TOKEN-123")
        client.get("/api/v1/reservations/SECRET-TOKEN-456")
        client.get("/api/v1/restaurants/some-place/reservations/42")
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == ACCESS_LOGGER]
    assert len(lines) == 3
    assert "SECRET-TOKEN" not in "".join(lines)
    assert "/reservations/42" in lines[2]  # an owner's reservation number is no secret


def test_app_log_lines_carry_the_request_id(app, client, caplog):
    with caplog.at_level(logging.INFO, logger="webapp"), \
            app.test_request_context("/", headers={"X-Request-ID": "abc-1"}):
        app.preprocess_request()
        app.logger.warning("something odd")
    (record,) = [r for r in caplog.records if r.getMessage() == "something odd"]
    # The filter sits on our handler; apply it as the handler would.
    handler = next(h for h in logging.getLogger("webapp").handlers if h.filters)
    with app.test_request_context("/", headers={"X-Request-ID": "abc-1"}):
        app.preprocess_request()
        assert handler.filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "abc-1"


@pytest.mark.parametrize("path", ["/", "/healthz", "/no-such-page", "/static/css/app.css",
                                  "/api/v1/docs", "/api/v1/openapi.json"])
def test_security_headers_on_every_response(client, path):
    with client.get(path) as response:  # closes the static file
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in headers


def test_hsts_only_over_https(client):
    response = client.get("/healthz", base_url="https://booking.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_metrics_count_requests_by_endpoint_method_status(client):
    before = metric("http_requests_total", endpoint="health.healthz", method="GET", status="200")
    client.get("/healthz")
    client.get("/healthz")
    body = client.get("/metrics").get_data(as_text=True)
    after = metric("http_requests_total", endpoint="health.healthz", method="GET", status="200")
    assert after - before == 2
    assert "http_request_duration_seconds_bucket" in body
    assert "booking_reservations_created_total" in body


def _book(restaurant, day, hour, email, policy=None):
    return service.book(db.session, restaurant, starts_at=local(restaurant, day, hour),
                        party_size=2, guest=GuestDetails("Ada", email), source="api",
                        policy=policy or WritePolicy())


def test_bookings_are_counted_when_committed(session):
    restaurant = make_restaurant(session, tables=[("T1", 2)])
    day = future_day()
    before = metric("booking_reservations_created_total", source="api")
    _book(restaurant, day, 19, "a@example.com")
    assert metric("booking_reservations_created_total", source="api") - before == 1
    # A conflict rolls back: nothing more is counted.
    with pytest.raises(SlotTaken):
        _book(restaurant, day, 19, "b@example.com")
    assert metric("booking_reservations_created_total", source="api") - before == 1


@pytest.mark.postgres_only
def test_lock_timeouts_are_counted(app, session):
    restaurant = make_restaurant(session, tables=[("T1", 2)])
    day = future_day()
    table_id = restaurant.tables[0].id
    starts = local(restaurant, day, 19)
    keys = slot_lock_keys(table_id, starts, starts.replace(hour=starts.hour + 1))
    held = threading.Event()
    release = threading.Event()

    def hold_lock():
        with app.app_context(), db.engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT pg_advisory_xact_lock(:t, :b)"),
                         {"t": keys[0][0], "b": keys[0][1]})
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert held.wait(10)
        before = metric("booking_lock_timeouts_total")
        with pytest.raises(LockTimeout):
            _book(restaurant, day, 19, "a@example.com", WritePolicy(lock_timeout_ms=50))
        assert metric("booking_lock_timeouts_total") - before == 1
    finally:
        release.set()
        holder.join()


@pytest.mark.postgres_only
def test_lock_waits_are_observed(session):
    restaurant = make_restaurant(session, tables=[("T1", 2)])
    before = metric("booking_lock_wait_seconds_count")
    _book(restaurant, future_day(), 19, "a@example.com")
    assert metric("booking_lock_wait_seconds_count") - before >= 1


def test_conflicts_are_counted_from_409_answers_to_writes(client, session):
    restaurant = make_restaurant(session, slug="full", tables=[("T1", 2)])
    body = {"date": future_day().isoformat(), "time": "19:00", "party_size": 2, "name": "Ada",
            "phone": "+49 30 1234567"}
    url = f"/api/v1/restaurants/{restaurant.slug}/reservations"
    assert client.post(url, json={**body, "email": "a@example.com"}).status_code == 201
    before = sum(metric("booking_conflicts_total", endpoint=e) for e in _write_endpoints(client))
    assert client.post(url, json={**body, "email": "b@example.com",
                                  "phone": "+49 30 7654321"}).status_code == 409
    after = sum(metric("booking_conflicts_total", endpoint=e) for e in _write_endpoints(client))
    assert after - before == 1


def _write_endpoints(client) -> set[str]:
    return {rule.endpoint for rule in client.application.url_map.iter_rules()
            if "POST" in (rule.methods or ())}


def test_metrics_token_keeps_scrapers_without_it_out(make_app):
    guarded = make_app(METRICS_TOKEN="scrape-me-7f3a").test_client()
    refused = [guarded.get("/metrics"),
               guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}),
               guarded.get("/metrics", headers={"Authorization": "Basic scrape-me-7f3a"})]
    for response in refused:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "http_requests_total" not in response.get_data(as_text=True)
    allowed = guarded.get("/metrics", headers={"Authorization": "Bearer scrape-me-7f3a"})
    assert allowed.status_code == 200
    assert "http_requests_total" in allowed.get_data(as_text=True)


def _gauge(body: str, name: str) -> float:
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_metrics_show_the_outbox_depth_and_the_age_of_its_oldest_due_message(client, session):
    from webapp import clock
    from webapp.models import OutboxEmail

    now = clock.now()

    def row(status: str, due_in_minutes: float) -> OutboxEmail:
        return OutboxEmail(kind="confirmation", to_address="g@example.com", subject="s",
                           body_text="b", status=status,
                           next_attempt_at=now + dt.timedelta(minutes=due_in_minutes))

    body = client.get("/metrics").get_data(as_text=True)
    assert _gauge(body, "outbox_metrics_up") == 1
    assert _gauge(body, "outbox_due_messages") == 0
    assert _gauge(body, "outbox_oldest_due_age_seconds") == 0

    session.add_all([row("pending", -30), row("pending", -5), row("pending", 600),
                     row("sent", -90), row("failed", -120)])
    session.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert _gauge(body, "outbox_due_messages") == 2
    assert 30 * 60 <= _gauge(body, "outbox_oldest_due_age_seconds") < 31 * 60
    assert _gauge(body, "outbox_scheduled_messages") == 1  # the reminder planned for later
    assert _gauge(body, "outbox_failed_messages") == 1
