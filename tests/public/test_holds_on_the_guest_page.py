"""Holds on the guest page (issue 19): picking a time (htmx POST /r/<slug>/hold) holds its
table for the browser session while the guest types; the page says until when; the
booking converts the hold; another browser is no longer offered the held table; the hold
expires by the clock alone. Without JavaScript nothing posts the hold (the page is as
before)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from tests.factories import future_day, make_restaurant
from tests.public.conftest import manage_path
from webapp.models import Hold, Reservation

HTMX = {"HX-Request": "true"}


def pick(day, time: str = "19:00", party: int = 2) -> dict:
    return {"date": day.isoformat(), "time": time, "party_size": str(party),
            "shown_date": day.isoformat(), "shown_party": str(party)}


def details(day, time: str = "19:00", email: str = "ada@example.com") -> dict:
    return {**pick(day, time), "name": "Ada Lovelace", "email": email,
            "phone": "+44 20 7946 0958"}


def offered(html: str) -> list[str]:
    return re.findall(r'name="time" value="([^"]+)"', html)


def holds(session) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(Hold))


def until_plus(clock, minutes: int) -> str:
    """The Berlin wall time ``minutes`` after now, as the hold status writes it."""
    later = clock.now() + dt.timedelta(minutes=minutes)
    return later.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")


class Browser:
    """A guest's browser, of two in one test. Each of its requests runs in an app context of its own:
    the test's context would share Flask-WTF's CSRF token (kept in ``g``) and the
    database session between the two guests' requests."""

    def __init__(self, app) -> None:
        self.app, self.client = app, app.test_client()

    def get(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.get(*args, **kwargs)

    def post_form(self, *args, **kwargs):
        with self.app.app_context():
            return self.client.post_form(*args, **kwargs)


def one_table(session, **options):
    """One two-seater: whoever holds it holds the restaurant's 19:00."""
    return make_restaurant(session, slug="solo", tables=[("T1", 2)], **options)


def test_picking_a_time_holds_the_table_and_the_page_says_until_when(client, session, clock):
    one_table(session)
    day = future_day()
    page = client.get(f"/r/solo?date={day}&party_size=2").get_data(as_text=True)
    assert 'id="hold-status"' in page and 'hx-post="/r/solo/hold"' in page
    response = client.post_form("/r/solo/hold", pick(day), headers=HTMX)
    assert response.status_code == 200
    assert f"We are holding a table for you until {until_plus(clock, 7)}." in \
        response.get_data(as_text=True)
    assert holds(session) == 1
    # The page (reloaded, or re-shown after a refused booking) still says so, and the
    # guest's own held time is still offered to them.
    again = client.get(f"/r/solo?date={day}&party_size=2").get_data(as_text=True)
    assert "We are holding a table for you until" in again and "19:00" in offered(again)


def test_the_booking_converts_the_hold(client, session):
    one_table(session)
    day = future_day()
    client.post_form("/r/solo/hold", pick(day), headers=HTMX)
    assert holds(session) == 1
    booked = client.post_form("/r/solo/book", details(day))
    assert booked.status_code == 303, booked.get_data(as_text=True)[:2000]
    manage_path(booked)
    assert holds(session) == 0  # converted in the booking's transaction


def test_another_browser_is_not_offered_the_held_table_and_cannot_book_it(app, session):
    one_table(session)
    day = future_day()
    client = Browser(app)
    client.post_form("/r/solo/hold", pick(day), headers=HTMX)
    other = Browser(app)
    page = other.get(f"/r/solo?date={day}&party_size=2").get_data(as_text=True)
    assert "19:00" not in offered(page) and "21:00" in offered(page)
    assert "We are holding" not in page
    refused = other.post_form("/r/solo/book", details(day, email="bob@example.com"))
    assert refused.status_code == 409, refused.get_data(as_text=True)[-3000:]
    assert "Sorry, that time was just taken." in refused.get_data(as_text=True)
    # The other browser picking 19:00 is told at once, with the nearest free times (the
    # whole form, as a refused booking answers it).
    held = other.post_form("/r/solo/hold", pick(day), headers=HTMX)
    assert held.status_code == 409 and held.headers["HX-Retarget"] == "#booking"
    text = held.get_data(as_text=True)
    assert "Sorry, that time was just taken." in text and "Nearest free times" in text
    # The holder books it.
    assert client.post_form("/r/solo/book", details(day)).status_code == 303
    session.commit()
    assert session.scalar(select(func.count()).select_from(Reservation)) == 1


def test_an_abandoned_hold_expires_by_the_clock(app, session, clock):
    one_table(session, hold_minutes=5)
    day = future_day()
    client = Browser(app)
    response = client.post_form("/r/solo/hold", pick(day), headers=HTMX)
    assert f"until {until_plus(clock, 5)}." in response.get_data(as_text=True)
    other = Browser(app)
    assert "19:00" not in offered(other.get(f"/r/solo?date={day}&party_size=2")
                                  .get_data(as_text=True))
    clock.advance(minutes=5)
    page = other.get(f"/r/solo?date={day}&party_size=2").get_data(as_text=True)
    assert "19:00" in offered(page)
    # The holder's page no longer says it holds anything.
    assert "We are holding" not in client.get(f"/r/solo?date={day}&party_size=2").get_data(
        as_text=True)
    assert other.post_form("/r/solo/book", details(day, email="bob@example.com")
                           ).status_code == 303


def test_a_new_pick_moves_the_hold(client, session):
    make_restaurant(session, slug="solo", tables=[("T1", 2)])
    day = future_day()
    client.post_form("/r/solo/hold", pick(day, "19:00"), headers=HTMX)
    client.post_form("/r/solo/hold", pick(day, "20:00"), headers=HTMX)
    session.commit()
    held = session.scalars(select(Hold.starts_at)).all()
    assert len(held) == 1 and held[0].astimezone(ZoneInfo("Europe/Berlin")).hour == 20


def test_holds_off_no_hold_status_and_the_page_books_as_before(client, session):
    one_table(session, hold_minutes=0)
    day = future_day()
    page = client.get(f"/r/solo?date={day}&party_size=2").get_data(as_text=True)
    assert 'id="hold-status"' not in page
    assert client.post_form("/r/solo/book", details(day)).status_code == 303


def test_a_stale_or_incomplete_pick_holds_nothing(client, session):
    one_table(session)
    day = future_day()
    stale = {**pick(day), "shown_date": future_day(8).isoformat()}
    assert client.post_form("/r/solo/hold", stale, headers=HTMX).status_code == 204
    assert client.post_form("/r/solo/hold", {"date": day.isoformat()},
                            headers=HTMX).status_code == 204
    assert client.post("/r/solo/hold", data=pick(day), headers=HTMX).status_code == 400  # no CSRF
    assert holds(session) == 0


def test_the_hold_route_is_rate_limited(make_app, session):
    one_table(session)
    limited = make_app(RATELIMIT_ENABLED=True, PUBLIC_HOLD_RATE_LIMIT="3 per 10 minutes")
    try:
        client = limited.test_client()
        day = future_day()
        statuses = [client.post_form("/r/solo/hold", pick(day, t), headers=HTMX).status_code
                    for t in ("18:00", "18:15", "18:30", "18:45")]
        assert statuses == [200, 200, 200, 429]
    finally:
        make_app()
    assert holds(session) == 1  # one per session, whatever the number of picks
