"""The host stand in headless Chromium (issue 17): the stand-alone new-booking page saves
with JavaScript on, and a walk-in is seated in at most three interactions from the day
view, its Seat button on screen without scrolling, at a desktop, tablet and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from tests.browser.conftest import axe_violations
from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp import clock
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import DiningTable, OpeningHours, Reservation

WIDTHS = {1366: 768, 1024: 768, 390: 844}


def _log_in(page, live_server):
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**/day/**")


def _page_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= size["width"]
            and box["y"] + box["height"] <= size["height"])


@pytest.fixture
def stand(session):
    restaurant = make_restaurant(session, name="Stand Bistro", slug="stand",
                                 tables=[("Monaco", 2), ("Napoli", 4), ("Roma", 6)])
    make_owner(session, restaurant, "owner@example.com")
    return restaurant


def test_the_stand_alone_new_booking_page_saves_with_javascript(live_server, page, session,
                                                                stand, screenshot):
    day = future_day(3)
    _log_in(page, live_server)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/owner/stand/reservations/new?date={day}")
        assert _page_overflow(page) <= 0, width
        screenshot(page, f"host-new-booking-{width}")
    page.get_by_label("Time").fill("19:30")
    page.get_by_label("Party size").fill("3")
    page.get_by_label("Guest name").fill("Paula Phone")
    page.get_by_role("button", name="Save booking").click()
    page.wait_for_url("**/owner/stand/reservations/*")
    expect(page.locator("body")).to_contain_text("Booked: Paula Phone, 3 at Napoli.")
    assert not [e for e in errors if "targetError" in e or "favicon" not in e]
    session.rollback()
    reservation = session.scalar(select(Reservation))
    assert reservation.guest_name == "Paula Phone"
    assert reservation.starts_at == local(stand, day, 19, 30)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_walk_in_is_seated_in_three_interactions(live_server, page, session, stand, width,
                                                   screenshot):
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    _log_in(page, live_server)  # lands on today's day view

    page.get_by_role("button", name="Walk-in", exact=True).click()         # 1
    panel = page.locator("#panel dialog")
    expect(panel.get_by_label("Party size")).to_be_focused()
    assert panel.locator("input[name=date], input[name=time]").count() == 0
    seat = panel.get_by_role("button", name="Seat walk-in")
    assert _in_viewport(page, seat), f"Seat walk-in is off-screen at {width} px"
    print(f"overflow at {width}: {_page_overflow(page)}")
    screenshot(page, f"host-walk-in-{width}")
    panel.get_by_label("Party size").fill("3")                              # 2
    seat.click()                                                            # 3
    expect(panel).to_contain_text("Walk-in seated: Walk-in, 3 at Napoli.")
    expect(page.locator(".booking.source-walk_in")).to_have_count(1)
    session.rollback()
    reservation = session.scalar(select(Reservation))
    assert (reservation.status, reservation.source, reservation.guest_name) == (
        "seated", "walk_in", "Walk-in")
    assert reservation.starts_at == clock.now().replace(second=0, microsecond=0)


def test_a_phone_booking_over_the_pace_is_booked_with_one_more_click(live_server, page, session,
                                                                     stand, screenshot):
    """Dinner takes 2 covers per 15 minutes and 19:30 has them: the refusal says so and
    offers "Book over the pace" right under it; the click books it, on every width."""
    day = future_day(3)
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == stand.id)
                    .values(pace_covers=2))
    session.add(DiningTable(restaurant_id=stand.id, name="Siena", seats=2))  # 4 tables, 4 pairs
    service.book(session, stand, starts_at=local(stand, day, 19, 30), party_size=2,
                 guest=GuestDetails("First Pair"), source="phone", actor="owner")
    session.commit()
    _log_in(page, live_server)
    for covers, (width, height) in enumerate(WIDTHS.items(), start=1):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/owner/stand/reservations/new?date={day}")
        page.get_by_label("Time").fill("19:30")
        page.get_by_label("Party size").fill("2")
        page.get_by_label("Guest name").fill(f"Over {width}")
        page.get_by_role("button", name="Save booking").click()
        refusal = page.locator(".flash-error")
        expect(refusal).to_contain_text(
            f"19:30–19:45 already has {2 * covers} of its 2 covers.")
        expect(refusal).not_to_contain_text("Free at that time")  # a table does not help
        over = page.get_by_role("button", name="Book over the pace")
        assert _in_viewport(page, over), f"the override is off-screen at {width} px"
        assert _page_overflow(page) <= 0, width
        assert axe_violations(page) == [], width
        screenshot(page, f"host-over-the-pace-{width}")
        over.click()
        page.wait_for_url("**/owner/stand/reservations/*")
        expect(page.locator("body")).to_contain_text(f"Booked: Over {width}, 2 at")
    session.rollback()
    names = session.scalars(select(Reservation.guest_name).where(
        Reservation.starts_at == local(stand, day, 19, 30))).all()
    assert sorted(names) == sorted(["First Pair"] + [f"Over {w}" for w in WIDTHS])
