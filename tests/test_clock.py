"""webapp.clock: one "now" for the domain and the pages, which the tests fix."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from tests.clock import DEFAULT_NOW, fixed_now
from tests.factories import future_day, make_restaurant, today
from webapp import clock as app_clock
from webapp.booking import service
from webapp.booking.availability import bookable_times
from webapp.owner.common import today as owner_today

LATE = dt.datetime(2030, 6, 12, 23, 30, tzinfo=dt.UTC)  # 01:30 on the 13th in Berlin


def test_fixed_at_fixes_now_and_puts_the_previous_clock_back():
    before = app_clock.now()
    instant = dt.datetime(2031, 3, 30, 0, 30, tzinfo=dt.UTC)
    with app_clock.fixed_at(instant):
        assert app_clock.now() == instant == service.utcnow()
    assert app_clock.now() == before


def test_a_fixed_instant_needs_a_time_zone():
    with pytest.raises(ValueError, match="time zone"), app_clock.fixed_at(dt.datetime(2030, 1, 1)):
        pass


def test_the_suite_runs_at_one_fixed_instant(clock):
    assert app_clock.now() == clock.now() == fixed_now()
    assert fixed_now() == DEFAULT_NOW or "TEST_NOW" in os.environ


def test_the_domain_and_the_pages_read_the_app_clock(client, session, clock):
    restaurant = make_restaurant(session, slug="clockwork")
    clock.set(LATE)
    assert service.utcnow() == LATE
    assert today() == owner_today(restaurant) == dt.date(2030, 6, 13)
    assert future_day(1) == dt.date(2030, 6, 14)
    # Nothing is left on the 12th at 01:30 on the 13th; the page opens on the 13th.
    assert bookable_times(session, restaurant, dt.date(2030, 6, 12), 2) == []
    html = client.get("/r/clockwork").get_data(as_text=True)
    assert re.search(r'<option value="2030-06-13" selected>', html)
    clock.advance(days=1)
    html = client.get("/r/clockwork").get_data(as_text=True)
    assert re.search(r'<option value="2030-06-14" selected>', html)
