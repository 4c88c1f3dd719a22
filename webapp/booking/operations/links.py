"""One-time links e-mailed to people: verify an address, reset a password, join a staff.

A link is a random token in a URL; only its SHA-256 is stored (``account_links``), so
a copy of the database opens nothing. Each works until it expires, once, and not after
it was revoked (a newer link of the same kind revokes the older ones of that account).
Taking a link (``take``) locks its row, so two clicks at once cannot both use it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, scoped_session

from ... import clock
from ...i18n import N_
from ...models import AccountLink, Restaurant, User
from ..errors import BookingError
from ..tokens import hash_token, new_manage_token

AnySession = Session | scoped_session[Any]

LIFETIMES = {
    "verify_email": dt.timedelta(days=3),
    "reset_password": dt.timedelta(hours=1),
    "invitation": dt.timedelta(hours=72),
}


class LinkRefused(BookingError):
    """The link cannot be used; ``reason`` is unknown, expired, used or revoked."""

    code = "link_refused"
    http_status = 410

    # Marked for the catalog: the account pages show them in the dashboard's language
    # (owner/labels.translate_refusal looks them up by their English).
    MESSAGES = {
        "unknown": N_("This link is not valid. Check that you copied all of it."),
        "expired": N_("This link has expired. Ask for a new one."),
        "used": N_("This link was already used. Ask for a new one if you still need it."),
        "revoked": N_("This link was replaced by a newer one or withdrawn."),
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES[reason])
        self.reason = reason
        if reason == "unknown":
            self.http_status = 404


def issue(session: AnySession, purpose: str, email: str, *, user: User | None = None,
          restaurant: Restaurant | None = None, role: str | None = None,
          invited_by: User | None = None, revoke_older: bool = True) -> tuple[AccountLink, str]:
    """A new link (flushed, not committed) and its clear token, for the e-mail only.
    With ``revoke_older``, the still-open links of the same purpose for the same account
    (or, for invitations, the same address and restaurant) stop working."""
    now = clock.now()
    email = email.strip().lower()
    if revoke_older:
        older = update(AccountLink).where(
            AccountLink.purpose == purpose, AccountLink.used_at.is_(None),
            AccountLink.revoked_at.is_(None))
        if purpose == "invitation":
            older = older.where(AccountLink.email == email,
                                AccountLink.restaurant_id == (restaurant.id if restaurant else None))
        elif user is not None:
            older = older.where(AccountLink.user_id == user.id)
        else:
            older = older.where(AccountLink.email == email)
        session.execute(older.values(revoked_at=now).execution_options(synchronize_session=False))
    clear, digest = new_manage_token()
    link = AccountLink(purpose=purpose, token_hash=digest, email=email,
                       user_id=user.id if user else None,
                       restaurant_id=restaurant.id if restaurant else None, role=role,
                       invited_by_id=invited_by.id if invited_by else None,
                       created_at=now, expires_at=now + LIFETIMES[purpose])
    session.add(link)
    session.flush()
    return link, clear


def peek(session: AnySession, purpose: str, clear: str) -> AccountLink:
    """The usable link with this token (nothing locked, nothing changed): to show the
    page a link leads to. Raises LinkRefused."""
    return _check(_find(session, purpose, clear, lock=False))


def take(session: AnySession, purpose: str, clear: str) -> AccountLink:
    """The usable link with this token, locked and marked used in the caller's
    transaction (commit to make the use final). Raises LinkRefused. The mark is a
    conditional UPDATE, so of two uses at once only one finds the link still unused,
    on SQLite (which has no row locks) as on PostgreSQL."""
    link = _check(_find(session, purpose, clear, lock=True))
    now = clock.now()
    marked = session.execute(
        update(AccountLink).where(AccountLink.id == link.id, AccountLink.used_at.is_(None),
                                  AccountLink.revoked_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if getattr(marked, "rowcount", 1) != 1:
        raise LinkRefused("used")
    link.used_at = now
    return link


def _find(session: AnySession, purpose: str, clear: str, *, lock: bool) -> AccountLink | None:
    if not clear or len(clear) > 200:
        return None
    query = select(AccountLink).where(AccountLink.token_hash == hash_token(clear),
                                      AccountLink.purpose == purpose)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def _check(link: AccountLink | None) -> AccountLink:
    if link is None:
        raise LinkRefused("unknown")
    if link.revoked_at is not None:
        raise LinkRefused("revoked")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= clock.now():
        raise LinkRefused("expired")
    return link
