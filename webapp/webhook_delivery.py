"""Sending the webhook deliveries the booking writes queued (``booking/webhooks.py``).

A pass claims due rows the way the e-mail outbox does — one UPDATE over a sub-select
``FOR UPDATE SKIP LOCKED`` that moves ``next_attempt_at`` a lease ahead, committed before
any request leaves — so several workers never send one delivery at the same time, and
one whose worker died mid-request is sent again when its lease ends (receivers
de-duplicate by the ``webhook-id``, which stays the same). Each request is signed with
the endpoint's secret in the Standard Webhooks format; a 2xx answer acknowledges it,
anything else (or no answer) is retried with backoff, up to ``WEBHOOK_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from . import clock
from .booking.webhooks import url_problem
from .models import WebhookDelivery, WebhookEndpoint
from .notifications.outbox import backoff

log = logging.getLogger("webapp.webhooks")

LEASE = dt.timedelta(seconds=60)
TIMEOUT_SECONDS = 10
DEFAULT_MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Claimed:
    id: int
    event_id: str
    payload: str
    attempts: int
    url: str
    secret: str


@dataclass
class WebhookReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} given up"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not an acknowledgement: following it could lead the
    request to an address the SSRF guard never checked."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def signed_headers(secret: str, event_id: str, payload: str, at: dt.datetime) -> dict[str, str]:
    return {"content-type": "application/json", "user-agent": "BookingManager-Webhooks/1",
            "webhook-id": event_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(event_id, at, payload)}


def post(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST and return the status (raises OSError for no answer)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(65536)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _claim(session: Session, now: dt.datetime, limit: int) -> list[Claimed]:
    due = (WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
    chosen = (select(WebhookDelivery.id).where(*due)
              .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
              .with_for_update(skip_locked=True))
    rows = session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(chosen), *due)
        .values(next_attempt_at=now + LEASE, attempts=WebhookDelivery.attempts + 1)
        .returning(WebhookDelivery.id, WebhookDelivery.event_id, WebhookDelivery.payload,
                   WebhookDelivery.attempts, WebhookDelivery.endpoint_id)
        .execution_options(synchronize_session=False)).all()
    endpoints = {row.id: row for row in session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret)
        .where(WebhookEndpoint.id.in_({row.endpoint_id for row in rows})))} if rows else {}
    session.commit()
    return [Claimed(row.id, row.event_id, row.payload, row.attempts,
                    endpoints[row.endpoint_id].url, endpoints[row.endpoint_id].secret)
            for row in sorted(rows, key=lambda r: r.id) if row.endpoint_id in endpoints]


def deliver_due_webhooks(session: Session, config: Mapping[str, Any], *,
                         now: dt.datetime | None = None, limit: int = 20,
                         send: Callable[[str, dict[str, str], bytes], int] = post
                         ) -> WebhookReport:
    """One pass over up to ``limit`` due deliveries."""
    now = now or clock.now()
    report = WebhookReport()
    max_attempts = int(config.get("WEBHOOK_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    allow_private = bool(config.get("WEBHOOKS_ALLOW_PRIVATE", False))
    for claimed in _claim(session, now, limit):
        status: int | None = None
        error = url_problem(claimed.url, allow_private=allow_private)
        if error is None:
            try:
                # The signature's timestamp is when the request leaves, by the wall
                # clock the receiver checks it against (5 minutes' tolerance).
                sent_at = dt.datetime.now(dt.UTC)
                status = send(claimed.url, signed_headers(claimed.secret, claimed.event_id,
                                                          claimed.payload, sent_at),
                              claimed.payload.encode())
                if not 200 <= status < 300:
                    error = f"answered {status}"
            except OSError as exc:  # refused, timed out, reset, bad TLS
                error = f"no answer: {exc}"[:500]
        values: dict[str, Any] = {"last_status_code": status, "last_error": error or ""}
        if error is None:
            values.update(status="sent", sent_at=clock.now())
            report.sent += 1
        elif claimed.attempts >= max_attempts:
            values.update(status="failed")
            report.failed += 1
            log.warning("webhook %s given up after %d attempts: %s", claimed.event_id,
                        claimed.attempts, error)
        else:
            values.update(next_attempt_at=clock.now() + backoff(claimed.attempts))
            report.retrying += 1
        session.execute(update(WebhookDelivery).where(WebhookDelivery.id == claimed.id)
                        .values(**values).execution_options(synchronize_session=False))
        session.commit()
        if error:
            report.errors.append(error)
    return report
