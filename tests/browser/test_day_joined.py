"""A booking on joined tables in the day view, in headless Chromium on both databases: it
shows on each of its tables (the further one marked "joined with Napoli", linking to the
booking), the phone's list has one line naming both tables, no sideways scrolling and no
serious axe-core findings at 1366, 1024 and 390 px; dragged (from its further table)
onto a table that takes the party, it moves there alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, local, make_owner, make_restaurant, today
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import Reservation

HEIGHTS = {1366: 768, 1024: 768, 390: 844}
WAIT_MS = 30_000


@pytest.fixture
def page(browser):
    """A tab that may take axe-core as an inline script (bypass_csp), as in
    test_day_view.py."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture(autouse=True)
def _quiet_at_the_end(page):
    """No poll running into the next test's clean-up."""
    yield
    page.goto("about:blank")
    page.wait_for_timeout(300)


@pytest.fixture
def floor(session):
    restaurant = make_restaurant(session, name="Joined Bistro", slug="joined",
                                 tables=[("Napoli", 4), ("Milano", 4), ("Roma", 6),
                                         ("Monaco", 2)])
    make_owner(session, restaurant, "owner@example.com")
    ids = {t.name: t.id for t in restaurant.tables}
    day = today()
    big = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                       party_size=5, guest=GuestDetails("Grande Tavola"),
                       table_ids=[ids["Napoli"], ids["Milano"]], source="phone").reservation
    service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=2,
                 guest=GuestDetails("Due"), table_id=ids["Monaco"], source="phone")
    return restaurant, ids, big.id


def _log_in(page, live_server):
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**/day/**")
    expect(page.locator("html[data-day-ready]")).to_be_attached()


def test_a_joined_booking_shows_on_each_table_at_each_width(live_server, page, floor,
                                                            screenshot):
    restaurant, ids, big = floor
    _log_in(page, live_server)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        page.goto(f"{live_server.url}/owner/joined/day/{today()}?view=grid")
        expect(page.locator("html[data-day-ready]")).to_be_attached()
        own = page.locator(f'.table-row[data-table="{ids["Napoli"]}"] #booking-{big}')
        part = page.locator(f'.table-row[data-table="{ids["Milano"]}"]'
                            f' #booking-{big}-t{ids["Milano"]}')
        expect(own).to_contain_text("Grande Tavola")
        expect(part).to_contain_text("joined with Napoli")
        part.scroll_into_view_if_needed()
        own_box, part_box = own.bounding_box(), part.bounding_box()
        assert own_box and part_box
        # The same stay: the same columns, one row apart.
        assert abs(own_box["x"] - part_box["x"]) < 2 and part_box["y"] > own_box["y"]
        assert horizontal_overflow(page) <= 0, width
        screenshot(page, f"day-joined-grid-{width}")
        assert axe_violations(page) == [], width
    # The phone's list: one line for the booking, naming both tables.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/owner/joined/day/{today()}")
    arrivals = page.locator(".arrival")
    expect(arrivals).to_have_count(2)
    expect(page.locator(f"#arrival-{big}")).to_contain_text("5 people · Napoli + Milano")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "day-joined-list-390")
    assert axe_violations(page) == []
    # The further table's cell opens the booking.
    page.goto(f"{live_server.url}/owner/joined/day/{today()}?view=grid")
    page.locator(f"#booking-{big}-t{ids['Milano']}").click()
    expect(page.locator("#panel .table-name")).to_have_text("Napoli + Milano",
                                                            timeout=WAIT_MS)


def test_dragged_from_its_further_table_onto_another_it_moves_there(live_server, page,
                                                                   session, floor):
    restaurant, ids, big = floor
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/owner/joined/day/{today()}")
    page.wait_for_load_state("networkidle")
    block = page.locator(f"#booking-{big}-t{ids['Milano']}")
    column = page.locator('.slot[data-time="19:30"]').get_attribute("data-col")
    target = page.locator(f'.table-row[data-table="{ids["Roma"]}"] .cell.c-{column}').first
    target.scroll_into_view_if_needed()
    block.scroll_into_view_if_needed()
    start, end = block.bounding_box(), target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()
    expect(page.locator("#panel")).to_contain_text("Moved Grande Tavola to Roma at 19:30",
                                                   timeout=WAIT_MS)
    session.rollback()
    row = session.get(Reservation, big)
    assert service.tables_of(session, row) == (ids["Roma"],)
    assert row.starts_at == local(restaurant, today(), 19, 30)
    # Redrawn on Roma alone: no "joined with" cell is left.
    expect(page.locator(f'.table-row[data-table="{ids["Roma"]}"] #booking-{big}')
           ).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(".joined-part")).to_have_count(0)


def test_the_owner_joins_tables_for_a_big_party_and_moves_it_keeping_them(
        live_server, page, session, floor, screenshot):
    restaurant, ids, big = floor
    _log_in(page, live_server)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        page.goto(f"{live_server.url}/owner/joined/reservations/new?date={today()}")
        page.locator("details.join-tables summary").click()
        expect(page.get_by_role("checkbox", name="Roma · 6 seats")).to_be_visible()
        assert horizontal_overflow(page) <= 0, width
        screenshot(page, f"new-booking-join-tables-{width}")
        assert axe_violations(page) == [], width
    # A party of 8 on Roma + Monaco at 21:00, ticked by hand.
    page.get_by_label("Time").fill("21:00")
    page.get_by_label("Party size").fill("8")
    page.get_by_role("checkbox", name="Roma · 6 seats").check()
    page.get_by_role("checkbox", name="Monaco · 2 seats").check()
    page.get_by_label("Guest name").fill("Otto Ospiti")
    page.get_by_role("button", name="Save booking").click()
    page.wait_for_url("**/owner/joined/**")
    session.commit()  # a fresh read (SQLite keeps a snapshot)
    booking = session.query(Reservation).filter_by(guest_name="Otto Ospiti",
                                                   part_of=None).one()
    assert service.tables_of(session, booking) == (ids["Roma"], ids["Monaco"])
    # Its move form comes with both tables ticked: a new time keeps them.
    page.goto(f"{live_server.url}/owner/joined/reservations/{booking.id}")
    page.get_by_text("Move (time or table)").click()
    move = page.locator("form", has=page.get_by_role("button", name="Move", exact=True))
    expect(move.get_by_role("checkbox", name="Roma · 6 seats")).to_be_checked()
    expect(move.get_by_role("checkbox", name="Monaco · 2 seats")).to_be_checked()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        assert horizontal_overflow(page) <= 0, width
        screenshot(page, f"move-joined-{width}")
        assert axe_violations(page) == [], width
    move.get_by_label("Time").fill("21:30")
    move.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Moved Otto Ospiti to Roma + Monaco")).to_be_visible(
        timeout=WAIT_MS)
    session.commit()  # a fresh read (SQLite keeps a snapshot)
    moved = session.get(Reservation, booking.id)
    assert service.tables_of(session, moved) == (ids["Roma"], ids["Monaco"])
    assert moved.starts_at == local(restaurant, today(), 21, 30)
