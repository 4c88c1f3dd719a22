"""The day view as a host uses it (issue 17), in headless Chromium on both databases: it
opens at now (today) or at the first service, the now line, a live refresh that keeps the
scroll position, the open panel and a half-typed form, the grid as one Tab stop with arrow
keys, the panel as a dialog that gives focus back, the phone's list with one-tap Seat; no
sideways scrolling of the page and no serious axe-core findings at 1366, 1024 and 390 px.

"Now" is the evening of the app's today (clock.fixed_at), so the grid has a past and a
future whatever instant the suite runs at."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp import clock
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import OpeningHours, Reservation
from webapp.owner.common import today

HEIGHTS = {1366: 768, 1024: 768, 390: 844}


def _log_in(page, live_server):
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**/day/**")
    _ready(page)


def _ready(page):
    """The day view's script has placed the line and scrolled (owner-day.js)."""
    expect(page.locator("html[data-day-ready]")).to_be_attached()


@pytest.fixture(autouse=True)
def _quiet_at_the_end(page):
    """Leave no poll running into the next test's clean-up (its TRUNCATE would deadlock
    with a request still reading)."""
    yield
    page.goto("about:blank")
    page.wait_for_timeout(300)


def _book(session, restaurant, day, hour, minute=0, party=2, name="Guest", table=None,
          notes=""):
    table_id = next(t.id for t in restaurant.tables if t.name == table) if table else None
    return service.book(session, restaurant, starts_at=local(restaurant, day, hour, minute),
                        party_size=party, guest=GuestDetails(name, notes=notes),
                        table_id=table_id, source="phone").reservation


@pytest.fixture
def stand(session):
    restaurant = make_restaurant(
        session, name="Stand Bistro", slug="stand",
        tables=[("Monaco", 2), ("Napoli", 4), ("Roma", 4), ("Siena", 6), ("Torino", 8)])
    make_owner(session, restaurant, "owner@example.com")
    return restaurant


@pytest.fixture
def evening(session, stand) -> Iterator[dt.date]:
    """Today with bookings through the evening, the clock at 20:10 local time."""
    day = today(stand)
    _book(session, stand, day, 18, 30, party=4, name="Early Bird", table="Napoli")
    pair = _book(session, stand, day, 19, 0, party=2, name="Seated Pair", table="Monaco")
    _book(session, stand, day, 20, 0, party=3, name="Rossi Family", table="Roma",
          notes="High chair, please")
    _book(session, stand, day, 21, 0, party=6, name="Late Party", table="Siena")
    with clock.fixed_at(local(stand, day, 20, 10)):
        service.set_status(session, stand, pair.id, "seated", actor="owner:test")
        yield day


def _grid_box(page) -> dict:
    return page.evaluate("""() => {
        const box = document.querySelector('.grid-scroll');
        const r = box.getBoundingClientRect();
        const head = box.querySelector('.corner').getBoundingClientRect();
        return {left: r.left, right: r.left + box.clientWidth, head: head.width,
                scrollLeft: box.scrollLeft};
    }""")


def _x_of(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["x"]


@pytest.fixture
def console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and "favicon" not in m.location.get("url", "") else None)
    return errors


@pytest.mark.parametrize("width", WIDTHS)
def test_the_day_view_fits_and_passes_axe_at_each_width(live_server, page, evening, width,
                                                        screenshot, console_errors):
    page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
    _log_in(page, live_server)
    expect(page.locator("#day-grid")).to_contain_text("Dinner")
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"day-view-{width}")
    if width <= 600:
        # A phone opens on the list; the grid is one tap away and fits too.
        expect(page.locator(".list-view")).to_be_visible()
        expect(page.locator(".grid-view")).to_be_hidden()
        page.get_by_role("link", name="Grid", exact=True).click()
        page.wait_for_url("**view=grid")
        _ready(page)
        expect(page.locator(".grid-view")).to_be_visible()
        assert horizontal_overflow(page) == 0
        assert axe_violations(page) == []
        screenshot(page, f"day-view-grid-{width}")
    else:
        expect(page.locator(".grid-view")).to_be_visible()
        expect(page.locator(".list-view")).to_be_hidden()
    # The panel open over the day: still no sideways scrolling, still no findings.
    page.locator(".booking", has_text="Rossi Family").click()
    dialog = page.locator("#panel dialog")
    expect(dialog).to_contain_text("Rossi Family")
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    screenshot(page, f"day-view-panel-{width}")
    assert console_errors == []  # the app's CSP is on: nothing refused


