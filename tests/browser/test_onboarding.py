"""The issue's proof in real Chromium: a new owner signs up at /signup, confirms the address
with the link from the outbox, walks every step of the set-up guide, publishes, and a guest
then books on the new restaurant's page — at desktop, tablet and phone width, on PostgreSQL
and SQLite. Every guide page passes axe-core (no serious or critical violations) and never
scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.browser.conftest import AXE_SCRIPT, WIDTHS, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.models import DiningTable, OpeningHours, OutboxEmail, Reservation, Restaurant, User

VERIFY_PATH = re.compile(r"/a/verify/[A-Za-z0-9_\-]+")
EMAIL = "marie@example.com"
PASSWORD = "a-long-enough-secret-1"


def watch_for_errors(page) -> list[str]:
    """Script errors, Content-Security-Policy violations, failed requests."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: problems.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    # (The favicon's request is cancelled when a click navigates on before it arrived.)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}")
            if not request.url.endswith("/favicon.svg") else None)
    return problems


def axe_violations(page) -> list[dict]:
    """conftest's axe_violations, with axe-core evaluated through the DevTools protocol
    instead of an inline <script>: the app's Content-Security-Policy stays on, so a
    violation by our own pages still shows (watch_for_errors)."""
    page.evaluate(AXE_SCRIPT.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def check_page(page, screenshot, name: str, width: int) -> None:
    """The guide page as it is now: no sideways scroll, accessible, and on file (the
    overflow first: it waits for the page to have loaded, stylesheet included)."""
    assert horizontal_overflow(page) == 0, name
    assert axe_violations(page) == [], name
    screenshot(page, f"onboarding-{name}-{width}")


@pytest.fixture
def owner_page(browser):
    """A browser in Lisbon (its time zone is what the guide should suggest)."""
    def make(width: int):
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      timezone_id="Europe/Lisbon")
        context.set_default_timeout(10_000)
        made.append(context)
        return context.new_page()

    made: list = []
    yield make
    for context in made:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_new_owner_signs_up_sets_up_publishes_and_a_guest_books(
        live_server, owner_page, session, screenshot, width):
    page = owner_page(width)
    problems = watch_for_errors(page)
    base = live_server.url

    # Sign-up: e-mail, password, restaurant name.
    page.goto(base + "/signup")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Restaurant name").fill("Chez Marie")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/setup-guide/restaurant")

    # 1. The restaurant. The browser's zone is offered; the owner changes it on purpose.
    page.get_by_text("Step 1 of 5").wait_for()
    assert page.locator("#timezone").input_value() == "Europe/Lisbon"
    check_page(page, screenshot, "1-restaurant", width)
    slug = page.locator("#slug")
    assert slug.input_value() == "chez-marie"
    slug.fill("signup")
    page.locator("#slug-check", has_text="reserved").wait_for()   # htmx, while typing
    slug.fill("chez-marie-lisboa")
    page.locator("#slug-check", has_text="is free").wait_for()
    page.locator("#timezone").select_option("Europe/Paris")
    page.get_by_label("Address", exact=True).fill("1 Rue de la Paix, Paris")
    page.get_by_label("Phone", exact=True).fill("+33 1 23 45 67 89")
    page.get_by_label("Short description for guests").fill("Bistro cooking, open kitchen.")
    page.get_by_role("button", name="Save and continue").click()

    # 2. Tables: two kinds on the quick form, one renamed on the confirmation page.
    page.wait_for_url("**/owner/chez-marie-lisboa/setup-guide/tables")
    page.get_by_text("Step 2 of 5").wait_for()
    check_page(page, screenshot, "2-tables", width)
    page.locator("#count-0").fill("3")
    page.locator("#seats-0").fill("2")
    page.locator("#count-1").fill("1")
    page.locator("#seats-1").fill("6")
    page.locator("#area-1").fill("Terrace")
    page.get_by_role("button", name="Show the tables").click()
    page.get_by_role("button", name="Create 4 tables").wait_for()
    assert page.locator("#names-3").input_value() == "T4"
    check_page(page, screenshot, "2-tables-confirm", width)
    page.locator("#names-3").fill("Terrace")
    page.get_by_role("button", name="Create 4 tables").click()

    # 3. Opening hours: dinner only, not on Mondays, closing a little later.
    page.wait_for_url("**/setup-guide/hours")
    check_page(page, screenshot, "3-hours", width)
    page.get_by_label("Dinner only").check()
    page.get_by_label("Monday").uncheck()
    page.get_by_role("button", name="Next: check the times").click()
    page.locator("#services-0-closes").wait_for()
    check_page(page, screenshot, "3-hours-review", width)
    page.locator("#services-0-closes").fill("23:30")
    page.get_by_role("button", name="Save opening hours").click()

    # 4. Booking rules: the suggested values, one changed.
    page.wait_for_url("**/setup-guide/rules")
    check_page(page, screenshot, "4-rules", width)
    assert page.get_by_label("Slot interval (minutes)").input_value() == "15"
    page.get_by_label("Largest online party").fill("6")
    page.get_by_role("button", name="Save and continue").click()

    # 5. The preview has real free times; Publish is refused until the address is verified.
    page.wait_for_url("**/setup-guide/publish")
    check_page(page, screenshot, "5-publish", width)
    # The suite's clock: Wednesday 12 June 2030, 10:00 in Paris; the first free time is
    # tonight's 18:00 (dinner from 18:00, lead time one hour).
    preview = page.locator(".preview-card")
    assert "Wednesday 12 June · 2 guests" in preview.inner_text()
    assert preview.locator(".time-chip").first.inner_text() == "18:00"
    page.get_by_role("button", name="Publish").click()
    page.locator("#publish-refusal").wait_for()
    assert "Verify your e-mail address first" in page.locator("#publish-refusal").inner_text()
    check_page(page, screenshot, "5-publish-refused", width)
    assert page.get_by_role("button", name="Send the verification e-mail again").is_visible()

    # Verification: the link from the outbox (its text part), opened in the same browser.
    session.commit()
    mail = session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == EMAIL)
                           .order_by(OutboxEmail.id)).first()
    match = VERIFY_PATH.search(mail.body_text)
    assert match, mail.body_text
    page.goto(base + match.group(0))
    page.get_by_role("button").filter(has_text=re.compile("Confirm", re.I)).first.click()
    page.wait_for_load_state()

    page.goto(base + "/owner/chez-marie-lisboa/setup-guide/publish")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/owner/chez-marie-lisboa/share")
    page.get_by_text("Your booking page is live").wait_for()
    check_page(page, screenshot, "6-share", width)
    link = base + "/r/chez-marie-lisboa"
    assert page.locator(".share-address a").inner_text() == link
    assert page.locator("svg.qr-code").is_visible()

    # The guest books on the new page, tonight at 19:00, party of 2.
    guest = page.context.browser.new_context(viewport={"width": width, "height": 900})
    guest.set_default_timeout(10_000)
    try:
        guest_page = guest.new_page()
        guest_problems = watch_for_errors(guest_page)
        guest_page.goto(link)
        guest_page.get_by_text("Bistro cooking, open kitchen.").wait_for()
        guest_page.locator(".times-heading").wait_for()
        guest_page.locator("label.time-choice", has_text="19:00").first.click()
        guest_page.get_by_label("Name").fill("Ada Guest")
        guest_page.get_by_label("E-mail").fill("ada@example.com")
        guest_page.get_by_label("Phone").fill("+33 6 12 34 56 78")  # tonight: asked for
        guest_page.get_by_role("button", name="Confirm booking").click()
        guest_page.wait_for_url("**/r/chez-marie-lisboa/b/**")
        guest_page.get_by_text("Your table is booked").wait_for()
        screenshot(guest_page, f"onboarding-7-guest-booked-{width}")
        assert guest_problems == []
    finally:
        guest.close()

    # What was stored, as the owner set it up (a new transaction: SQLite's snapshot).
    session.commit()
    restaurant = session.scalars(select(Restaurant).where(
        Restaurant.slug == "chez-marie-lisboa")).one()
    assert (restaurant.name, restaurant.timezone, restaurant.max_online_party) == (
        "Chez Marie", "Europe/Paris", 6)
    assert restaurant.published_at is not None and restaurant.onboarded_at is not None
    assert session.scalars(select(User.email_verified_at).where(User.email == EMAIL)).one()
    tables = session.scalars(select(DiningTable).where(
        DiningTable.restaurant_id == restaurant.id).order_by(DiningTable.position)).all()
    assert [(t.name, t.seats, t.area) for t in tables] == [
        ("T1", 2, ""), ("T2", 2, ""), ("T3", 2, ""), ("Terrace", 6, "Terrace")]
    hours = session.scalars(select(OpeningHours).where(
        OpeningHours.restaurant_id == restaurant.id)).all()
    assert sorted(h.weekday for h in hours) == [1, 2, 3, 4, 5, 6]
    assert {(h.name, h.opens, h.closes) for h in hours} == {
        ("Dinner", dt.time(18), dt.time(23, 30))}
    (booking,) = session.scalars(select(Reservation).where(
        Reservation.restaurant_id == restaurant.id)).all()
    assert (booking.guest_name, booking.party_size) == ("Ada Guest", 2)
    assert booking.starts_at == dt.datetime(2030, 6, 12, 17, 0, tzinfo=dt.UTC)  # 19:00 Paris
    assert problems == []


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")


