"""Moving and status changes on the day view in headless Chromium (issue 17), on both
databases: drag a booking to another table (pointer), the panel's move form (keyboard),
a refused move names the booking in the way, Cancel asks first and can be taken back,
seating on another day asks the owner, a stay past closing offers its choices. The
panel states are photographed at 1366, 1024 and 390 px and checked with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, local, make_owner, make_restaurant, today
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import Reservation

HEIGHTS = {1366: 768, 1024: 768, 390: 844}
# The day view's answers can take seconds on a busy test machine (2 cores, many runs).
WAIT_MS = 30_000


@pytest.fixture
def page(browser):
    """A tab that may take axe-core as an inline script (bypass_csp), as in
    test_day_view.py; the app's own pages still run under their policy's rules."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def floor(session):
    restaurant = make_restaurant(session, name="Moves Bistro", slug="moves",
                                 tables=[("Monaco", 2), ("Napoli", 4), ("Roma", 6)])
    make_owner(session, restaurant, "owner@example.com")
    ids = {t.name: t.id for t in restaurant.tables}

    def book(name: str, table: str, hour: int, minute: int = 0, day: dt.date | None = None,
             party: int = 2) -> int:
        return service.book(session, restaurant, starts_at=local(
            restaurant, day or today(), hour, minute), party_size=party,
            guest=GuestDetails(name), table_id=ids[table], source="phone").reservation.id

    return restaurant, ids, book


def _sees(locator, text: str) -> None:
    expect(locator).to_contain_text(text, timeout=WAIT_MS)


