"""``flask --app webapp worker``: everything that is sent after the commit that made it.

That is the e-mail outbox (confirmations, changes, cancellations, reminders and account
e-mails) and the webhook deliveries (webapp/webhook_delivery.py); and, as housekeeping, the
deletion of holds long expired (booking/holds.py: they block nobody); and the waitlist's
offers (booking/waitlist.py: a freed table held for the next fitting guest, e-mailed).
Several workers may run at once, on one machine or many: each pass claims its rows with
``FOR UPDATE SKIP LOCKED`` and a lease (notifications/outbox.py), so no message is sent
twice and one whose worker died is taken up again when its lease ends.

SIGTERM or SIGINT (systemd stop, Ctrl-C) lets the pass under way finish and then exits
0, so a deploy never cuts an SMTP conversation in half.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], str | None]  # one pass; returns a line worth logging, or None


def _deliver_mail() -> str | None:
    from .extensions import db
    from .notifications.outbox import deliver_due

    report = deliver_due(db.session, current_app.config)
    return f"mail: {report}" if report.sent or report.retrying or report.failed else None


def _deliver_webhooks() -> str | None:
    from .extensions import db
    from .webhook_delivery import deliver_due_webhooks

    report = deliver_due_webhooks(db.session, current_app.config)
    return f"webhooks: {report}" if report.sent or report.retrying or report.failed else None


def _purge_holds() -> str | None:
    from .booking.holds import purge_expired
    from .extensions import db

    gone = purge_expired(db.session)
    return f"holds: {gone} long expired deleted" if gone else None


def _offer_waitlist() -> str | None:
    from .booking.waitlist import make_offers
    from .extensions import db

    offers = make_offers(db.session)
    return f"waitlist: {len(offers)} offered" if offers else None


# The waitlist first: the offers it makes are e-mailed by the same pass.
JOBS: tuple[Job, ...] = (Job("waitlist", _offer_waitlist), Job("mail", _deliver_mail),
                         Job("webhooks", _deliver_webhooks), Job("holds", _purge_holds))


def run_worker(interval: float, once: bool = False, stop: threading.Event | None = None,
               echo: Callable[[str], Any] = click.echo) -> None:
    """Run every job, then wait ``interval`` seconds (or until ``stop``), until stopped."""
    from .extensions import db

    stop = stop or threading.Event()
    while not stop.is_set():
        for job in JOBS:
            try:
                line = job.run()
            except Exception:
                if once:
                    raise
                # The database may be restarting: keep going and try again next pass.
                current_app.logger.exception("worker: %s pass failed", job.name)
                db.session.rollback()
            else:
                if line:
                    echo(f"worker: {line}")
            finally:
                db.session.remove()
        if once:
            return
        stop.wait(interval)


def register(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1),
                  help="Seconds between passes.")
    @click.option("--once", is_flag=True, help="One pass of every job, then exit.")
    def worker(interval: float, once: bool) -> None:
        """Send what is due after commit (e-mails, reminders); several may run at once."""
        stop = threading.Event()

        def finish(signum: int, _frame: Any) -> None:
            click.echo(f"worker: {signal.Signals(signum).name}, stopping after this pass")
            stop.set()

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        click.echo(f"worker: running {', '.join(job.name for job in JOBS)} "
                   f"every {interval:g} s" if not once else "worker: one pass")
        run_worker(interval, once=once, stop=stop)
        click.echo("worker: stopped")
