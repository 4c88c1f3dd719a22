"""The outbox as /metrics shows it: read from the database at scrape time.

Counters in the workers cannot say how many e-mails wait (a worker that sends them may
be on another machine, or not running at all — which is exactly what an alert must
catch), so these gauges come from one indexed query per scrape:

* ``outbox_due_messages``: pending messages whose time has come (not yet sent);
* ``outbox_oldest_due_age_seconds``: how long the oldest of them has been due — it grows
  without bound when no worker runs, and stays near the worker's interval when one does;
* ``outbox_scheduled_messages``: pending messages planned for later (reminders);
* ``outbox_failed_messages``: messages given up after every retry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select

from . import clock
from .models import OutboxEmail

log = logging.getLogger(__name__)


def outbox_figures(session: Any, now: dt.datetime | None = None) -> dict[str, float]:
    """The four figures, from one statement over the (status, next_attempt_at) index."""
    now = now or clock.now()
    due = (OutboxEmail.status == "pending") & (OutboxEmail.next_attempt_at <= now)
    row = session.execute(select(
        func.count(case((due, 1))),
        func.min(case((due, OutboxEmail.next_attempt_at))),
        func.count(case(((OutboxEmail.status == "pending") & ~due, 1))),
        func.count(case((OutboxEmail.status == "failed", 1))),
    ).where(OutboxEmail.status.in_(("pending", "failed")))).one()
    oldest = row[1]
    if oldest is not None and oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=dt.UTC)
    return {
        "due": float(row[0]),
        "oldest_due_age": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        "scheduled": float(row[2]),
        "failed": float(row[3]),
    }


class OutboxCollector(Collector):
    def __init__(self, session: Any) -> None:
        self.session = session

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            figures = outbox_figures(self.session)
        except Exception:  # a scrape must still show the other metrics
            log.exception("outbox metrics unavailable")
            self.session.rollback()
            yield GaugeMetricFamily("outbox_metrics_up", "1 when the outbox could be read", 0)
            return
        yield GaugeMetricFamily("outbox_metrics_up", "1 when the outbox could be read", 1)
        yield GaugeMetricFamily("outbox_due_messages",
                                "E-mails due to be sent and not sent yet", figures["due"])
        yield GaugeMetricFamily("outbox_oldest_due_age_seconds",
                                "Seconds the oldest unsent due e-mail has waited",
                                figures["oldest_due_age"])
        yield GaugeMetricFamily("outbox_scheduled_messages",
                                "E-mails planned for later (reminders)", figures["scheduled"])
        yield GaugeMetricFamily("outbox_failed_messages",
                                "E-mails given up after every retry", figures["failed"])
