"""Rate limits that mean what they say.

Flask-Limiter's default store, ``memory://``, counts in each process: with four gunicorn
workers "10 logins per minute" allows 40 (a measurement with two workers gave 20 × 401
before the first 429). In production several workers with a per-process store are
refused at start unless the operator says it is fine (``RATELIMIT_PER_PROCESS_OK=1``);
the fix is a shared store (``RATELIMIT_STORAGE_URI=redis://…`` or ``memcached://…``).
gunicorn.conf.py asks at start, when the number of workers is final (``-w`` included).
"""

from __future__ import annotations

from collections.abc import Mapping

PER_PROCESS_SCHEMES = ("memory",)


def per_process_problem(env: Mapping[str, str], workers: int) -> str | None:
    """Why this configuration's rate limits would not hold across ``workers`` processes
    (None when they do, or when that was accepted, or outside production)."""
    if env.get("BOOKING_ENV", "production") != "production" or workers <= 1:
        return None
    if env.get("RATELIMIT_ENABLED", "1") == "0" or env.get("RATELIMIT_PER_PROCESS_OK") == "1":
        return None
    uri = env.get("RATELIMIT_STORAGE_URI", "memory://")
    if uri.partition("://")[0].lower() not in PER_PROCESS_SCHEMES:
        return None
    return (f"RATELIMIT_STORAGE_URI is {uri} (counted in each process) but gunicorn runs "
            f"{workers} workers, so every rate limit would allow {workers} times as much; "
            "use a shared store (redis://host:6379 or memcached://host:11211), "
            "WEB_CONCURRENCY=1, or RATELIMIT_PER_PROCESS_OK=1 to accept limits per worker")
