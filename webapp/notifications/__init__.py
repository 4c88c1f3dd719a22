"""Guest e-mails through a transactional outbox (see ``outbox.py`` and docs/public.md)."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app

from .outbox import MailWriter, deliver_due, deliver_soon, queue

__all__ = ["MailWriter", "deliver_due", "deliver_soon", "queue", "register_cli"]


def register_cli(app: Flask) -> None:
    """Add the mail delivery commands to the Flask CLI."""

    @app.cli.command("deliver-mail")
    @click.option("--loop", is_flag=True, help="Keep running, one pass every --interval seconds.")
    @click.option("--interval", default=15.0, show_default=True, type=click.FloatRange(0.1),
                  help="Seconds between passes with --loop.")
    def deliver_mail(loop: bool, interval: float) -> None:
        """Send the guest e-mails that are due (retries failed ones with backoff)."""
        from ..extensions import db

        while True:
            try:
                report = deliver_due(db.session, current_app.config)
            except Exception:
                if not loop:
                    raise
                # The database may be restarting: keep the loop alive and try again.
                current_app.logger.exception("deliver-mail pass failed")
            else:
                if not loop or report.sent or report.retrying or report.failed:
                    click.echo(f"deliver-mail: {report}")
            if not loop:
                return
            db.session.remove()
            time.sleep(interval)
