"""Every page a guest can see, in Chromium with JavaScript at 1366, 1024 and 390 px:
axe-core finds no serious or critical violation, the page never scrolls sideways, and a
screenshot of each state is kept (test-output/screenshots/guest-*.png) to look at.

The states: the booking page with times, the details step with its messages, the
confirmation after booking, the manage page, its change form with other times and with
the stale-date message, the cancel page, the reminder's confirm page before and after,
a cancelled booking, and the error pages (unknown booking, unknown restaurant)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import AXE_SCRIPT, WIDTHS, horizontal_overflow
from tests.factories import future_day, local, make_restaurant
from webapp.booking import service


@pytest.fixture
def bistro(session):
    return make_restaurant(session, slug="bistro", name="Bistro Blau",
                           description="Seasonal cooking by the canal.",
                           address="Kanalstraße 1, 10115 Berlin", phone="+49 30 1234567",
                           email="hallo@bistro.example", tables=[("T1", 2), ("T2", 4)])


def axe_violations(page) -> list[dict]:
    """conftest's axe_violations (serious, critical), with axe-core evaluated through the
    DevTools protocol instead of an inline <script>, which the app's
    Content-Security-Policy blocks: the policy stays on, as guests have it, and a
    violation of it by the pages is caught too."""
    page.evaluate(AXE_SCRIPT.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def check(page, screenshot, name: str, width: int) -> None:
    """axe (serious + critical) and sideways scrolling, then the screenshot."""
    page.wait_for_load_state()
    assert axe_violations(page) == [], name
    assert horizontal_overflow(page) == 0, name
    screenshot(page, f"guest-{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_guest_page_passes_axe_and_fits(live_server, browser, session, bistro,
                                              screenshot, width):
    day, other = future_day(), future_day(5)
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda msg: problems.append(msg.text)
                if "Content Security Policy" in msg.text else None)
        base = live_server.url

        page.goto(f"{base}/r/bistro?date={day}&party_size=2")
        page.locator("label.time-choice").first.wait_for()
        check(page, screenshot, "booking-times", width)

        # The details step: a time picked, confirmed with the details missing/wrong.
        page.locator("label.time-choice", has_text="19:30").first.click()
        page.get_by_label("E-mail").fill("not-an-address")
        page.get_by_role("button", name="Confirm booking").click()
        page.locator(".field-error").first.wait_for()
        check(page, screenshot, "booking-details-errors", width)

        page.get_by_label("Name").fill("Ada Lovelace")
        page.get_by_label("E-mail").fill("ada@example.com")
        page.get_by_label("Phone").fill("+44 20 7946 0958")
        page.get_by_label("Notes (optional)").fill("A high chair, please")
        page.get_by_role("button", name="Confirm booking").click()
        page.wait_for_url("**/r/bistro/b/**")
        page.get_by_text("Your table is booked").wait_for()
        check(page, screenshot, "confirmation", width)
        manage = page.url

        page.goto(manage)
        page.locator(".times-heading").wait_for()
        check(page, screenshot, "manage", width)

        page.locator("#date").select_option(other.isoformat())
        page.locator(".times-heading", has_text=f"{other.day} {other:%B %Y}").wait_for()
        check(page, screenshot, "change-other-times", width)

        page.evaluate("(day) => { document.getElementById('date').value = day; }",
                      day.isoformat())  # as without JavaScript: no new times asked
        page.get_by_role("button", name="Change my booking").click()
        page.locator(".notice-warning", has_text="You changed the date").wait_for()
        check(page, screenshot, "change-stale-date", width)

        page.goto(f"{manage}/cancel")
        page.get_by_role("heading", name="Cancel your booking?").wait_for()
        check(page, screenshot, "cancel", width)

        page.goto(f"{manage}/confirm")
        page.get_by_role("heading", name="Are you coming?").wait_for()
        check(page, screenshot, "confirm", width)
        page.get_by_role("button", name="Yes, I am coming").click()
        page.get_by_role("heading", name="You are expected").wait_for()
        check(page, screenshot, "confirmed", width)

        cancelled = service.book(session, bistro, starts_at=local(bistro, day, 12), party_size=2,
                                 guest=service.GuestDetails("Grace", "grace@example.com"))
        service.cancel(session, bistro, cancelled.reservation.id)
        page.goto(f"{base}/r/bistro/b/{cancelled.manage_token}")
        page.get_by_role("heading", name="Your booking is cancelled").wait_for()
        check(page, screenshot, "cancelled", width)

        answer = page.goto(f"{base}/r/bistro/b/not-a-booking")
        assert answer is not None and answer.status == 404
        page.get_by_text("We could not find this booking").wait_for()
        check(page, screenshot, "booking-not-found", width)

        answer = page.goto(f"{base}/r/no-such-place")
        assert answer is not None and answer.status == 404
        check(page, screenshot, "restaurant-not-found", width)
        assert problems == []
    finally:
        context.close()
