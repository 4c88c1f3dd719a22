"""The guest's booking flow in real headless Chromium: with JavaScript (htmx) and without,
change, cancel, and two guests racing for the last table."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.models import Reservation


@pytest.fixture
def bistro(session):
    return make_restaurant(session, slug="bistro", name="Bistro Blau",
                           description="Seasonal cooking by the canal.",
                           address="Kanalstraße 1, Berlin", phone="+49 30 1234567",
                           tables=[("T1", 2), ("T2", 4)])


@pytest.fixture
def no_js_page(browser):
    """A page in a context with JavaScript switched off: plain HTML forms only."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def watch_for_errors(page) -> list[str]:
    """Script errors, Content-Security-Policy violations and failed requests.

    (Not every console error: Chromium logs each 4xx answer, and the 422 is expected.)"""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: problems.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    return problems


def fill_details(page, name: str = "Ada Lovelace", email: str = "ada@example.com",
                 phone: str = "+44 20 7946 0958") -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Phone").fill(phone)


def pick_time(page, time: str) -> None:
    page.locator("label.time-choice", has_text=time).first.click()


def reservations(session) -> list[Reservation]:
    session.commit()
    return list(session.scalars(select(Reservation).order_by(Reservation.id)))


def test_book_with_javascript(live_server, page, session, bistro, screenshot):
    problems = watch_for_errors(page)
    day = future_day()
    page.goto(f"{live_server.url}/r/bistro")
    assert page.locator(".show-times").is_hidden()  # htmx follows every change
    screenshot(page, "public-booking-page")

    page.locator("#date").select_option(day.isoformat())
    heading = page.locator(".times-heading")
    heading.filter(has_text=f"{day.day} {day:%B %Y}").wait_for()
    page.locator("#party_size").focus()
    page.locator("#party_size").select_option("3")
    heading.filter(has_text="3 guests").wait_for()
    assert page.evaluate("document.activeElement.id") == "party_size"  # focus not stolen
    assert f"date={day.isoformat()}" in page.url and "party_size=3" in page.url

    # Confirming without a time: the 422 answer is swapped in and its message takes focus.
    page.get_by_role("button", name="Confirm booking").click()
    alert = page.locator(".notice-error")
    alert.wait_for()
    assert "Choose a time." in alert.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "alert"

    pick_time(page, "19:30")
    fill_details(page)
    page.get_by_label("Notes (optional)").fill("A quiet corner")
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url("**/r/bistro/b/**")
    page.get_by_text("Your table is booked").wait_for()
    assert "19:30" in page.locator(".booking-summary").inner_text()
    assert page.locator(".manage-url").inner_text() == page.url
    screenshot(page, "public-confirmation")
    (booked,) = reservations(session)
    assert booked.starts_at == local(bistro, day, 19, 30) and booked.party_size == 3
    assert problems == []


def test_book_without_javascript(live_server, no_js_page, session, bistro, screenshot):
    page = no_js_page
    day = future_day(3)
    page.goto(f"{live_server.url}/r/bistro")
    page.locator("#date").select_option(day.isoformat())
    page.locator("#party_size").select_option("2")
    page.get_by_role("button", name="Show free times").click()  # posts the form back
    page.locator(".times-heading", has_text=f"{day.day} {day:%B %Y}").wait_for()
    screenshot(page, "public-times-no-js-mobile")
    pick_time(page, "12:15")
    fill_details(page, "Grace Hopper", "grace@example.com")
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url("**/r/bistro/b/**")
    page.get_by_text("Your table is booked").wait_for()
    (booked,) = reservations(session)
    assert booked.starts_at == local(bistro, day, 12, 15) and booked.guest_name == "Grace Hopper"
    page.reload()  # POST-redirect-GET: a reload books nothing more
    assert len(reservations(session)) == 1


def test_change_then_cancel(live_server, page, session, bistro, screenshot):
    day = future_day()
    result = service.book(session, bistro, starts_at=local(bistro, day, 19), party_size=2,
                          guest=service.GuestDetails("Alan Turing", "alan@example.com"))
    page.goto(f"{live_server.url}/r/bistro/b/{result.manage_token}")
    page.locator(".times-heading").wait_for()
    assert page.locator('input[name="time"][value="19:00"]').is_checked()
    screenshot(page, "public-manage")
    page.locator("#party_size").select_option("4")
    page.locator(".times-heading", has_text="4 guests").wait_for()
    pick_time(page, "20:45")
    page.get_by_role("button", name="Change my booking").click()
    page.get_by_text("Your booking is changed").wait_for()
    assert "20:45" in page.locator(".booking-summary").inner_text()

    page.get_by_role("button", name="Cancel this booking…").click()
    page.get_by_role("heading", name="Cancel your booking?").wait_for()
    screenshot(page, "public-cancel")
    page.get_by_label("Yes, cancel my booking").check()
    page.get_by_role("button", name="Cancel booking").click()
    page.get_by_text("This booking is cancelled and can no longer be changed.").wait_for()
    (reservation,) = reservations(session)
    assert reservation.status == "cancelled" and reservation.party_size == 4
    assert reservation.starts_at == local(bistro, day, 20, 45)


def test_two_guests_race_for_the_last_table(live_server, browser, session, screenshot):
    solo = make_restaurant(session, slug="solo", name="Chez Solo", tables=[("Only", 2)])
    day = future_day()
    url = f"{live_server.url}/r/solo?date={day.isoformat()}&party_size=2"
    contexts = [browser.new_context() for _ in range(2)]
    try:
        first, second = (context.new_page() for context in contexts)
        for guest_page in (first, second):
            guest_page.goto(url)
        # The first to pick 19:00 holds the only table while they type ...
        pick_time(first, "19:00")
        first.locator("#hold-status").get_by_text("We are holding a table for you").wait_for()
        # ... so the second, who typed first and picks it next, is told at once, not
        # after typing: the time was just taken, here are the nearest free ones.
        fill_details(second, "Second", "second@example.com", "+49 30 222222")
        pick_time(second, "19:00")
        warning = second.locator(".notice-warning")
        warning.wait_for()
        assert "that time was just taken" in warning.inner_text()
        assert second.get_by_label("Name").input_value() == "Second"  # what they typed stays
        offered = second.locator('input[name="time"]').evaluate_all("els => els.map(e => e.value)")
        assert offered and "19:00" not in offered
        screenshot(second, "public-just-taken")

        fill_details(first, "First", "first@example.com", "+49 30 111111")
        first.get_by_role("button", name="Confirm booking").click()
        first.wait_for_url("**/r/solo/b/**")
        assert [r.guest_name for r in reservations(session)] == ["First"]

        second.locator("label.time-choice").first.click()
        second.get_by_role("button", name="Confirm booking").click()
        second.wait_for_url("**/r/solo/b/**")
        session.commit()
        assert session.scalar(select(func.count()).select_from(Reservation)) == 2
        starts = {r.guest_name: r.starts_at for r in reservations(session)}
        assert starts["First"] == local(solo, day, 19, 0)
        assert abs(starts["Second"] - starts["First"]) >= dt.timedelta(hours=2)
    finally:
        for context in contexts:
            context.close()
