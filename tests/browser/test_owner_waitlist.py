"""The owner's waitlist page in headless Chromium at desktop, laptop and phone width: the
owner opens it from the section nav, picks the date, sees the line (one guest offered a
freed table, held until its expiry), adds a guest who called (a refusal at its field
first), moves a guest up with htmx (the line swapped in place), seats one from the list
and removes another; no serious or critical axe-core violation, no sideways scrolling."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp.booking import service, waitlist
from webapp.models import Reservation, WaitlistEntry


def _check(page, screenshot, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
        assert axe_violations(page) == [], width
        assert horizontal_overflow(page) == 0, width
        # Each row's buttons in view, not behind the table's sideways scroll.
        for button in page.locator("#waitlist-line td.actions .seat-open").all():
            box = button.bounding_box()
            assert box is not None and box["x"] + box["width"] <= width, width
    page.set_viewport_size({"width": 1366, "height": 900})


def _join(session, restaurant, name: str, day: dt.date, party: int, earliest: dt.time,
          latest: dt.time) -> WaitlistEntry:
    email = name.split()[0].lower() + "@example.com"
    return waitlist.join(session, restaurant, day=day, party_size=party, earliest=earliest,
                         latest=latest, language="en",
                         guest=service.GuestDetails(name, email, "+49 30 1234567")).entry


def test_the_line_add_move_seat_and_remove(live_server, page, session, screenshot):
    day = future_day()
    restaurant = make_restaurant(session, name="Trattoria Insieme", slug="insieme",
                                 tables=[("Napoli", 2), ("Milano", 4), ("Terrazza grande", 6)])
    make_owner(session, restaurant, "owner@example.com")
    # The evening is full but for Napoli at 20:00: the first fitting guest is offered it.
    for hour in (18, 20):
        for table in restaurant.tables:
            if (table.name, hour) != ("Napoli", 20):
                service.book(session, restaurant, starts_at=local(restaurant, day, hour),
                             party_size=2, table_id=table.id, source="phone",
                             guest=service.GuestDetails(f"Guest {table.name} {hour}", "", ""))
    _join(session, restaurant, "Maximiliane Schmidt-Rüdesheimer", day, 4, dt.time(18),
          dt.time(21))
    _join(session, restaurant, "Ada Lovelace", day, 2, dt.time(19), dt.time(21))
    _join(session, restaurant, "Bob Marley", day, 2, dt.time(18, 30), dt.time(20, 30))
    assert len(waitlist.make_offers(session, restaurant)) == 1  # Ada: Napoli at 20:00

    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")
    page.get_by_role("link", name="Waitlist", exact=True).click()
    expect(page.get_by_role("heading", name="Waitlist", exact=True)).to_be_visible()
    page.get_by_label("Date", exact=True).first.fill(day.isoformat())
    page.get_by_role("button", name="Show").click()
    line = page.locator("#waitlist-line")
    expect(line.locator("tbody tr")).to_have_count(3)
    expect(line.locator("tbody tr").nth(1)).to_contain_text("Table at 20:00, held until")
    _check(page, screenshot, "owner-waitlist-line")

    # A guest who called: a window the wrong way round first.
    form = page.locator("form", has=page.get_by_role("button", name="Add to the waitlist"))
    form.get_by_label("Party size").fill("3")
    form.get_by_label("From").fill("21:00")
    form.get_by_label("Until").fill("19:00")
    form.get_by_label("Guest name").fill("Clara Phone")
    form.get_by_label("E-mail").fill("clara@example.com")
    form.get_by_role("button", name="Add to the waitlist").click()
    expect(page.get_by_text("The latest time is before the earliest.")).to_be_visible()
    _check(page, screenshot, "owner-waitlist-refused")
    form = page.locator("form", has=page.get_by_role("button", name="Add to the waitlist"))
    form.get_by_label("From").fill("19:00")
    form.get_by_label("Until").fill("21:00")
    form.get_by_role("button", name="Add to the waitlist").click()
    expect(page.get_by_text("Clara Phone is on the waitlist (party of 3).")).to_be_visible()
    expect(line.locator("tbody tr")).to_have_count(4)

    # Up with htmx: the line swapped in place, its message with it.
    page.get_by_role("button", name="Move Clara Phone up").click()
    expect(line.get_by_text("Moved Clara Phone up.")).to_be_visible()
    expect(line.locator("tbody tr").nth(2)).to_contain_text("Clara Phone")

    # Seat Bob at 19:00 on the best free table: none is free then, refused, still in line.
    line.get_by_role("button", name="Seat Bob Marley").click()
    seat = line.locator("tr.seat-row")
    expect(seat.get_by_role("heading", name="Seat Bob Marley")).to_be_visible()
    seat.get_by_label("Time").fill("19:00")
    _check(page, screenshot, "owner-waitlist-seat")
    seat.get_by_role("button", name="Book at this time").click()
    expect(seat.get_by_role("alert")).to_be_visible()
    _check(page, screenshot, "owner-waitlist-seat-refused")
    expect(line.locator("tr[data-entry]", has_text="Bob Marley")).to_contain_text("In line")
    # For lunch Napoli is free: booked, the entry says so.
    seat.get_by_label("Time").fill("13:00")
    seat.get_by_role("button", name="Book at this time").click()
    expect(line.get_by_text("Booked: Bob Marley, 2 at Napoli.")).to_be_visible()
    expect(line.locator("tr.seat-row")).to_have_count(0)
    expect(line.locator("tr[data-entry]", has_text="Bob Marley")).to_contain_text("Has a booking")

    page.get_by_role("button", name="Remove Maximiliane Schmidt-Rüdesheimer from the waitlist").click()
    expect(line.get_by_text("Removed Maximiliane Schmidt-Rüdesheimer from the waitlist.")
           ).to_be_visible()
    _check(page, screenshot, "owner-waitlist-after")
    session.expire_all()
    assert session.scalars(select(Reservation.guest_name).where(
        Reservation.guest_name == "Bob Marley")).all() == ["Bob Marley"]
