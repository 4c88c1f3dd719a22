"""API tokens for integrations: shown once at creation, stored as a sha256 hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ApiToken

TOKEN_PREFIX = "bm_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, restaurant_id: int, name: str,
                 created_by_id: int | None = None) -> tuple[ApiToken, str]:
    """A new token for one restaurant; returns the row and the clear token (shown once).
    The caller commits."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(restaurant_id=restaurant_id, name=name.strip()[:120] or "API token",
                     token_hash=_digest(clear), prefix=clear[:10], created_by_id=created_by_id)
    session.add(token)
    session.flush()
    return token, clear


def verify_token(session: Session, clear: str) -> ApiToken | None:
    """The live (not revoked) token matching ``clear``, or None."""
    if not clear or len(clear) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(clear)))
    if token is None or token.revoked_at is not None:
        return None
    return token


def revoke_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = dt.datetime.now(dt.UTC)
