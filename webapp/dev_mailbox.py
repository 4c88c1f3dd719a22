"""The development mailbox: ``/dev/mail`` lists the guest e-mails of the outbox, queued
and sent, newest first, in full, links clickable, so a developer can open the manage,
confirm and cancel links the e-mails carry without a mail server.

Outside production only: ``create_app`` does not even register this blueprint in
production (the URL is a 404 there like any unknown one). A sent e-mail's stored copy
has its manage token redacted; the clear copy the deliverer kept in ``DEV_MAILBOX_DIR``
(development only, see notifications/devmail.py) is shown instead when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, render_template
from markupsafe import Markup
from sqlalchemy import select

from .extensions import db
from .models import OutboxEmail
from .notifications.devmail import clear_copy
from .notifications.messages import linked_text
from .notifications.outbox import redact_manage_links

bp = Blueprint("dev_mailbox", __name__)

SHOWN = 200  # the newest e-mails; a mailbox for trying links, not an archive


@dataclass(frozen=True)
class DevMail:
    row: OutboxEmail
    text: str
    # True when the link in ``text`` is the redacted one (sent before a copy was kept).
    redacted: bool

    @property
    def text_html(self) -> Markup:
        return linked_text(self.text, style="")  # the page's CSS styles the links


@bp.get("/dev/mail")
def mailbox():
    directory = str(current_app.config.get("DEV_MAILBOX_DIR") or "")
    rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(SHOWN))
    mails = []
    for row in rows:
        clear = clear_copy(directory, row.id, row.body_text, redact_manage_links)
        text = clear or row.body_text
        mails.append(DevMail(row, text, redacted=redact_manage_links(text) == text
                             and "[redacted]" in text))
    response = current_app.make_response(render_template("dev/mail.html", mails=mails,
                                                         kept=bool(directory)))
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
