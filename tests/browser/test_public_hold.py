"""Holds on the guest page in real headless Chromium (issue 19): picking a time holds its
table (the status says until when), the booking converts the hold; the page is axe-clean
and fits at 1366, 1024 and 390 px."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.browser.test_public_booking import fill_details, pick_time, watch_for_errors
from tests.factories import future_day, make_restaurant
from webapp.models import Hold, Reservation


def count(session, model) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(model))


def test_pick_a_time_the_hold_shows_then_book(live_server, page, session, clock, screenshot):
    make_restaurant(session, slug="bistro", name="Bistro Blau", phone="+49 30 1234567",
                    tables=[("T1", 2), ("T2", 4)])
    problems = watch_for_errors(page)
    day = future_day()
    page.goto(f"{live_server.url}/r/bistro?date={day.isoformat()}&party_size=2")
    status = page.locator("#hold-status")
    status.wait_for(state="attached")
    assert status.text_content() == ""  # nothing held before a pick
    pick_time(page, "19:00")
    until = (clock.now() + dt.timedelta(minutes=7)).astimezone(ZoneInfo("Europe/Berlin"))
    note = status.locator(".hold-note")
    note.filter(has_text=f"We are holding a table for you until {until:%H:%M}.").wait_for()
    assert count(session, Hold) == 1
    assert page.evaluate("document.activeElement.value") == "19:00"  # focus stays on the pick
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], width
        assert horizontal_overflow(page) == 0, width
        screenshot(page, f"public-hold-{width}")
    # Another pick moves the hold (one per session).
    with page.expect_response(lambda r: r.url.endswith("/r/bistro/hold")) as answer:
        pick_time(page, "20:00")
    assert answer.value.status == 200
    session.commit()
    held = session.scalars(select(Hold.starts_at)).all()
    assert [h.astimezone(ZoneInfo("Europe/Berlin")).hour for h in held] == [20]
    fill_details(page)
    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url("**/r/bistro/b/**")
    assert count(session, Reservation) == 1 and count(session, Hold) == 0
    assert problems == []


# Counts, in the page, the hold and booking requests htmx was asked to make ("asked", at
# htmx:confirm) and the ones it sent (htmx:beforeSend): a hold asked but not sent was held
# back by public.js.
COUNT_REQUESTS = """() => {
  window.counted = {holdAsked: 0, holdSent: 0, bookingAsked: 0, bookingSent: 0};
  const kind = (elt) => elt.id === "hold-status" ? "hold" : elt.id === "booking" ? "booking" : "";
  document.addEventListener("htmx:confirm", (e) => {
    const k = kind(e.detail.elt); if (k) window.counted[k + "Asked"]++;
  });
  document.addEventListener("htmx:beforeSend", (e) => {
    const k = kind(e.detail.elt); if (k) window.counted[k + "Sent"]++;
  });
}"""


def held_routes(page, pattern: str) -> list:
    """Requests to ``pattern`` are kept waiting (each is let go by ``.continue_()``)."""
    waiting: list = []
    page.route(pattern, lambda route: waiting.append(route))
    return waiting


def wait_until(page, condition) -> None:
    """Let Playwright deliver its events until ``condition()`` holds (10 s at most)."""
    for _ in range(500):
        if condition():
            return
        page.wait_for_timeout(20)
    raise AssertionError("the condition never held")


def test_no_hold_is_sent_once_the_guest_confirmed(live_server, page, session):
    """The guest confirms within the hold's 300 ms debounce: the hold, due while the booking
    is on its way, is not sent, so no second table is held for nobody after the booking."""
    make_restaurant(session, slug="bistro", name="Bistro Blau", tables=[("T1", 2), ("T2", 4)])
    problems = watch_for_errors(page)
    page.goto(f"{live_server.url}/r/bistro?date={future_day().isoformat()}&party_size=2")
    page.evaluate(COUNT_REQUESTS)
    bookings = held_routes(page, "**/r/bistro/book")
    fill_details(page)
    # The pick and the confirm in one task of the page: the confirm surely comes within
    # the debounce, however slow the machine.
    page.evaluate("""() => {
      document.querySelector('#booking input[name="time"][value="19:00"]').click();
      [...document.querySelectorAll('#booking button')]
        .find((b) => b.textContent.includes("Confirm booking")).click();
    }""")
    # The debounced hold came due while the booking is on its way.
    wait_until(page, lambda: page.evaluate("window.counted.holdAsked") >= 1)
    assert page.evaluate("window.counted") == {
        "holdAsked": 1, "holdSent": 0, "bookingAsked": 1, "bookingSent": 1}
    wait_until(page, lambda: bookings)
    bookings[0].continue_()
    page.wait_for_url("**/r/bistro/b/**")
    assert count(session, Reservation) == 1 and count(session, Hold) == 0
    assert problems == []


def test_a_booking_waits_for_the_hold_in_flight_and_converts_it(live_server, page, session):
    """The guest confirms while their hold is on its way: the booking waits for it and
    names it, so the held table is booked and the hold is gone (not left on another table,
    which a booking sent alongside would leave)."""
    make_restaurant(session, slug="bistro", name="Bistro Blau", tables=[("T1", 2), ("T2", 4)])
    problems = watch_for_errors(page)
    page.goto(f"{live_server.url}/r/bistro?date={future_day().isoformat()}&party_size=2")
    page.evaluate(COUNT_REQUESTS)
    hold_requests = held_routes(page, "**/r/bistro/hold")
    fill_details(page)
    pick_time(page, "19:00")
    wait_until(page, lambda: page.evaluate("window.counted.holdSent") >= 1)
    page.get_by_role("button", name="Confirm booking").click()
    wait_until(page, lambda: page.evaluate("window.counted.bookingAsked") >= 1)
    assert page.evaluate("window.counted.bookingSent") == 0  # waits for the hold
    wait_until(page, lambda: hold_requests)
    hold_requests[0].continue_()
    page.wait_for_url("**/r/bistro/b/**")
    assert count(session, Reservation) == 1 and count(session, Hold) == 0
    assert problems == []
