"""The private manage page /r/<slug>/b/<token>: see, change and cancel a booking."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import future_day, local, make_restaurant, today
from tests.public.conftest import manage_path
from webapp.booking import service
from webapp.models import OutboxEmail, Reservation

HTMX = {"HX-Request": "true"}


@pytest.fixture
def booked(client, restaurant):
    """A booking for 2 at 19:00 a week ahead, made through the page: (manage path, day)."""
    day = future_day()
    response = client.post_form("/r/bistro/book", {
        "date": day.isoformat(), "time": "19:00", "party_size": "2", "name": "Grace Hopper",
        "email": "grace@example.com", "phone": "+1 202 555 0100"})
    assert response.status_code == 303
    return manage_path(response), day


def reservation(session) -> Reservation:
    session.commit()
    return session.scalars(select(Reservation)).one()


def mails(session) -> list[str]:
    session.commit()
    return list(session.scalars(select(OutboxEmail.kind).order_by(OutboxEmail.id)))


def times_in(html: str) -> list[str]:
    return re.findall(r'name="time" value="([^"]+)"', html)


def test_manage_page_shows_the_booking_and_its_times(client, booked):
    path, day = booked
    html = client.get(path).get_data(as_text=True)
    assert "Grace Hopper" in html and f"{day:%A} {day.day} {day:%B %Y}" in html
    assert "Confirmed" in html and f"http://localhost{path}" in html
    # Its own slot is offered (its table counts as free) and preselected.
    assert re.search(r'value="19:00" required checked', html)
    assert "Cancel this booking" in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_unknown_or_foreign_token_is_a_404(client, session, booked, headers):
    path, _ = booked
    make_restaurant(session, slug="other")
    assert client.get("/r/bistro/b/not-a-token", headers=headers).status_code == 404
    response = client.get(path.replace("/r/bistro/", "/r/other/"), headers=headers)
    assert response.status_code == 404
    assert "We could not find this booking" in response.get_data(as_text=True)
    assert client.post_form("/r/bistro/b/nope/change", {}).status_code == 404
    assert client.post_form("/r/bistro/b/nope/cancel", {"confirm": "y"}).status_code == 404


def test_htmx_asks_the_manage_page_for_other_times(client, booked):
    path, day = booked
    response = client.get(f"{path}?date={day + dt.timedelta(days=1)}&party_size=4", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "19:00" in times_in(html) and 'name="csrf_token"' not in html  # the times only
    assert 'name="shown_party" value="4"' in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_change_moves_the_booking_and_queues_an_email(client, session, restaurant, booked,
                                                      headers):
    path, day = booked
    new_day = day + dt.timedelta(days=1)
    response = client.post_form(f"{path}/change", {"date": new_day.isoformat(), "time": "20:15",
                                                   "party_size": "4"}, headers=headers)
    assert response.status_code == (204 if headers else 303)
    assert manage_path(response) == path
    moved = reservation(session)
    assert moved.starts_at == local(restaurant, new_day, 20, 15) and moved.party_size == 4
    assert moved.version == 2
    assert mails(session) == ["confirmation", "change"]
    html = client.get(path).get_data(as_text=True)
    assert "Your booking is changed" in html and "20:15" in html and "4 guests" in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_change_to_a_taken_time_offers_alternatives(client, session, booked, headers):
    path, day = booked
    resto = reservation(session).restaurant
    for name in ("A", "B"):  # both tables taken at 12:00
        service.book(session, resto, starts_at=local(resto, day, 12), party_size=2,
                     guest=service.GuestDetails(name, f"{name}@example.com"))
    response = client.post_form(f"{path}/change", {"date": day.isoformat(), "time": "12:00",
                                                   "party_size": "2"}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "that time was just taken" in html
    assert "12:00" not in times_in(html) and times_in(html)
    assert reservation_of(session, "Grace Hopper").starts_at == local(resto, day, 19)
    assert mails(session) == ["confirmation"]


def reservation_of(session, name: str) -> Reservation:
    session.commit()
    return session.scalars(select(Reservation).where(Reservation.guest_name == name)).one()


def test_change_with_bad_input_is_a_422(client, session, booked):
    path, _ = booked
    response = client.post_form(f"{path}/change", {"date": "tomorrow", "time": "7pm",
                                                   "party_size": "many"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD" in html
    assert reservation(session).version == 1


def test_cancel_asks_first_then_cancels(client, session, booked):
    path, _ = booked
    page = client.get(f"{path}/cancel")
    assert page.status_code == 200 and "Cancel your booking?" in page.get_data(as_text=True)
    unconfirmed = client.post_form(f"{path}/cancel", {})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert reservation(session).status == "booked"

    response = client.post_form(f"{path}/cancel", {"confirm": "y"})
    assert response.status_code == 303 and manage_path(response) == path
    assert reservation(session).status == "cancelled"
    assert mails(session) == ["confirmation", "cancellation"]
    html = client.get(path).get_data(as_text=True)
    assert "Your booking is cancelled" in html
    assert "This booking is cancelled and can no longer be changed." in html
    assert "Change my booking" not in html and "Cancel this booking" not in html

    # Neither a change nor a second cancellation goes through, with a clear message.
    change = client.post_form(f"{path}/change", {"date": future_day().isoformat(), "time": "20:00",
                                                 "party_size": "2"})
    assert change.status_code == 409
    assert "can no longer be changed" in change.get_data(as_text=True)
    again = client.post_form(f"{path}/cancel", {"confirm": "y"})
    assert again.status_code == 409
    assert mails(session) == ["confirmation", "cancellation"]


def test_htmx_cancel_answers_with_hx_redirect(client, session, booked):
    path, _ = booked
    response = client.post_form(f"{path}/cancel", {"confirm": "y"}, headers=HTMX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(path)
    assert reservation(session).status == "cancelled"


def test_past_booking_can_no_longer_be_changed(client, session, restaurant):
    # Booked online last week (the service is told "now" was then); it is over now.
    last_week = today() - dt.timedelta(days=7)
    result = service.book(session, restaurant, starts_at=local(restaurant, last_week, 19),
                          party_size=2, guest=service.GuestDetails("Past", "past@example.com"),
                          now=local(restaurant, last_week, 9))
    path = f"/r/bistro/b/{result.manage_token}"
    html = client.get(path).get_data(as_text=True)
    assert "in the past and can no longer be changed or cancelled" in html
    assert "Change my booking" not in html
    response = client.post_form(f"{path}/change", {"date": future_day().isoformat(),
                                                   "time": "19:00", "party_size": "2"})
    assert response.status_code == 409
    assert "in the past and can no longer be changed" in response.get_data(as_text=True)
    assert client.post_form(f"{path}/cancel", {"confirm": "y"}).status_code == 409


def test_changing_to_the_same_time_changes_nothing(client, session, booked):
    path, day = booked
    response = client.post_form(f"{path}/change", {"date": day.isoformat(), "time": "19:00",
                                                   "party_size": "2"})
    assert response.status_code == 303
    assert "stays as it was" in client.get(path).get_data(as_text=True)
    assert reservation(session).version == 1 and mails(session) == ["confirmation"]


def test_private_pages_stay_out_of_caches_and_search_engines(client, booked):
    path, _ = booked
    for response in (client.get(path), client.get(f"{path}/cancel"),
                     client.get(f"{path}?date=2026-13-01&party_size=2", headers=HTMX)):
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert 'hx-history="false"' in client.get(path).get_data(as_text=True)


def test_change_form_carries_the_date_its_times_were_shown_for(client, booked):
    path, day = booked
    html = client.get(path).get_data(as_text=True)
    assert f'name="shown_date" value="{day.isoformat()}"' in html
    assert 'name="shown_party" value="2"' in html
    assert f'formaction="{path}"' in html  # "Show free times" without JavaScript


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_a_change_whose_date_differs_from_the_shown_times_is_not_made(client, session,
                                                                      restaurant, booked,
                                                                      headers):
    """Without JavaScript the guest changed the date but not pressed "Show free times":
    the 20:00 picked among the old date's times is not written for either date; the new
    date's times come back with a message, 20:00 still picked."""
    path, day = booked
    new_day = day + dt.timedelta(days=3)
    response = client.post_form(f"{path}/change", {
        "date": new_day.isoformat(), "party_size": "2", "time": "20:00",
        "shown_date": day.isoformat(), "shown_party": "2"}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "You changed the date or the number of guests" in html
    assert "Please pick a time and press “Change my booking” again." in html
    assert f"{new_day:%A} {new_day.day} {new_day:%B %Y}" in html
    assert f'name="shown_date" value="{new_day.isoformat()}"' in html
    assert re.search(r'value="20:00" required checked', html)
    assert reservation(session).starts_at == local(restaurant, day, 19)
    assert reservation(session).version == 1 and mails(session) == ["confirmation"]
    # Confirmed again, now shown for that date: moved.
    response = client.post_form(f"{path}/change", {
        "date": new_day.isoformat(), "party_size": "2", "time": "20:00",
        "shown_date": new_day.isoformat(), "shown_party": "2"}, headers=headers)
    assert response.status_code == (204 if headers else 303)
    assert reservation(session).starts_at == local(restaurant, new_day, 20)


def test_show_free_times_for_a_change_writes_nothing(client, session, restaurant, booked):
    path, day = booked
    new_day = day + dt.timedelta(days=1)
    response = client.post_form(path, {"date": new_day.isoformat(), "party_size": "4",
                                       "time": "19:00", "shown_date": day.isoformat(),
                                       "shown_party": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{new_day:%A} {new_day.day} {new_day:%B %Y} · 4 guests" in html
    assert re.search(r'value="19:00" required checked', html)
    assert "Change my booking" in html and 'name="name"' not in html  # no guest details
    assert reservation(session).version == 1 and mails(session) == ["confirmation"]
    # A bad choice is a 422 with its message, not a 500.
    bad = client.post_form(path, {"date": "soon", "party_size": "2"})
    assert bad.status_code == 422 and "Enter a date as YYYY-MM-DD" in bad.get_data(as_text=True)


@pytest.mark.parametrize(("query", "date_label", "party_label", "message"), [
    ("date=2020-01-01&party_size=2", "Wed 1 Jan 2020 (not bookable)", "2 guests",
     "That date has passed"),
    ("date={day}&party_size=12", "{day:%a} {day.day} {day:%b}", "12 guests",
     "For parties of more than 8 please call us"),
])
def test_change_form_dropdowns_agree_with_the_message(client, booked, query, date_label,
                                                      party_label, message):
    from tests.public.test_booking_page_keeps import selected

    path, day = booked
    html = client.get(f"{path}?{query.format(day=day)}").get_data(as_text=True)
    assert message in html
    assert selected(html, "date") == date_label.format(day=day)
    assert selected(html, "party_size") == party_label
