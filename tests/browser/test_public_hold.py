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
