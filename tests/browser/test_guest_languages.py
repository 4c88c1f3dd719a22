"""The guest pages in German in Chromium at 1366, 1024 and 390 px (the browser asks for
de-DE, as a German phone does): the booking flow through to the manage and cancel pages
reads German, German's long words never make a page scroll sideways, axe-core finds no
serious or critical violation, and the language menu switches to French and stays
there (the cookie). Screenshots: test-output/screenshots/guest-de-*.png."""

from __future__ import annotations

import pytest
from babel.dates import format_date

from tests.browser.conftest import WIDTHS
from tests.browser.test_guest_pages_axe import check
from tests.factories import future_day, make_restaurant


@pytest.fixture
def gasthaus(session):
    # A long German name and address: the words a phone must wrap, not scroll.
    return make_restaurant(session, slug="gasthaus", name="Gasthaus Donaudampfschifffahrt",
                           description="Schwäbische Küche, Maultaschen und Spätzle.",
                           address="Hauptstraße 12, 70173 Stuttgart", phone="+49 711 1234567",
                           email="reservierung@gasthaus.example",
                           tables=[("T1", 2), ("T2", 4)])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_german_booking_flow_reads_german_and_fits(live_server, browser, session, gasthaus,
                                                       screenshot, width):
    day = future_day()
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
    context.set_default_timeout(10_000)
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(str(error)))
        base = live_server.url

        page.goto(f"{base}/r/gasthaus?date={day}&party_size=2")
        page.locator("label.time-choice").first.wait_for()
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("heading", name="Tisch reservieren").is_visible()
        assert format_date(day, "full", locale="de") in page.locator(".times-heading").inner_text()
        check(page, screenshot, "de-booking-times", width)

        page.locator("label.time-choice", has_text="19:30").first.click()
        page.get_by_label("E-Mail").fill("keine-adresse")
        page.get_by_role("button", name="Reservierung bestätigen").click()
        page.locator(".field-error").first.wait_for()
        assert "Das sieht nicht nach einer E-Mail-Adresse aus" in page.content()
        check(page, screenshot, "de-booking-details-errors", width)

        page.get_by_label("Name").fill("Anna Schmidt")
        page.get_by_label("E-Mail").fill("anna@example.com")
        page.get_by_label("Telefon").fill("+49 30 1234567")
        page.get_by_role("button", name="Reservierung bestätigen").click()
        page.wait_for_url("**/r/gasthaus/b/**")
        page.get_by_text("Ihr Tisch ist reserviert").wait_for()
        check(page, screenshot, "de-manage", width)
        manage = page.url

        page.goto(f"{manage}/cancel")
        page.get_by_role("heading", name="Reservierung stornieren?").wait_for()
        check(page, screenshot, "de-cancel", width)

        # The menu switches to French; the cookie keeps it on the next page.
        page.goto(manage)
        page.locator(".language-menu").get_by_role("link", name="Français").click()
        page.get_by_role("heading", name="Votre réservation").wait_for()
        page.goto(f"{base}/r/gasthaus")
        page.get_by_role("heading", name="Réserver une table").wait_for()
        assert page.locator("html").get_attribute("lang") == "fr"
        check(page, screenshot, "fr-booking", width)
    finally:
        context.close()
    assert problems == []
