"""The guest's waitlist in real headless Chromium (issue 19): a full evening offers the
waitlist, the guest joins and lands on their private page; a cancellation frees the
table, the offer's link shows it held and books it with one click. Every page is
axe-clean and fits at 1366, 1024 and 390 px."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.browser.test_public_booking import fill_details, watch_for_errors
from tests.factories import future_day, local, make_restaurant
from tests.public.test_waitlist_pages import WAITLIST_LINK
from webapp.booking import service, waitlist
from webapp.booking.operations import reservations as owner_ops
from webapp.booking.operations.context import WriteContext
from webapp.models import OutboxEmail, Reservation, WaitlistEntry


def check(page, screenshot, name: str) -> None:
    """axe (serious + critical), no sideways scrolling, and the screenshots."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert axe_violations(page) == [], (name, width)
        assert horizontal_overflow(page) == 0, (name, width)
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def booked(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.status == "booked")) or 0


def test_join_from_a_full_evening_then_book_the_offer(live_server, page, session, screenshot):
    solo = make_restaurant(session, slug="solo", name="Solo", phone="+49 30 1234567",
                           tables=[("Solo", 4)],
                           hours=[(day, dt.time(18), dt.time(23), "Dinner") for day in range(7)])
    day = future_day()
    early, _late = (service.book(session, solo, starts_at=local(solo, day, hour), party_size=2,
                                 guest=service.GuestDetails(f"Guest {hour}",
                                                            f"g{hour}@example.com", ""))
                    .reservation for hour in (18, 20))
    problems = watch_for_errors(page)
    page.goto(f"{live_server.url}/r/solo?date={day.isoformat()}&party_size=2")
    join = page.get_by_role("button", name="Join the waitlist")
    join.wait_for()
    check(page, screenshot, "waitlist-full-evening")

    join.click()
    page.wait_for_url("**/r/solo/waitlist?**")
    assert page.get_by_label("Earliest time").input_value() == "18:00"
    assert page.get_by_label("Latest time").input_value() == "21:00"
    check(page, screenshot, "waitlist-form")
    # A window the wrong way round: said at its field, nothing written.
    page.get_by_label("Earliest time").fill("21:00")
    page.get_by_label("Latest time").fill("19:00")
    fill_details(page)
    page.get_by_role("button", name="Join the waitlist").click()
    page.locator("#window_to-error").filter(
        has_text="The latest time is before the earliest.").wait_for()
    check(page, screenshot, "waitlist-form-error")
    page.get_by_label("Earliest time").fill("18:00")
    page.get_by_label("Latest time").fill("21:00")
    page.get_by_role("button", name="Join the waitlist").click()
    page.wait_for_url("**/r/solo/w/**")
    page.get_by_text("You are on the waitlist.").first.wait_for()
    assert page.locator("dd.place").text_content() == "1"
    check(page, screenshot, "waitlist-private-page")

    # The restaurant cancels the 18:00: the table is offered to the guest in line.
    owner_ops.cancel(session, solo, WriteContext(actor="owner"), early.id, notify_guest=False)
    session.commit()
    mail = session.scalars(select(OutboxEmail).where(
        OutboxEmail.kind == waitlist.OFFER_EMAIL)).one()
    match = WAITLIST_LINK.search(mail.body_text)
    assert match
    offer = live_server.url + match.group(0)
    before = booked(session)
    page.goto(offer)
    page.get_by_role("heading", name="A table is free for you").wait_for()
    assert booked(session) == before  # opening the link books nothing
    check(page, screenshot, "waitlist-offer")
    page.get_by_role("button", name="Book this table").click()
    page.wait_for_url("**/r/solo/b/**")
    page.get_by_text("Your table is booked.").first.wait_for()
    assert booked(session) == before + 1
    entry = session.scalars(select(WaitlistEntry)).one()
    assert entry.status == "booked"

    # The link again: the offer is taken, nothing more to book.
    page.goto(offer)
    page.get_by_role("heading", name="You have booked this table").wait_for()
    assert page.get_by_role("button", name="Book this table").count() == 0
    check(page, screenshot, "waitlist-offer-gone")
    assert problems == []


def test_the_waitlist_pages_fit_a_phone_in_german(live_server, page, session, screenshot):
    """German brings the longest words: the form, a refusal and the private page still
    fit at 390 px and pass axe."""
    make_restaurant(session, slug="solo", name="Solo", tables=[("Solo", 4)],
                    hours=[(day, dt.time(18), dt.time(23), "Dinner") for day in range(7)])
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/r/solo/waitlist?lang=de&date={future_day()}&party_size=2")
    page.get_by_role("heading", name="Auf die Warteliste").wait_for()
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("E-Mail").fill("ada@example.com")
    page.get_by_label("Telefon").fill("12")  # not a phone number: refused at its field
    page.get_by_role("button", name="Auf die Warteliste").click()
    page.locator("#phone-error").wait_for()
    assert axe_violations(page) == [] and horizontal_overflow(page) == 0
    screenshot(page, "waitlist-form-error-de-390")
    page.get_by_label("Telefon").fill("+49 30 1234568")
    page.get_by_role("button", name="Auf die Warteliste").click()
    page.wait_for_url("**/r/solo/w/**")
    page.get_by_role("heading", name="Sie stehen auf der Warteliste").wait_for()
    assert axe_violations(page) == [] and horizontal_overflow(page) == 0
    screenshot(page, "waitlist-private-page-de-390")
