"""The owner section nav on a phone: one line that scrolls sideways (owner.css); the
current page's link is scrolled into view on load, within the bar alone (the page does
not move, no layout shift). At tablet and desktop width nothing changes. Headless
Chromium; screenshots at 1366, 1024 and 390 px, axe-core."""

from __future__ import annotations

import pytest

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant

# The current link's box against the bar's visible box, the bar's scroll, the page's
# scroll, and the layout shifts Chromium recorded since the page began to load.
MEASURE = """() => {
  const bar = document.querySelector('.owner-nav > ul:last-child');
  const link = bar.querySelector('a[aria-current="page"]');
  const b = bar.getBoundingClientRect(), l = link.closest('li').getBoundingClientRect();
  const shifts = performance.getEntriesByType('layout-shift')
    .reduce((sum, entry) => sum + entry.value, 0);
  return {inside: l.left >= b.left - 0.5 && l.right <= b.right + 0.5,
          scrolls: bar.scrollWidth > bar.clientWidth, scrollLeft: bar.scrollLeft,
          pageY: window.scrollY, shifts: shifts};
}"""


def _log_in(live_server, page, session):
    restaurant = make_restaurant(session, name="Trattoria Nav", slug="nav")
    make_owner(session, restaurant, "owner@example.com")
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")


@pytest.mark.parametrize("section", ["webhooks", "staff"])
def test_the_current_section_is_in_view_on_a_phone(live_server, page, session, screenshot,
                                                   section):
    _log_in(live_server, page, session)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + f"/owner/nav/{section}")
    page.wait_for_load_state("load")
    seen = page.evaluate(MEASURE)
    assert seen["scrolls"], "the bar no longer scrolls at 390 px: the test proves nothing"
    assert seen["inside"], seen
    assert seen["scrollLeft"] > 0 and seen["pageY"] == 0, seen
    assert seen["shifts"] == 0, seen
    screenshot(page, f"owner-nav-{section}-390")
    assert axe_violations(page) == [] and horizontal_overflow(page) == 0


def test_the_first_sections_and_wide_screens_stay_as_they_were(live_server, page, session,
                                                                screenshot):
    _log_in(live_server, page, session)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server.url + "/owner/nav/webhooks")
        page.wait_for_load_state("load")
        seen = page.evaluate(MEASURE)
        assert seen["inside"] and seen["shifts"] == 0, (width, seen)
        if width == 1366:  # the sections wrap: no scrolling bar at all
            assert not seen["scrolls"] and seen["scrollLeft"] == 0, seen
        screenshot(page, f"owner-nav-webhooks-{width}")
        assert axe_violations(page) == [] and horizontal_overflow(page) == 0, width
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + "/owner/nav/insights")  # near the start: already in view
    page.wait_for_load_state("load")
    seen = page.evaluate(MEASURE)
    assert seen["inside"] and seen["shifts"] == 0, seen
