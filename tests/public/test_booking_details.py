"""The page after booking and the manage page state the booking as the e-mails do:
service date, time, how long the table is held, party, notes, the restaurant's address
and phone, and an "Add to calendar" link whose .ics is the e-mails' calendar entry."""

from __future__ import annotations

import datetime as dt

import icalendar
from sqlalchemy import select

from tests.factories import future_day, local, make_restaurant
from tests.public.conftest import manage_path
from webapp.models import OutboxEmail


def book(client, slug: str, day: dt.date, time: str, **extra):
    response = client.post_form(f"/r/{slug}/book", {
        "date": day.isoformat(), "time": time, "party_size": "3", "name": "Grace Hopper",
        "email": "grace@example.com", "phone": "+44 161 496 0000", **extra})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return manage_path(response)


def test_confirmation_page_shows_every_fact(client, restaurant):
    day = future_day()
    path = book(client, "bistro", day, "19:00", notes="Window seat <b>please</b>")
    page = client.get(path)  # the page the booking redirects to
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your table is booked" in html
    for fact in (f"{day:%A} {day.day} {day:%B %Y}", "19:00", "until 21:00 (2 h)", "3 guests",
                 "Kanalstraße 1, Berlin", "+49 30 1234567", "Grace Hopper"):
        assert fact in html, fact
    assert "Window seat &lt;b&gt;please&lt;/b&gt;" in html and "<b>please" not in html
    assert f'href="{path}/booking.ics"' in html and "Add to calendar" in html
    # the manage page, opened later from the e-mail, says the same
    assert "until 21:00 (2 h)" in client.get(path).get_data(as_text=True)


def test_after_midnight_stay_shows_its_service_date(client, session):
    restaurant = make_restaurant(session, slug="late", tables=[("T1", 4)],
                                 hours=[(d, dt.time(22), dt.time(3), "Late") for d in range(7)])
    day = future_day()
    path = book(client, restaurant.slug, day, "00:30")
    html = client.get(path).get_data(as_text=True)
    assert f"{day:%A} {day.day} {day:%B %Y}" in html
    assert "00:30 (after midnight)" in html and "until 02:30 (2 h)" in html
    next_day = day + dt.timedelta(days=1)
    assert f"{next_day:%A} {next_day.day} {next_day:%B %Y}" not in html


def test_add_to_calendar_downloads_the_emails_calendar_entry(client, session, restaurant):
    day = future_day()
    path = book(client, "bistro", day, "19:30")
    response = client.get(f"{path}/booking.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    event = icalendar.Calendar.from_ical(response.get_data()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == local(restaurant, day, 19, 30)
    assert event.decoded("dtend") == local(restaurant, day, 21, 30)
    assert str(event["location"]) == "Kanalstraße 1, Berlin"
    assert str(event["status"]) == "CONFIRMED"
    assert str(event["url"]) == f"http://localhost{path}"
    # the same event as the e-mail's attachment: calendars update one entry
    mail = session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "confirmation")).one()
    mailed = icalendar.Calendar.from_ical(mail.ics).walk("VEVENT")[0]
    assert str(mailed["uid"]) == str(event["uid"])
    assert str(mailed["summary"]) == str(event["summary"])


def test_cancelled_booking_calendar_entry_cancels(client, restaurant):
    path = book(client, "bistro", future_day(), "19:00")
    response = client.post_form(f"{path}/cancel", {"confirm": "y"})
    assert response.status_code == 303
    html = client.get(path).get_data(as_text=True)
    assert "Add to calendar" not in html
    calendar = icalendar.Calendar.from_ical(client.get(f"{path}/booking.ics").get_data())
    assert str(calendar["method"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["status"]) == "CANCELLED"


def test_calendar_of_an_unknown_link_is_404(client, restaurant):
    response = client.get("/r/bistro/b/not-a-real-token/booking.ics")
    assert response.status_code == 404


def test_confirm_page_shows_the_service_date_of_an_after_midnight_stay(client, session):
    """The reminder's Confirm page reads like the reminder: 00:30 in Monday's late service
    is Monday's, not Tuesday's (the calendar date of its start)."""
    restaurant = make_restaurant(session, slug="late", tables=[("T1", 4)],
                                 hours=[(d, dt.time(22), dt.time(3), "Late") for d in range(7)])
    monday = future_day() + dt.timedelta(days=(7 - future_day().weekday()) % 7)
    assert monday.weekday() == 0
    path = book(client, restaurant.slug, monday, "00:30")
    page = client.get(f"{path}/confirm")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Monday {monday.day} {monday:%B %Y} at 00:30 (after midnight), 3 guests" in html
    assert "Tuesday" not in html
    assert "Yes, I am coming" in html
