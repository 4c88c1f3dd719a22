"""The app's one clock: "now" for every booking rule (what is bookable, today, the lead
time and the horizon, walk-ins, what is past), read by the domain and the views alike.

Plain Python (the domain imports it). Tests set a fixed instant (``tests/conftest.py``), so
no test depends on the day or the hour it runs at. Durations measured on the wall clock
(e-mail retries and leases, login and token lifetimes, idempotency keys) do not read it.

Thread-safe without a lock: the source is one module attribute, replaced whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def system_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_source: Callable[[], dt.datetime] = system_now


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return _source().astimezone(dt.UTC)


def set_source(source: Callable[[], dt.datetime]) -> Callable[[], dt.datetime]:
    """Read "now" from ``source`` from here on; returns the source it replaces."""
    global _source
    previous, _source = _source, source
    return previous


@contextmanager
def fixed_at(instant: dt.datetime) -> Iterator[None]:
    """Within the block, "now" is ``instant`` (aware) for every thread of the process."""
    if instant.tzinfo is None:
        raise ValueError("a fixed instant needs a time zone")
    previous = set_source(lambda: instant)
    try:
        yield
    finally:
        set_source(previous)
