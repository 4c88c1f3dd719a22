"""The tests' clock: every test runs at one fixed instant (the app's ``webapp.clock`` reads
it), so no test depends on the day or the hour it runs at.

``TEST_NOW`` (ISO 8601 with an offset) runs the tests at another instant, to prove them
independent of it, e.g. ``TEST_NOW=2031-03-30T00:30:00+00:00`` (the night Berlin's clocks
go forward) or ``TEST_NOW=2030-06-12T23:30:00+00:00`` (already tomorrow in Berlin).
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

# A Wednesday morning in June, far from any DST change and from midnight in Berlin.
DEFAULT_NOW = dt.datetime(2030, 6, 12, 8, 0, tzinfo=dt.UTC)


def fixed_now() -> dt.datetime:
    raw = os.environ.get("TEST_NOW", "")
    if not raw:
        return DEFAULT_NOW
    instant = dt.datetime.fromisoformat(raw)
    if instant.tzinfo is None:
        raise ValueError(f"TEST_NOW={raw!r} needs an offset (e.g. +00:00)")
    return instant.astimezone(dt.UTC)


class TestClock:
    """The instant the app takes for "now"; a test may set or advance it."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, instant: dt.datetime) -> None:
        self.instant = instant

    def now(self) -> dt.datetime:
        return self.instant

    def set(self, instant: dt.datetime) -> None:
        self.instant = instant.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.instant += dt.timedelta(**delta)

    def today(self, timezone: str = "Europe/Berlin") -> dt.date:
        """The date "now" falls on in ``timezone`` (the factories' restaurants' zone)."""
        return self.instant.astimezone(ZoneInfo(timezone)).date()
