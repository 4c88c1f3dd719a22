"""Configuration from the environment.

Everything an operator sets lives here, read once by ``create_app``.  Bad
configuration raises :class:`ConfigError` with a message meant to be shown to a
person as a single line.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from . import public_url

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(Exception):
    """Configuration that the app refuses to start with."""


def normalise_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and pin the psycopg 3 driver."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(f"DATABASE_URL {url!r} is not a URL (expected postgresql+psycopg://... "
                          "or sqlite:///path)")
    scheme = scheme.lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return url
    raise ConfigError(
        f"DATABASE_URL scheme {scheme!r} is not supported; use postgresql+psycopg://user:pass@host/db "
        "or sqlite:///path/to/file.sqlite3"
    )


def _secret_key(environment: str, env: Mapping[str, str], instance_path: str) -> str:
    key = env.get("SECRET_KEY", "")
    if key:
        if environment == "production" and len(key) < 16:
            raise ConfigError("SECRET_KEY is too short for production (use at least 16 characters, "
                              "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)")
        return key
    if environment == "production":
        raise ConfigError(
            "SECRET_KEY is not set; production needs one (generate it with "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`), "
            "or set BOOKING_ENV=development for a local demo"
        )
    if environment == "testing":
        return "testing-secret-key-not-for-production"
    # Development: keep a generated key in the instance folder so logins survive restarts.
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


DEFAULT_MAX_CONTENT_LENGTH = 64 * 1024


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


# Werkzeug's scrypt (n=2**15, r=8, p=1): about 0.2 s of CPU per hash, on purpose.
DEFAULT_PASSWORD_HASH_METHOD = "scrypt"
# Below these costs a method is too cheap for real passwords (OWASP's pbkdf2-sha256 figure).
_MIN_SCRYPT_N, _MIN_SCRYPT_R = 2**15, 8
_MIN_PBKDF2_ITERATIONS = 600_000


def password_hash_method(method: str, environment: str) -> str:
    """The werkzeug method new password hashes use (``PASSWORD_HASH_METHOD``, a setting for
    the test suite: ~0.2 s of scrypt per login adds up over hundreds of logins). Only the
    testing environment may choose a cheap one; verifying reads the method from the hash."""
    name, *args = str(method).split(":")
    try:
        if name == "scrypt" and len(args) in (0, 3):
            n, r, _p = (int(arg) for arg in args) if args else (_MIN_SCRYPT_N, _MIN_SCRYPT_R, 1)
            weak = n < _MIN_SCRYPT_N or r < _MIN_SCRYPT_R
        elif name == "pbkdf2" and len(args) <= 2:
            weak = len(args) == 2 and int(args[1]) < _MIN_PBKDF2_ITERATIONS
        else:
            raise ValueError(method)
    except ValueError:
        raise ConfigError(f"PASSWORD_HASH_METHOD {method!r} is not one of werkzeug's "
                          "'scrypt[:n:r:p]' or 'pbkdf2[:hash[:iterations]]'") from None
    if weak and environment != "testing":
        raise ConfigError(f"PASSWORD_HASH_METHOD {method!r} is too cheap for real passwords "
                          f"(only BOOKING_ENV=testing may use it); leave it unset for scrypt")
    return method


SIGNUP_MODES = ("open", "invite", "closed")


def signup_mode(env: Mapping[str, str]) -> str:
    """Who may make an account at /signup: anyone (``open``), nobody but people invited
    to a restaurant's staff (``invite``), nobody (``closed``: accounts come from the CLI)."""
    mode = env.get("SIGNUP", "open").strip().lower() or "open"
    if mode not in SIGNUP_MODES:
        raise ConfigError(f"SIGNUP must be one of {', '.join(SIGNUP_MODES)}, got {mode!r}")
    return mode


