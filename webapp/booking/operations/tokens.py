"""API tokens for integrations: made with chosen scopes, shown once, stored as a hash,
revoked. Called by the dashboard's tokens page and ``flask create-token`` alike.

A token is ``bm_`` plus 43 random URL-safe characters; only its SHA-256 is stored (and
its first characters, to tell tokens apart in the list), so a copy of the database
opens nothing. Its scopes (``models.TOKEN_SCOPES``) say what it may do through the API
(``webapp/api/auth.py`` checks them on every endpoint): ``read`` every owner GET,
``bookings`` the reservation writes, ``setup`` the set-up writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from ... import clock
from ...models import TOKEN_SCOPES, ApiToken, Restaurant
from ..errors import BookingError
from .committing import committed

AnySession = Session | scoped_session[Any]

TOKEN_PREFIX = "bm_"
ALL_SCOPES = " ".join(TOKEN_SCOPES)


class TokenRefused(BookingError):
    """The token cannot be made as asked; ``field`` names what to correct."""

    code = "token_refused"
    http_status = 422


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scopes_text(scopes: Iterable[str]) -> str:
    """The chosen scopes as stored: known names only, at least one, in TOKEN_SCOPES order
    (so equal choices store equal text). Raises TokenRefused."""
    chosen = {scope.strip() for scope in scopes if scope.strip()}
    unknown = sorted(chosen - set(TOKEN_SCOPES))
    if unknown:
        raise TokenRefused(f"Unknown scope {', '.join(unknown)}: choose from "
                           f"{', '.join(TOKEN_SCOPES)}.", field="scopes")
    if not chosen:
        raise TokenRefused("Choose at least one thing the token may do.", field="scopes")
    return " ".join(scope for scope in TOKEN_SCOPES if scope in chosen)


def create_token(session: AnySession, restaurant_id: int, name: str,
                 created_by_id: int | None = None,
                 scopes: Iterable[str] | str = TOKEN_SCOPES) -> tuple[ApiToken, str]:
    """A new token for one restaurant, flushed, not committed (fixtures, and the use
    case below); returns the row and the clear token (shown once)."""
    scope_text = scopes_text(scopes.split() if isinstance(scopes, str) else scopes)
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(restaurant_id=restaurant_id, name=name.strip()[:120] or "API token",
                     token_hash=_digest(clear), prefix=clear[:10], created_by_id=created_by_id,
                     scopes=scope_text, created_at=clock.now())
    session.add(token)
    session.flush()
    return token, clear


def make(session: AnySession, restaurant: Restaurant, name: str, scopes: Iterable[str] | str,
         created_by_id: int | None = None) -> tuple[ApiToken, str]:
    """The owner makes a token: stored and committed; the clear token is returned to be
    shown this once. Raises TokenRefused (nothing stored)."""
    with committed(session):
        token, clear = create_token(session, restaurant.id, name, created_by_id, scopes)
    return token, clear


def verify_token(session: AnySession, clear: str) -> ApiToken | None:
    """The live (not revoked) token matching ``clear``, or None."""
    if not clear or len(clear) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(clear)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def revoke_token(token: ApiToken, now: dt.datetime | None = None) -> None:
    """Mark the token revoked (the caller commits); a revoked one keeps its first date."""
    if token.revoked_at is None:
        token.revoked_at = now or clock.now()


def revoke(session: AnySession, restaurant: Restaurant, token: ApiToken) -> ApiToken:
    """The owner revokes one of the restaurant's tokens: from the next request on it is
    refused (401). Committed."""
    if token.restaurant_id != restaurant.id:
        raise ValueError(f"{token!r} does not belong to restaurant {restaurant.id}")
    with committed(session):
        revoke_token(token)
    return token