def _open_the_grid(page, live_server, width: int) -> None:
    """Today's day view at ``width``, as the grid (a phone opens on the list)."""
    page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
    _log_in(page, live_server)
    if width <= 600:
        page.get_by_role("link", name="Grid", exact=True).click()
        page.wait_for_url("**view=grid")
        _ready(page)


@pytest.mark.parametrize("width", (1366, 1024, 390))
def test_today_opens_at_now_with_a_now_line(live_server, page, evening, width, app,
                                            monkeypatch):
    # The fake clock below jumps ten minutes: no polls meanwhile (they would all fire).
    monkeypatch.setitem(app.config, "OWNER_POLL_SECONDS", 3600)
    # The browser's own clock is days off the server's fixed one: the page goes by the
    # server's instant and only advances it.
    page.clock.install(time=dt.datetime(2031, 1, 1, 3, 0, tzinfo=dt.UTC))
    _open_the_grid(page, live_server, width)
    line = page.locator("#now-line")
    expect(line).to_be_attached()
    box = _grid_box(page)
    x = line.bounding_box()["x"]
    assert box["scrollLeft"] > 0  # 12:00 is out of sight: the evening is what matters
    assert box["left"] + box["head"] < x < box["right"], (box, x)
    # The line stands at 20:10: in the 20:00 column, two thirds of its width before 20:15.
    slot_20 = page.locator(".slot[aria-label^='20:00:']").bounding_box()
    assert slot_20["x"] < x < slot_20["x"] + slot_20["width"]
    assert x - slot_20["x"] == pytest.approx(slot_20["width"] * 10 / 15, abs=2)
    # Ten minutes on (the browser's clock, the server's still says 20:10): the line moves
    # into the 20:15 column, a third of the way.
    page.clock.fast_forward("10:00")
    slot_15 = page.locator(".slot[aria-label^='20:15:']").bounding_box()
    expect(line).to_have_class("now-line c-" + page.locator(
        ".slot[aria-label^='20:15:']").get_attribute("data-col") + " s-1")
    x = line.bounding_box()["x"]
    assert x - slot_15["x"] == pytest.approx(slot_15["width"] * 5 / 15, abs=2)


def _pixel(page, x: float, y: float) -> tuple[int, int, int]:
    """The colour Chromium painted at (x, y): a 1×1 screenshot, whose PNG row is the
    pixel itself whatever filter the encoder chose (each predicts from neighbours that a
    single pixel does not have)."""
    png = page.screenshot(clip={"x": x, "y": y, "width": 1, "height": 1})
    chunks, at = {}, 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        chunks[kind] = chunks.get(kind, b"") + png[at + 8:at + 8 + length]
        at += 12 + length
    row = zlib.decompress(chunks[b"IDAT"])
    return row[1], row[2], row[3]


def _is_red(rgb: tuple[int, int, int]) -> bool:
    red, green, blue = rgb
    return red > 180 and green < 90 and blue < 90  # the line's #d91c1c


@pytest.mark.parametrize("width", (1366, 390))
def test_the_now_line_runs_under_the_bookings(live_server, page, evening, width, app,
                                             monkeypatch):
    """Issue 17: the line crossed out the name of the party in the room at 20:10. It is
    painted under the bookings now: red in a free row, the booking's own colour where a
    booking covers it."""
    monkeypatch.setitem(app.config, "OWNER_POLL_SECONDS", 3600)
    _open_the_grid(page, live_server, width)
    line = page.locator("#now-line")
    expect(line).to_be_attached()
    rossi = page.locator(".booking", has_text="Rossi Family")  # 20:00-22:00 on Roma
    rossi.scroll_into_view_if_needed()
    line_box = line.bounding_box()
    x = line_box["x"] + line_box["width"] / 2
    box = rossi.bounding_box()
    assert box["x"] < x < box["x"] + box["width"]
    assert not _is_red(_pixel(page, x, box["y"] + box["height"] / 2))
    # Siena's row is free at 20:10 (its party comes at 21:00): the line shows there.
    siena_head = page.locator("#th-" + page.locator(".table-row", has_text="Siena").first
                              .get_attribute("data-table"))
    siena_head.scroll_into_view_if_needed()
    line_box = line.bounding_box()
    x = line_box["x"] + line_box["width"] / 2
    siena = siena_head.bounding_box()
    assert _is_red(_pixel(page, x, siena["y"] + siena["height"] / 2))