def _log_in(page, live_server):
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**/day/**")


def _open_day(page, live_server) -> None:
    """Today's grid, once its scripts are bound (html[data-day-ready]): a key pressed
    before that follows the booking's link as a plain page, with no panel to swap into."""
    page.goto(f"{live_server.url}/owner/moves/day/{today()}")
    expect(page.locator("html[data-day-ready]")).to_be_attached()


def _stored(session, rid: int) -> Reservation:
    session.rollback()  # a fresh snapshot (SQLite's WAL keeps an open read's old one)
    return session.get(Reservation, rid)


def _drag(page, block, target) -> None:
    """Press on the block, move in steps (as a hand does) onto the target, release."""
    page.wait_for_load_state("networkidle")  # the day view has scrolled itself to now
    target.scroll_into_view_if_needed()
    block.scroll_into_view_if_needed()
    start, end = block.bounding_box(), target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def _cell(page, table_id: int, time: str):
    """The table's cell at a time: the grid's cells carry their column (c-N), the covers
    row each column's time."""
    column = page.locator(f'.slot[data-time="{time}"]').get_attribute("data-col")
    return page.locator(f'.table-row[data-table="{table_id}"] .cell.c-{column}').first


def _check_widths(page, screenshot, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        page.locator("#panel .reservation, #panel form").first.scroll_into_view_if_needed()
        assert horizontal_overflow(page) <= 0, (name, width)
        screenshot(page, f"{name}-{width}")
        assert axe_violations(page) == [], (name, width)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_drag_and_drop_moves_a_booking_to_another_table(live_server, page, session, floor):
    restaurant, ids, book = floor
    grace = book("Grace", "Monaco", 19)
    _log_in(page, live_server)
    _open_day(page, live_server)
    block = page.locator(f"#booking-{grace}")
    _drag(page, block, _cell(page, ids["Roma"], "19:30"))
    _sees(page.locator("#panel"), "Moved Grace to Roma at 19:30")
    row = _stored(session, grace)
    assert (row.table_id, row.starts_at) == (ids["Roma"], local(restaurant, today(), 19, 30))
    # The grid redraws the block on its new table.
    expect(page.locator(f'.table-row[data-table="{ids["Roma"]}"] #booking-{grace}')
           ).to_be_visible(timeout=WAIT_MS)


def test_a_refused_drop_names_the_booking_in_the_way(live_server, page, session, floor):
    restaurant, ids, book = floor
    rossi = book("Rossi", "Napoli", 19)
    grace = book("Grace", "Monaco", 19)
    _log_in(page, live_server)
    _open_day(page, live_server)
    # Dropped onto Rossi's block: Napoli at 19:00.
    _drag(page, page.locator(f"#booking-{grace}"), page.locator(f"#booking-{rossi}"))
    _sees(page.locator("#panel"), "Napoli is taken 19:00–21:00 by Rossi.")
    assert _stored(session, grace).table_id == ids["Monaco"]


def test_the_keyboard_moves_a_booking_with_the_panels_form(live_server, page, session, floor):
    restaurant, ids, book = floor
    grace = book("Grace", "Monaco", 19)
    _log_in(page, live_server)
    _open_day(page, live_server)
    page.locator(f"#booking-{grace}").focus()
    page.keyboard.press("Enter")  # opens the booking in the panel
    summary = page.locator("#panel summary", has_text="Move (time or table)")
    summary.focus()
    page.keyboard.press("Enter")
    page.locator("#panel select[name=table]").focus()
    page.keyboard.press("End")  # the last table: Roma
    page.locator("#move-time").fill("20:15")
    page.locator("#move-time").press("Enter")  # submits the move form
    _sees(page.locator("#panel"), "Moved Grace to Roma at 20:15")
    row = _stored(session, grace)
    assert (row.table_id, row.starts_at) == (ids["Roma"], local(restaurant, today(), 20, 15))


def test_cancel_asks_first_and_can_be_taken_back(live_server, page, session, floor,
                                                  screenshot):
    restaurant, ids, book = floor
    rossi = book("Rossi", "Napoli", 19)
    _log_in(page, live_server)
    _open_day(page, live_server)
    page.locator(f"#booking-{rossi}").click()
    page.locator("#panel").get_by_role("button", name="Cancel booking").click()
    question = page.locator("#panel .confirm-step")
    _sees(question, "Cancel Rossi's booking for")
    assert _stored(session, rossi).status == "booked"
    _check_widths(page, screenshot, "moves-cancel-confirm")
    question.get_by_role("button", name="Yes, cancel booking").click()
    _sees(page.locator("#panel"), "Cancelled: Rossi.")
    assert _stored(session, rossi).status == "cancelled"
    _check_widths(page, screenshot, "moves-cancelled-rebook")
    page.locator("#panel").get_by_role("button", name="Re-book (undo cancellation)").click()
    _sees(page.locator("#panel"), "Booked again: Rossi.")
    assert _stored(session, rossi).status == "booked"


def test_seating_on_another_day_asks_the_owner(live_server, page, session, floor, screenshot):
    restaurant, ids, book = floor
    friday = today() + dt.timedelta(days=3)
    guest = book("Early Bird", "Roma", 19, day=friday)
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/owner/moves/reservations/{guest}")
    page.get_by_role("button", name="Seat", exact=True).click()
    words = f"{friday:%A} {friday.day} {friday:%B}"
    expect(page.locator(".confirm-step")).to_contain_text(
        f"This booking is for {words}. Seat it anyway?", timeout=WAIT_MS)
    assert _stored(session, guest).status == "booked"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        assert horizontal_overflow(page) <= 0, width
        screenshot(page, f"moves-off-day-{width}")
        assert axe_violations(page) == [], width
    page.get_by_role("button", name="Seat anyway").click()
    _sees(page.locator("main"), "Seated: Early Bird.")
    assert _stored(session, guest).status == "seated"


def test_a_stay_past_closing_offers_to_end_at_closing(live_server, page, session, floor,
                                                      screenshot):
    restaurant, ids, book = floor
    day = today() + dt.timedelta(days=2)
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/owner/moves/day/{day}")
    page.get_by_role("button", name="New phone booking").click()  # into the panel (htmx)
    panel = page.locator("#panel")
    panel.get_by_label("Time").fill("21:30")
    panel.get_by_label("Guest name").fill("Night Owl")
    panel.get_by_role("button", name="Save booking").click()
    _sees(panel.locator(".flash-error"), "would end after closing at 23:00")
    # The choices sit right under the refusal, on screen without scrolling.
    choice = panel.get_by_role("button", name="End it at 23:00 (90 min)")
    assert choice.bounding_box()["y"] < 768
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        assert horizontal_overflow(page) <= 0, width
        screenshot(page, f"moves-past-closing-{width}")
        assert axe_violations(page) == [], width
    page.set_viewport_size({"width": 1366, "height": 768})
    choice.click()
    _sees(panel, "Booked: Night Owl")
    session.rollback()
    row = session.query(Reservation).filter_by(guest_name="Night Owl").one()
    assert row.ends_at == local(restaurant, day, 23)
