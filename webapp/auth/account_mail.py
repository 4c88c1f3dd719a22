"""The web side of the account e-mails: absolute links under PUBLIC_BASE_URL (never the
request's Host header, which anybody can choose) and delivery once the write committed."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from ..booking.operations.accounts import AccountUrls
from ..notifications.outbox import deliver_soon

# One-time links live under /a/<word>/<token>: the outbox redacts tokens of that shape
# from its copy once the e-mail is sent (notifications/outbox.py).
LINK_ENDPOINTS = {"verify_email": "auth.verify_email", "reset_password": "auth.reset_password"}


def absolute(endpoint: str, **values: Any) -> str:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for(endpoint, **values)


def account_urls() -> AccountUrls:
    return AccountUrls(
        link=lambda purpose, token: absolute(LINK_ENDPOINTS[purpose], token=token),
        login=absolute("auth.login"), forgot=absolute("auth.forgot"),
        signup=absolute("auth.signup") if current_app.config["SIGNUP"] == "open" else "")


def send_after_commit(ids: list[int]) -> None:
    deliver_soon(current_app._get_current_object(), ids)  # type: ignore[attr-defined]
