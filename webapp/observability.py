"""Request logging, metrics and security headers.

* Every request gets an id (an incoming ``X-Request-ID`` when it looks sane,
  else a fresh one), echoed in the response and written, with method, path,
  status and duration, as one log line per request: JSON (``LOG_FORMAT=json``,
  the production default) or text.
* ``/metrics`` serves Prometheus metrics. Under gunicorn the workers share them
  through ``PROMETHEUS_MULTIPROC_DIR`` (gunicorn.conf.py sets it up), so any
  worker answers for all of them.
* Security headers go on every response; the Content-Security-Policy allows
  only our own files (htmx needs no inline script).

Booking figures are counted without reaching into the booking package:
reservations created are counted when the transaction that inserted them
commits (ORM events, whoever made them: API, public page, owner, CLI); lock
timeouts, deadlocks and exclusion-constraint hits are counted from the
database's own error codes (an engine ``handle_error`` hook); conflicts are the
409 answers to writes; lock waits come from ``booking.locks.LOCK_WAIT_OBSERVERS``
when that hook exists.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import json
import logging
import os
import re
import sys
import time
import uuid

from flask import Flask, Response, current_app, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .logsafe import escape_control, json_safe, redact_secrets

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only when it is short and plain, so it cannot forge log lines.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

ACCESS_LOGGER = "webapp.request"

# --------------------------------------------------------------------------- metrics
# Module-level: prometheus_client refuses to register a name twice, and tests build many apps.

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("http_requests_total", "HTTP requests answered",
                   ["endpoint", "method", "status"])
REQUEST_SECONDS = Histogram("http_request_duration_seconds", "Time to answer an HTTP request",
                            ["endpoint", "method", "status"], buckets=_LATENCY_BUCKETS)
BOOKINGS = Counter("booking_reservations_created_total",
                   "Reservations created (counted when their transaction commits)", ["source"])
CONFLICTS = Counter("booking_conflicts_total",
                    "409 Conflict answers to writes (slot just taken, guest already booked, "
                    "stale version)", ["endpoint"])
LOCK_TIMEOUTS = Counter("booking_lock_timeouts_total",
                        "Statements cancelled by lock_timeout (answered 503 + Retry-After)")
DEADLOCKS = Counter("booking_deadlocks_total", "Transactions aborted by deadlock detection")
CONSTRAINT_HITS = Counter("booking_overlap_constraint_hits_total",
                          "Writes stopped by the exclusion constraint backstop "
                          "(should stay 0 while the advisory locks work)")
LOCK_WAIT_SECONDS = Histogram("booking_lock_wait_seconds", "Time spent waiting for advisory locks",
                              buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                       0.25, 0.5, 1.0, 2.5, 5.0))

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _observe_lock_wait(seconds: float) -> None:
    LOCK_WAIT_SECONDS.observe(seconds)


# --------------------------------------------------------------------------- logging


class _RequestContextFilter(logging.Filter):
    """Stamp every record logged while a request runs with its id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            record.request_id = g.get("request_id")
        return True


_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        # json.dumps escapes C0 controls; json_safe the rest (C1, bidi, U+2028, ...).
        return json_safe(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message`` on one line, its control characters escaped (a
    path with ``%0D%0A`` cannot start a line of its own); a traceback follows on lines
    indented by four spaces, so none of them can pass for a record."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        return escape_control(super().formatMessage(record))

    def formatException(self, ei) -> str:  # noqa: N802
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _indented(super().formatStack(stack_info))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        if not request_id or record.name == ACCESS_LOGGER:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{escape_control(str(request_id))}]{newline}{rest}"


def _indented(text: str) -> str:
    return "\n".join("    " + escape_control(line) for line in text.splitlines())


