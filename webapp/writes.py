"""The web side of a booking write, in one place for every view (owner pages, the API,
the guests' pages and their API): the lock policy from the configuration, the e-mail
writer with the manage links, delivery right after the commit.

Views build a context and hand it to an operation (``webapp.booking.operations``) or,
for a guest's own write, use its ``start()`` with the booking service::

    context = writes.context(restaurant, actor="owner:ada@example.com")
    booked = operations.reservations.book(db.session, restaurant, context, booking)

The operations end the request's read transaction and leave the session rolled back
after a refusal, so no view rolls back, expires or refreshes around a write.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, url_for

from .booking.operations.context import Write, WriteContext
from .booking.service import WritePolicy
from .models import Restaurant
from .notifications.outbox import MailWriter, deliver_soon


def policy() -> WritePolicy:
    return WritePolicy(
        lock_timeout_ms=current_app.config["BOOKING_LOCK_TIMEOUT_MS"],
        advisory_locks=current_app.config["BOOKING_ADVISORY_LOCKS"],
    )


def manage_page_url(slug: str, token: str) -> str:
    """The guest's private page, absolute, under PUBLIC_BASE_URL (settings.py always sets
    one): never under the request's Host header, which anybody can choose."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for("public.manage", slug=slug, token=token)


def context(restaurant: Restaurant, actor: str, *, manage_token: str | None = None,
            now: dt.datetime | None = None) -> WriteContext:
    """A write by ``actor`` for ``restaurant``. ``manage_token``: the guest's own link
    (their change and cancellation e-mails carry it again)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    slug = restaurant.slug

    def mail_writer() -> MailWriter:
        return MailWriter(link_for=lambda token: manage_page_url(slug, token),
                          manage_token=manage_token)

    return WriteContext(actor=actor, policy=policy(), notifier=mail_writer,
                        after_commit=lambda ids: deliver_soon(app, ids), now=now)


def start(restaurant: Restaurant, actor: str, *, manage_token: str | None = None,
          now: dt.datetime | None = None) -> Write:
    """One guest write through the booking service directly: pass ``write.policy`` and
    ``write.after_write`` to it, call ``write.committed()`` once it returned."""
    return context(restaurant, actor, manage_token=manage_token, now=now).start(notify=True)
