"""gunicorn's logger with a safe access log (``logger_class`` in gunicorn.conf.py).

With ``GUNICORN_ACCESS_LOG`` set, gunicorn writes the request line, the Referer and
whatever header or environ value its format names. Every such value goes through the
same rules as the app's own request log (``webapp.logsafe``): guests' manage tokens
redacted, control characters escaped.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from .logsafe import escape_control, redact_secrets


class SafeAccessLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any],
              request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: escape_control(redact_secrets(value)) if isinstance(value, str) else value
                for key, value in atoms.items()}
