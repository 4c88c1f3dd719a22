"""The owner dashboard in headless Chromium: setup pages, and the live day view with a
guest booking made through the public page in a second browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import DiningTable, OpeningHours, Reservation


def _collect_errors(page) -> list[str]:
    """Console errors (CSP violations, failed requests) except the missing favicon."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.text} {m.location.get('url', '')}")
            if m.type == "error" and "favicon" not in m.location.get("url", "") else None)
    return errors


def _log_in(page, live_server, email="owner@example.com"):
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**/day/**")


def test_setup_pages(live_server, page, session, screenshot):
    restaurant = make_restaurant(session, name="Browser Bistro", slug="browser-bistro",
                                 hours=[])
    make_owner(session, restaurant, "owner@example.com")
    errors = _collect_errors(page)
    _log_in(page, live_server)

    page.get_by_role("link", name="Tables").click()
    page.get_by_label("Name", exact=True).fill("Window 7")
    page.get_by_label("Number of seats").fill("6")
    page.get_by_label("Area").fill("window")
    page.get_by_role("button", name="Add table").click()
    expect(page.locator("tr[data-table='Window 7']")).to_contain_text("6")
    screenshot(page, "owner-tables")

    page.get_by_role("link", name="Hours", exact=True).click()
    day = future_day(3)
    page.locator("select#weekday").select_option(str(day.weekday()))
    page.get_by_label("Service", exact=True).fill("Dinner")
    page.get_by_label("Opens").fill("18:00")
    page.get_by_label("Closes").fill("22:00")
    page.get_by_role("button", name="Add service").click()
    expect(page.locator(f".weekday[data-weekday='{day.weekday()}']")).to_contain_text(
        "Dinner 18:00–22:00")
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_role("button", name="Show bookable times").click()
    expect(page.locator(".preview-times")).to_contain_text("20:00")
    screenshot(page, "owner-hours")

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Web address")).to_have_value("browser-bistro")
    screenshot(page, "owner-settings")

    session.rollback()
    window = session.scalar(select(DiningTable).where(DiningTable.name == "Window 7"))
    assert (window.seats, window.active) == (6, True)  # "Bookable" is ticked from the start
    assert session.scalar(select(OpeningHours)).name == "Dinner"
    assert errors == []


def test_public_booking_appears_live_then_moved_and_seated(live_server, page, browser, session,
                                                            screenshot, app, monkeypatch):
    # Poll every second instead of five so the test waits less; the mechanism is the same.
    monkeypatch.setitem(app.config, "OWNER_POLL_SECONDS", 1)
    restaurant = make_restaurant(session, name="Live Bistro", slug="live-bistro",
                                 tables=[("T1", 2), ("T2", 4), ("T3", 4), ("T4", 4)])
    make_owner(session, restaurant, "owner@example.com")
    t3_id = next(t.id for t in restaurant.tables if t.name == "T3")
    t4_id = next(t.id for t in restaurant.tables if t.name == "T4")
    day = future_day(2)
    service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=4,
                 guest=GuestDetails("Blocker"), table_id=t4_id, source="phone")
    errors = _collect_errors(page)
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/owner/live-bistro/day/{day}")
    expect(page.locator("#day-grid")).to_contain_text("Dinner")
    expect(page.locator(".booking")).to_have_count(1)  # the blocker

    # A guest books through the public page, in a browser of their own.
    guest_context = browser.new_context()
    try:
        guest = guest_context.new_page()
        guest.goto(f"{live_server.url}/r/live-bistro?date={day}&party_size=3")
        guest.get_by_label("19:00", exact=True).check()
        guest.get_by_label("Name").fill("Greta Guest")
        guest.get_by_label("E-mail").fill("greta@example.com")
        guest.get_by_label("Phone").fill("+49 30 555 0101")
        guest.get_by_role("button", name="Confirm booking").click()
        guest.wait_for_url("**/r/live-bistro/b/**")
    finally:
        guest_context.close()

    # The owner's open day view shows it without a reload (htmx polling).
    booking = page.locator(".booking", has_text="Greta Guest")
    expect(booking).to_be_visible(timeout=15_000)
    expect(page.locator(".covers-count[data-service='Dinner']")).to_have_text("7")  # 4 + 3
    screenshot(page, "owner-day")

    booking.click()
    panel = page.locator("#panel dialog")
    expect(panel).to_contain_text("Greta Guest")
    panel.get_by_text("Move (time or table)").click()
    panel.get_by_label("Table").select_option(str(t4_id))
    panel.get_by_role("button", name="Move").click()
    # The refusal names the booking in the way (T2, where Greta sits, is not offered).
    expect(panel).to_contain_text("T4 is taken 19:00–21:00 by Blocker")
    panel.get_by_label("Table").select_option(str(t3_id))
    panel.get_by_role("button", name="Move").click()
    expect(panel).to_contain_text("Moved Greta Guest to T3")
    expect(panel.locator(".table-name")).to_have_text("T3")
    t3_row = page.locator(".table-head", has_text="T3")
    row_class = re.search(r"r-\d+", t3_row.get_attribute("class")).group(0)
    expect(page.locator(".booking", has_text="Greta Guest")).to_have_class(
        re.compile(rf"\b{row_class}\b"))

    # The booking is two days ahead: seating it asks first (issue 17's safe status changes).
    panel.get_by_role("button", name="Seat").click()
    expect(panel).to_contain_text("Seat it anyway?")
    panel.get_by_role("button", name="Seat anyway").click()
    expect(panel).to_contain_text("Seated: Greta Guest")
    expect(page.locator(".booking", has_text="Greta Guest")).to_have_attribute(
        "data-status", "seated")
    screenshot(page, "owner-day-panel")
    # No CSP violations and no failed requests, apart from the refused move's deliberate 409.
    assert [e for e in errors if "409 (CONFLICT)" not in e] == []

    session.rollback()  # end the test's read snapshot (SQLite WAL) and look afresh
    reservation = session.scalar(select(Reservation).where(Reservation.source == "online"))
    assert (reservation.table_id, reservation.status, reservation.source) == \
        (t3_id, "seated", "online")
    assert [e.action for e in reservation.events] == ["created", "changed", "seated"]