@pytest.mark.parametrize("width", (1024, 390))
def test_another_day_opens_at_its_first_service(live_server, page, session, stand, width):
    """A 12:00 booking stays on the grid after lunch is taken off the hours: the day's
    first column is 12:00, but the grid opens at dinner, its first service."""
    day = future_day(3)
    _book(session, stand, day, 12, 0, party=2, name="Lunch Leftover", table="Monaco")
    session.execute(delete(OpeningHours).where(OpeningHours.restaurant_id == stand.id,
                                               OpeningHours.name == "Lunch"))
    session.commit()
    page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/owner/stand/day/{day}?view=grid")
    _ready(page)
    expect(page.locator(".booking", has_text="Lunch Leftover")).to_be_attached()
    box = _grid_box(page)
    assert box["scrollLeft"] > 0
    dinner = page.locator(".slot[aria-label^='18:00:']").bounding_box()
    # 18:00 right after the table names, or as near as the box scrolls (a wide screen
    # holds the whole day).
    most = page.locator(".grid-scroll").evaluate("b => b.scrollWidth - b.clientWidth")
    if box["scrollLeft"] < most:
        assert dinner["x"] == pytest.approx(box["left"] + box["head"], abs=2)
    assert box["left"] + box["head"] - 2 <= dinner["x"] <= box["right"] - dinner["width"]
    assert page.locator("#now-line").count() == 0  # not today


def test_a_live_refresh_keeps_scroll_panel_and_half_typed_form(live_server, page, session,
                                                               stand, evening, app,
                                                               monkeypatch, screenshot,
                                                               console_errors):
    monkeypatch.setitem(app.config, "OWNER_POLL_SECONDS", 1)
    page.set_viewport_size({"width": 1024, "height": 768})
    polls: list[int] = []
    page.on("response", lambda r: polls.append(r.status) if "/grid?" in r.url else None)
    _log_in(page, live_server)
    scroller = page.locator(".grid-scroll")
    scroller.evaluate("box => { box.scrollLeft = box.scrollLeft - 37; }")
    before = scroller.evaluate("box => box.scrollLeft")
    assert before > 0

    # A half-typed walk-in in the panel.
    page.get_by_role("button", name="Walk-in", exact=True).click()
    dialog = page.locator("#panel dialog")
    dialog.get_by_label("Party size").fill("5")
    dialog.get_by_label("Guest name (optional)").fill("Half Typed")

    # Nothing changed yet: the polls carry the page's version and get "204 No Content".
    page.wait_for_timeout(2500)
    assert polls and set(polls) == {204}, polls
    # Another client books meanwhile (the operations, as the API and the guests' page do).
    _book(session, stand, evening, 21, 0, party=2, name="Remote Booking", table="Napoli")
    expect(page.locator(".booking", has_text="Remote Booking")).to_be_attached(timeout=15_000)
    expect(page.locator("#day-status")).to_contain_text("1 new booking")
    assert scroller.evaluate("box => box.scrollLeft") == before
    expect(dialog.get_by_label("Party size")).to_have_value("5")
    expect(dialog.get_by_label("Guest name (optional)")).to_have_value("Half Typed")
    expect(dialog.get_by_label("Guest name (optional)")).to_be_focused()
    screenshot(page, "day-view-refreshed-walk-in")

    # An open reservation survives a refresh too.
    page.keyboard.press("Escape")
    expect(page.locator("#panel dialog")).to_have_count(0)
    page.locator(".booking", has_text="Late Party").click()  # scrolls it into view
    expect(dialog).to_contain_text("Late Party")
    before = scroller.evaluate("box => box.scrollLeft")
    _book(session, stand, evening, 21, 0, party=2, name="Second Remote", table="Torino")
    expect(page.locator(".booking", has_text="Second Remote")).to_be_attached(timeout=15_000)
    expect(dialog).to_contain_text("Late Party")
    assert scroller.evaluate("box => box.scrollLeft") == before
    assert console_errors == []  # no CSP violation (positions go through CSSOM), no failure