@pytest.mark.parametrize("width", (1366, 390))
def test_restaurant_menu_new_restaurant_and_switching(live_server, owner_page, session,
                                                      screenshot, width):
    first = make_restaurant(session, name="Chez Test", slug="chez-test")
    make_owner(session, first, "owner@example.com")
    page = owner_page(width)
    problems = watch_for_errors(page)
    log_in(page, live_server.url, "owner@example.com")
    page.wait_for_url("**/owner/chez-test/day/**")

    menu = page.locator("details.restaurant-switcher")
    menu.locator("summary").click()
    menu.get_by_role("link", name="Chez Test ✓").wait_for()
    check_page(page, screenshot, "menu-open", width)
    menu.get_by_role("link", name="New restaurant…").click()
    page.wait_for_url("**/owner/new")
    check_page(page, screenshot, "new-restaurant", width)
    page.get_by_label("Name of the restaurant").fill("Zweites Haus")
    page.get_by_role("button", name="Create and set up").click()
    page.wait_for_url("**/owner/zweites-haus/setup-guide/restaurant")
    page.get_by_text("Step 1 of 5").wait_for()

    # The menu says where we are, and leads back to the first restaurant's day.
    menu.locator("summary").click()
    assert menu.locator("a[aria-current=true]").inner_text() == "Zweites Haus ✓"
    menu.get_by_role("link", name="Chez Test").click()
    page.wait_for_url("**/owner/chez-test/day/**")
    assert "Chez Test" in menu.locator("summary").inner_text()
    page.goto(live_server.url + "/owner/")
    check_page(page, screenshot, "dashboard-list", width)
    assert page.get_by_role("link", name="Set-up guide").count() == 1  # the new one's
    assert problems == []