def _checked(check: Callable[..., Any], *args: Any) -> Any:
    """A check that raises ValueError with its one line, as a ConfigError."""
    try:
        return check(*args)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def load_settings(
    env: Mapping[str, str], instance_path: str, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    overrides = dict(overrides or {})
    environment = overrides.get("ENVIRONMENT") or env.get("BOOKING_ENV", "production")
    if overrides.get("TESTING"):
        environment = "testing"
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"BOOKING_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}")

    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get("DATABASE_URL")
    if database_url:
        database_url = normalise_database_url(database_url)
    else:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        database_url = "sqlite:///" + str(Path(instance_path) / "booking.sqlite3")

    production = environment == "production"
    settings: dict[str, Any] = {
        "ENVIRONMENT": environment,
        "TESTING": environment == "testing",
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(environment, env, instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # Fail fast with one clear line when the database cannot be reached at start.
        "CHECK_DATABASE_ON_START": environment != "testing",
        # How often an open owner day view polls for changes (seconds).
        "OWNER_POLL_SECONDS": _int(env, "OWNER_POLL_SECONDS", 5),
        # Booking engine
        "BOOKING_LOCK_TIMEOUT_MS": _int(env, "BOOKING_LOCK_TIMEOUT_MS", 3000),
        # An Idempotency-Key claim older than this whose request never answered died with
        # its worker (SIGKILL, gunicorn's timeout): a retry may take it over. By default
        # the lock timeout plus gunicorn's worker timeout plus 2 s, so no live request
        # can still hold it.
        "IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS": _positive_int(
            env, "IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS",
            -(-_int(env, "BOOKING_LOCK_TIMEOUT_MS", 3000) // 1000)
            + _int(env, "GUNICORN_TIMEOUT", 30) + 2),
        # Test-only switch used by the control test that proves the lock prevents the race.
        "BOOKING_ADVISORY_LOCKS": True,
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production and env.get("INSECURE_COOKIES", "") != "1",
        "REMEMBER_COOKIE_SECURE": production and env.get("INSECURE_COOKIES", "") != "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A remember cookie lasts as long as its login may (auth/logins.LOGIN_LIFETIME).
        "REMEMBER_COOKIE_DURATION": dt.timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        # Rate limits (Flask-Limiter); use redis:// or memcached:// when running several instances.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_HEADERS_ENABLED": True,
        "PUBLIC_WRITE_RATE_LIMIT": env.get("PUBLIC_WRITE_RATE_LIMIT", "20 per minute;200 per hour"),
        # E-mail: delivered over SMTP when MAIL_SERVER is set, logged otherwise.
        "MAIL_SERVER": env.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int(env, "MAIL_PORT", 587),
        "MAIL_USERNAME": env.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "1") != "0",
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "0") == "1",
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "bookings@localhost"),
        "MAIL_MAX_ATTEMPTS": _int(env, "MAIL_MAX_ATTEMPTS", 8),
        # Send each e-mail from a short background thread right after its booking commits;
        # `flask deliver-mail --loop` retries what failed.
        "MAIL_SEND_AFTER_COMMIT": env.get("MAIL_SEND_AFTER_COMMIT", "1") != "0" and environment != "testing",
        # The development mailbox (/dev/mail) keeps clear copies of sent e-mails here, so
        # their manage links can be clicked locally; never in production (no route, no copy).
        "DEV_MAILBOX_DIR": (str(Path(instance_path) / "dev-mail") if environment == "development"
                            else ""),
        # Absolute base for links in e-mails (the manage link), never the request's host:
        # required in production, else BIND's address (webapp/public_url.py).
        "PUBLIC_BASE_URL": _checked(public_url.public_base_url, environment, env),
        # Trust X-Forwarded-* from this many proxies (0 when gunicorn faces the internet).
        "PROXY_FIX_HOPS": _int(env, "PROXY_FIX_HOPS", 0),
        "LOG_FORMAT": env.get("LOG_FORMAT", "json" if production else "text"),
        # When set, /metrics answers only "Authorization: Bearer <METRICS_TOKEN>" (401 otherwise).
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        # Largest request body accepted (bytes; 413 beyond). The largest real form is a
        # few KB; a big body costs memory and CPU to parse before any view refuses it.
        "MAX_CONTENT_LENGTH": _positive_int(env, "MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH),
        # Webhooks to private or loopback addresses (an SSRF guard in production; local
        # receivers are fine while developing and testing).
        "WEBHOOKS_ALLOW_PRIVATE": env.get("WEBHOOKS_ALLOW_PRIVATE",
                                          "0" if production else "1") == "1",
        "WEBHOOK_MAX_ATTEMPTS": _int(env, "WEBHOOK_MAX_ATTEMPTS", 10),
        # Who may sign up at /signup (open, invite, closed).
        "SIGNUP": signup_mode(env),
        # Not read from the environment: the test suite's config sets a cheap one.
        "PASSWORD_HASH_METHOD": DEFAULT_PASSWORD_HASH_METHOD,
    }
    settings.update(overrides)
    if "TRUSTED_HOSTS" not in overrides:
        settings["TRUSTED_HOSTS"] = public_url.trusted_hosts(environment, env,
                                                             settings["PUBLIC_BASE_URL"])
    settings["PASSWORD_HASH_METHOD"] = password_hash_method(settings["PASSWORD_HASH_METHOD"], environment)
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(settings["SQLALCHEMY_DATABASE_URI"])
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
            # No pool_pre_ping: webapp/database.py pings only connections that sat idle.
            "pool_size": _int(env, "DB_POOL_SIZE", 5),
            "max_overflow": _int(env, "DB_MAX_OVERFLOW", 5),
            "pool_timeout": 5,
            "connect_args": {"connect_timeout": 5, **(
                # Behind PgBouncer < 1.21 in transaction mode: no server-side prepared
                # statements (psycopg prepares a statement after five runs otherwise).
                {"prepare_threshold": None} if env.get("DB_PREPARED_STATEMENTS") == "0" else {})},
            **settings["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    else:
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
            # The busy timeout is SQLite's lock timeout: writers queue behind BEGIN IMMEDIATE.
            "connect_args": {"timeout": settings["BOOKING_LOCK_TIMEOUT_MS"] / 1000,
                             "check_same_thread": False},
            **settings["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    replica = overrides.get("DATABASE_REPLICA_URL", env.get("DATABASE_REPLICA_URL", ""))
    if replica:
        # A streaming replica for the reads webapp/replica.py allows; PostgreSQL only.
        try:
            replica = normalise_database_url(replica)
        except ConfigError as error:  # its message names DATABASE_URL
            raise ConfigError(f"DATABASE_REPLICA_URL: {error}") from None
        if not (replica.startswith("postgresql")
                and settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")):
            raise ConfigError("DATABASE_REPLICA_URL needs PostgreSQL for both the primary "
                              "and the replica")
        settings["SQLALCHEMY_BINDS"] = {"replica": replica}
    settings["DATABASE_REPLICA_URL"] = replica
    # Above this lag (seconds) the replica is not read from: the primary answers instead.
    max_lag = overrides.get("REPLICA_MAX_LAG_SECONDS", env.get("REPLICA_MAX_LAG_SECONDS", "5"))
    try:
        settings["REPLICA_MAX_LAG_SECONDS"] = float(max_lag)
    except ValueError:
        raise ConfigError(f"REPLICA_MAX_LAG_SECONDS must be a number of seconds, not {max_lag!r}"
                          ) from None
    return settings


def from_environment(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict:
    return load_settings(os.environ, instance_path, overrides)
