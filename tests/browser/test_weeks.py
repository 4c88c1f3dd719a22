"""The weeks at a glance in headless Chromium (issue 17): the week view and the insights
page at a desktop, tablet and phone width, with no sideways scrolling and no serious or
critical axe-core violation, and one click from a day of the week to its day view."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, local, make_owner, make_restaurant, today
from webapp.booking.insights import week_start
from webapp.models import DiningTable, Reservation, SpecialDay

SOURCES = ("online", "online", "phone", "walk_in", "online", "api")
TIMES = ((12, 0), (12, 30), (13, 15), (18, 30), (19, 0), (19, 0), (19, 30), (20, 0), (21, 0))


@pytest.fixture
def busy(session):
    """Eight weeks around today of varied bookings (sources, parties, lead times, a few
    cancellations and no-shows), and a closed day next week."""
    restaurant = make_restaurant(session, name="Weeks Bistro", slug="weeks",
                                 tables=[(f"T{i}", 8) for i in range(1, 13)])
    make_owner(session, restaurant, "owner@example.com")
    tables = [t.id for t in session.query(DiningTable).filter_by(restaurant_id=restaurant.id)
              .order_by(DiningTable.position)]
    start = today() - dt.timedelta(days=28)
    for offset in range(56):
        day = start + dt.timedelta(days=offset)
        for n, (hour, minute) in enumerate(TIMES[: 3 + offset % 7]):
            when = local(restaurant, day, hour, minute)
            past = day < today()
            status = "completed" if past else "booked"
            if (offset + n) % 11 == 0:
                status = "cancelled"
            elif past and (offset + n) % 13 == 0:
                status = "no_show"
            session.add(Reservation(
                restaurant_id=restaurant.id, table_id=tables[n], starts_at=when,
                ends_at=when + dt.timedelta(minutes=90), party_size=1 + (offset + 3 * n) % 8,
                guest_name=f"Guest {offset}-{n}", status=status,
                source=SOURCES[(offset + n) % len(SOURCES)],
                created_at=when - dt.timedelta(hours=(offset * 5 + n * 17) % 400)))
    closed = week_start(today()) + dt.timedelta(days=9)
    session.add(SpecialDay(restaurant_id=restaurant.id, start_date=closed, end_date=closed,
                           closed=True, reason="Staff outing"))
    session.commit()
    return restaurant


@pytest.fixture
def axe_page(browser):
    """A page that may take axe-core as an inline script (bypass_csp); the CSP itself is
    checked by test_no_csp_violations on an ordinary page."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _log_in(page, live_server):
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")


def _check(page, screenshot, name: str) -> None:
    assert horizontal_overflow(page) == 0, name
    assert axe_violations(page) == [], name
    screenshot(page, name)


def test_no_csp_violations(live_server, page, busy):
    """Under the app's real CSP ('self' only, no inline styles) nothing is refused."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    _log_in(page, live_server)
    for path in ("week", "insights?weeks=12&dir=next", "insights"):
        page.goto(f"{live_server.url}/owner/weeks/{path}")
        page.wait_for_load_state("load")
    assert refused == []


def test_week_view_at_every_width_and_one_click_to_a_day(live_server, axe_page, busy,
                                                          screenshot):
    page = axe_page
    _log_in(page, live_server)
    monday = week_start(today())
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/owner/weeks/week")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
        _check(page, screenshot, f"week-{width}")
    page.goto(f"{live_server.url}/owner/weeks/week/{monday + dt.timedelta(days=7)}")
    closed = page.locator(f'[data-day="{monday + dt.timedelta(days=9)}"]')
    expect(closed).to_contain_text("Closed")
    expect(closed).to_contain_text("Staff outing")
    expect(closed).to_contain_text("on a closed day")  # the fixture booked that day before
    _check(page, screenshot, "week-next-390")
    # One click from a day of the week to its day view.
    thursday = monday + dt.timedelta(days=10)
    page.locator(f'[data-day="{thursday}"] h2 a').click()
    page.wait_for_url(f"**/owner/weeks/day/{thursday}")
    # And back, from the day view's header.
    page.get_by_role("button", name="Week", exact=True).click()
    page.wait_for_url(f"**/owner/weeks/week/{thursday}")
    expect(page.locator(f'[data-day="{thursday}"]')).to_be_visible()


@pytest.mark.parametrize("query", ["weeks=4&dir=past", "weeks=12&dir=next"])
def test_insights_at_every_width(live_server, axe_page, busy, screenshot, backend, query):
    page = axe_page
    _log_in(page, live_server)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/owner/weeks/insights?{query}")
        # The covers chart is drawn twice, wide and (for phones) narrow; one shows.
        covers = "covers-narrow" if width < 576 else "covers"
        for chart in (covers, "sources", "rates", "lead-time", "party-sizes"):
            expect(page.locator(f"#{chart}-chart")).to_be_visible()
        other = "covers" if covers == "covers-narrow" else "covers-narrow"
        expect(page.locator(f"#{other}-chart")).to_be_hidden()
        # The numbers behind a chart open under it.
        page.locator("#chart-sources summary").click()
        expect(page.locator("#chart-sources table")).to_be_visible()
        _check(page, screenshot, f"insights-{query.split('&')[0]}-{width}")
        # The covers chart alone, at its real size (the whole page shrinks it when looked at).
        page.locator("#chart-covers").screenshot(path=str(
            SCREENSHOTS / f"insights-covers-{query.split('&')[0]}-{width}-{backend}.png"))
    # The period form moves to another period without JavaScript's help.
    page.select_option("#insights-weeks", "8")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/insights?dir=*&weeks=8")
    expect(page.locator(".insights-period")).to_contain_text("8 weeks")


def test_a_bad_period_is_explained(live_server, axe_page, busy, screenshot):
    page = axe_page
    _log_in(page, live_server)
    page.set_viewport_size({"width": 390, "height": 900})
    response = page.goto(f"{live_server.url}/owner/weeks/insights?weeks=52")
    assert response is not None and response.status == 422
    expect(page.get_by_role("alert")).to_contain_text("Weeks must be from 4 to 12.")
    _check(page, screenshot, "insights-bad-period-390")
    # The form beside the message puts it right.
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/insights?dir=past&weeks=4")
    expect(page.locator(".insights-period")).to_contain_text("Last 4 weeks")
