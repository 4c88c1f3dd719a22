"""Flask's signed-cookie sessions, with the cookie signer built once per key.

Flask's stock interface builds a new ``URLSafeTimedSerializer`` for every request
(bench/: ~2 % of a booking's CPU under load). The signer depends only on the secret
key and its fallbacks, so it is kept until they change.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._signer: tuple[Any, Any] | None = None  # (keys it was built for, signer)

    def get_signing_serializer(self, app: Flask):  # noqa: ANN201 (Flask's own signature)
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._signer
        if cached is not None and cached[0] == keys:
            return cached[1]
        signer = super().get_signing_serializer(app)
        self._signer = (keys, signer)
        return signer
