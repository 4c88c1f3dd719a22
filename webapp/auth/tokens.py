"""API tokens for integrations: shown once at creation, stored as a sha256 hash.

The rules live in ``webapp/booking/operations/tokens.py`` (made with scopes, verified,
revoked); this module keeps the names the API and the tests import."""

from __future__ import annotations

from ..booking.operations.tokens import (
    TOKEN_PREFIX,
    create_token,
    revoke_token,
    verify_token,
)

__all__ = ["TOKEN_PREFIX", "create_token", "revoke_token", "verify_token"]