def test_the_grid_is_one_tab_stop_and_the_panel_a_dialog(live_server, page, evening,
                                                         console_errors):
    page.set_viewport_size({"width": 1366, "height": 768})
    _log_in(page, live_server)
    in_grid = "() => !!document.activeElement.closest('[role=grid]')"
    page.get_by_role("link", name="Grid", exact=True).focus()
    presses = 0
    while not page.evaluate(in_grid):
        page.keyboard.press("Tab")
        presses += 1
        assert presses < 10, "Tab never reached the grid"
    inside = 0
    while page.evaluate(in_grid):
        page.keyboard.press("Tab")
        inside += 1
        assert inside < 10, "the grid holds more than one Tab stop"
    assert inside == 1
    page.keyboard.press("Shift+Tab")
    first = page.evaluate("() => document.activeElement.id")
    assert first  # the cell at now, in the first table's row

    # Arrow keys move one cell; the Tab stop moves along (roving tabindex).
    page.keyboard.press("ArrowRight")
    right = page.evaluate("() => document.activeElement.id")
    assert right and right != first
    row_of = "() => document.activeElement.closest('[role=row]').dataset.table"
    top = page.evaluate(row_of)
    page.keyboard.press("ArrowDown")
    assert page.evaluate(row_of) != top
    assert page.locator(".day-grid [tabindex='0']").count() == 1
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")
    cell = page.evaluate("() => document.activeElement.id")
    assert cell == first
    # Up from the first table reaches the covers row, then the time header (issue 17:
    # they could not be reached), and Down comes back to the same cell.
    active_row = "() => document.activeElement.closest('[role=row]').className"
    page.keyboard.press("ArrowUp")
    assert "covers-row" in page.evaluate(active_row)
    assert " arriving" in page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("ArrowUp")
    assert "head-row" in page.evaluate(active_row)
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "columnheader"
    page.keyboard.press("ArrowUp")  # the top: stays
    assert "head-row" in page.evaluate(active_row)
    assert page.locator(".day-grid [tabindex='0']").count() == 1
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.id") == first

    # Move to a free cell in the future and open the new-booking form with Enter.
    page.keyboard.press("End")
    target = page.evaluate("() => document.activeElement.id")
    assert target.startswith(("cell-", "booking-"))
    page.keyboard.press("Enter")
    dialog = page.locator("#panel dialog")
    expect(dialog).to_be_visible()
    assert dialog.get_attribute("aria-modal") == "true"
    assert dialog.evaluate("d => d.matches(':modal')")
    assert page.evaluate("() => !!document.activeElement.closest('#panel dialog')")
    for _ in range(25):  # Tab stays inside
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('#panel dialog')")
    page.keyboard.press("Escape")
    expect(page.locator("#panel dialog")).to_have_count(0)
    assert page.evaluate("() => document.activeElement.id") == target

    # A booking opens with Enter too, and Escape comes back to it.
    booking = page.locator(".booking", has_text="Late Party")
    booking.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("Late Party")
    page.keyboard.press("Escape")
    expect(booking).to_be_focused()
    assert booking.get_attribute("tabindex") == "0"
    assert console_errors == []


def test_the_phone_list_shows_arrivals_and_seats_in_one_tap(live_server, page, session,
                                                            evening, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server)
    arrivals = page.locator(".arrival")
    expect(arrivals).to_have_count(4)
    expect(arrivals.nth(0)).to_contain_text("18:30")
    expect(arrivals.nth(0).locator(".late")).to_have_text("late, due 18:30")  # now is 20:10
    expect(arrivals.nth(3).locator(".late")).to_have_count(0)
    expect(arrivals.nth(2)).to_contain_text("Rossi Family")
    expect(arrivals.nth(2)).to_contain_text("3 people · Roma")
    expect(arrivals.nth(2)).to_contain_text("High chair, please")
    assert horizontal_overflow(page) == 0
    rossi = page.locator(".arrival", has_text="Rossi Family")
    rossi.get_by_role("button", name="Seat Rossi Family").click()  # the one tap
    expect(rossi).to_have_class("arrival status-seated")
    expect(page.locator("#day-status")).to_contain_text("Seated: Rossi Family")
    expect(page.locator("#panel dialog")).to_have_count(0)
    screenshot(page, "day-view-list-seated")
    session.rollback()
    reservation = session.scalar(select(Reservation).where(
        Reservation.guest_name == "Rossi Family"))
    assert reservation.status == "seated"


def test_a_phone_turned_to_landscape_shows_the_grid_at_now(live_server, page, evening):
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server)
    expect(page.locator(".grid-view")).to_be_hidden()  # the list first
    page.set_viewport_size({"width": 700, "height": 390})
    expect(page.locator(".grid-view")).to_be_visible()
    page.wait_for_function("() => document.querySelector('.grid-scroll').scrollLeft > 0")
    box = _grid_box(page)
    x = page.locator("#now-line").bounding_box()["x"]
    assert box["left"] + box["head"] < x < box["right"], (box, x)
    assert horizontal_overflow(page) == 0
