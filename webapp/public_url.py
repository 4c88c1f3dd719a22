"""Where guests reach the site: the base of every link that leaves it, and the hosts the
pages answer for.

Links in e-mails are never built from a request's ``Host`` header: anybody can send
``Host: evil.example`` with a booking and have the restaurant's own mail server deliver a
link to their site. They are built from ``PUBLIC_BASE_URL``, which production must set.
Outside production the base defaults to the address ``scripts/serve.sh`` listens on
(``BIND``, ``http://127.0.0.1:8000`` unless told otherwise), and to ``http://localhost``
(the test client's host) in the test suite.

``TRUSTED_HOSTS`` (Flask's own check, 400 for any other ``Host``) defaults in production
to PUBLIC_BASE_URL's host and the loopback names (probes on the machine itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

DEFAULT_BIND = "127.0.0.1:8000"
TESTING_BASE = "http://localhost"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "[::]": "[::1]", "::": "[::1]"}


def check_base_url(url: str) -> str:
    """``url`` without its trailing slash, or ValueError when it cannot be a link's base."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"PUBLIC_BASE_URL {url!r} is not an absolute http(s) address "
                         "(e.g. https://book.example.com)")
    if parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_BASE_URL {url!r} must not have a query or fragment")
    return url.strip().rstrip("/")


def base_from_bind(bind: str) -> str:
    """The development base for gunicorn's BIND (``host:port``; all-interfaces addresses
    become loopback, a unix socket the default address)."""
    bind = (bind or DEFAULT_BIND).split(",")[0].strip()
    if bind.startswith("unix:") or ":" not in bind:
        bind = DEFAULT_BIND
    host, _, port = bind.rpartition(":")
    host = _ANY_ADDRESS.get(host, host)
    return f"http://{host}:{port}"


def public_base_url(environment: str, env: Mapping[str, str]) -> str:
    configured = env.get("PUBLIC_BASE_URL", "").strip()
    if configured:
        return check_base_url(configured)
    if environment == "production":
        raise ValueError(
            "PUBLIC_BASE_URL is not set; production needs the address guests reach the site "
            "at (e.g. https://book.example.com): the links in e-mails are built from it, "
            "never from a request's Host header")
    if environment == "testing":
        return TESTING_BASE
    return base_from_bind(env.get("BIND", DEFAULT_BIND))


def trusted_hosts(environment: str, env: Mapping[str, str], base_url: str) -> list[str] | None:
    """Flask's TRUSTED_HOSTS: ``TRUSTED_HOSTS`` (comma-separated; ``*`` for any host), by
    default in production the base's host plus the loopback names; None (any) elsewhere."""
    raw = env.get("TRUSTED_HOSTS", "").strip()
    if raw == "*":
        return None
    if raw:
        return [host.strip().lower() for host in raw.split(",") if host.strip()]
    if environment != "production":
        return None
    host = urlsplit(base_url).hostname or ""
    return [host, *(name for name in LOOPBACK_HOSTS if name != host)]