def test_the_guide_works_without_javascript(live_server, browser, session, screenshot):
    restaurant = make_restaurant(session, name="Ohne Skript", slug="ohne-skript",
                                 tables=[("T1", 2), ("T2", 4)], hours=[])
    restaurant.onboarded_at = restaurant.published_at = None  # as sign-up makes it
    session.commit()
    make_owner(session, restaurant, "plain@example.com")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, live_server.url, "plain@example.com")
        page.wait_for_url("**/owner/ohne-skript/setup-guide/restaurant")
        page.get_by_label("Short description for guests").fill("Ohne JavaScript.")
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_url("**/setup-guide/tables")
        assert page.locator("[data-kind-row]").count() == 4
        assert page.get_by_role("button", name="Add another kind").is_hidden()
        page.get_by_label("Or write them on one line").fill("2 of 2, 1 of 4")
        page.get_by_role("button", name="Show the tables").click()
        page.get_by_role("button", name="Create 3 tables").click()
        page.wait_for_url("**/setup-guide/hours")
        page.get_by_role("button", name="Next: check the times").click()
        page.get_by_role("button", name="Save opening hours").click()
        page.wait_for_url("**/setup-guide/rules")
        page.get_by_role("link", name="Skip for now").click()
        page.wait_for_url("**/setup-guide/publish")
        assert page.locator(".preview-card .time-chip").count() > 0
        screenshot(page, "onboarding-no-js-publish-390")
        page.get_by_role("button", name="Publish").click()
        page.wait_for_url("**/owner/ohne-skript/share")
        assert page.locator("svg.qr-code").is_visible()
    finally:
        context.close()
    session.commit()
    tables = session.scalars(select(DiningTable.name).where(
        DiningTable.restaurant_id == restaurant.id).order_by(DiningTable.position)).all()
    assert tables == ["T1", "T2", "T3", "T4", "T5"]  # numbered on after T1 and T2
    assert session.scalars(select(OpeningHours).where(
        OpeningHours.restaurant_id == restaurant.id)).all()
    assert session.get(Restaurant, restaurant.id).published_at is not None