def configure_logging(log_format: str) -> None:
    """Send the app's loggers ("webapp.*", which includes app.logger) to stderr in the
    chosen format; under gunicorn stderr is its error log. Idempotent."""
    if log_format not in ("json", "text"):
        raise SystemExit(f"booking-manager: configuration error: LOG_FORMAT must be json or text, "
                         f"got {log_format!r}")
    logger = logging.getLogger("webapp")
    handler = next((h for h in logger.handlers if getattr(h, "_booking_manager", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler._booking_manager = True  # type: ignore[attr-defined]
        handler.addFilter(_RequestContextFilter())
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


# --------------------------------------------------------------------------- hooks


def _start_request() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


# Our own files only, everywhere: htmx needs no inline script, and the Swagger UI page
# (/api/v1/docs, from static/vendor) styles through the CSSOM, which this allows.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                           "form-action 'self'; base-uri 'self'; object-src 'none'")


def _security_headers(response: Response) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    # The booking embed (public/embed.py) sets its own policy, whose frame-ancestors lists
    # the restaurant's sites; X-Frame-Options (one value only, no list) would overrule it.
    # Any other policy (one without frame-ancestors too) keeps DENY.
    policy = headers["Content-Security-Policy"]
    if "frame-ancestors" not in policy or "frame-ancestors 'none'" in policy:
        headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000")


def _finish_request(response: Response) -> Response:
    started = g.pop("request_started", None)
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    _security_headers(response)
    if started is None:  # a hook before ours failed; nothing to measure
        return response
    seconds = time.perf_counter() - started
    # Lets a load generator tell the app's own time from queueing and the network.
    response.headers["Server-Timing"] = f"app;dur={seconds * 1000:.2f}"
    endpoint = request.endpoint or "unmatched"
    method = request.method
    status = str(response.status_code)
    if endpoint != "observability.metrics":
        REQUESTS.labels(endpoint, method, status).inc()
        REQUEST_SECONDS.labels(endpoint, method, status).observe(seconds)
        if response.status_code == 409 and method in _WRITE_METHODS:
            CONFLICTS.labels(endpoint).inc()
    path = redact_secrets(request.path)
    logging.getLogger(ACCESS_LOGGER).info(
        "%s %s %s %.1fms", method, path, status, seconds * 1000,
        extra={"request_id": request_id, "method": method, "path": path,
               "status": response.status_code, "duration_ms": round(seconds * 1000, 2),
               "endpoint": endpoint, "remote_addr": request.remote_addr})
    return response


# --------------------------------------------------------------------------- database events

def _on_database_error(context) -> None:
    sqlstate = getattr(context.original_exception, "sqlstate", None)
    if sqlstate == "55P03":
        LOCK_TIMEOUTS.inc()
    elif sqlstate == "40P01":
        DEADLOCKS.inc()
    elif sqlstate == "23P01":
        CONSTRAINT_HITS.inc()


def _install_database_events() -> None:
    """A global listener on every Engine, installed once per process."""
    if event.contains(Engine, "handle_error", _on_database_error):
        return
    event.listen(Engine, "handle_error", _on_database_error)


def _count_booking(source: str) -> None:
    BOOKINGS.labels(source or "unknown").inc()


def _install_booking_observers() -> None:
    from .booking import locks, service

    if _observe_lock_wait not in locks.LOCK_WAIT_OBSERVERS:
        locks.LOCK_WAIT_OBSERVERS.append(_observe_lock_wait)
    if _count_booking not in service.BOOKED_OBSERVERS:
        service.BOOKED_OBSERVERS.append(_count_booking)


# --------------------------------------------------------------------------- /metrics


def _loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:  # a unix socket, or nothing
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return (mapped or ip).is_loopback


def _from_this_host() -> bool:
    """Every address on the way is loopback: the socket's peer (a local scraper, or a proxy
    on this host) and the client the trusted proxies saw (``request.remote_addr`` after
    ProxyFix, PROXY_FIX_HOPS). With PROXY_FIX_HOPS=0 a request that carries forwarding
    headers came through a proxy the app was not told about: its client is unknown."""
    original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR",
                                                                      request.remote_addr)
    if not (_loopback(original) and _loopback(request.remote_addr)):
        return False
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    return bool(current_app.config.get("PROXY_FIX_HOPS")) or not forwarded


def _token_sent(expected: str) -> bool:
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), expected.encode())


def metrics_view() -> Response:
    """With METRICS_TOKEN, only for a scraper that sends it as a bearer token (401).
    Without it, in production only from this host (403; keep /metrics off the internet
    at the proxy as well); outside production, for anyone."""
    expected = current_app.config.get("METRICS_TOKEN", "")
    if expected and not _token_sent(expected):
        return Response("Send the metrics token as `Authorization: Bearer <token>`.\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    if not expected and current_app.config.get("ENVIRONMENT") == "production" \
            and not _from_this_host():
        return Response("/metrics answers only from this host; set METRICS_TOKEN to scrape it "
                        "from elsewhere.\n", 403, mimetype="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Gunicorn: add up what every worker (living or gone) wrote to the shared directory.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    from .extensions import db
    from .outbox_metrics import OutboxCollector

    outbox = CollectorRegistry(auto_describe=False)
    outbox.register(OutboxCollector(db.session))
    return Response(generate_latest(registry) + generate_latest(outbox),
                    mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Install per-request hooks, the /metrics endpoint and the database counters."""
    configure_logging(app.config.get("LOG_FORMAT", "text"))
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.add_url_rule("/metrics", endpoint="observability.metrics", view_func=metrics_view)
    _install_database_events()
    _install_booking_observers()
