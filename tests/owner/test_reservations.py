"""Bookings from the dashboard: phone and walk-in, move, edit, status, history, 404s."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import local, make_owner, make_restaurant
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import Reservation, ReservationEvent

PANEL = {"HX-Request": "true", "HX-Target": "panel"}


def _table_id(restaurant, name):
    return next(t.id for t in restaurant.tables if t.name == name)


def test_phone_booking_by_plain_form(owner_client, session, restaurant, day):
    form = owner_client.get(f"/owner/chez-test/reservations/new?date={day}&time=19:00")
    assert form.status_code == 200 and 'value="19:00"' in form.get_data(as_text=True)
    response = owner_client.post_form("/owner/chez-test/reservations/new", {
        "source": "phone", "date": str(day), "time": "19:10", "party_size": "3",
        "name": "Phone Guest", "phone": "+49 30 1234", "notes": "window"})
    assert response.status_code == 303
    reservation = session.scalar(select(Reservation))
    assert reservation.source == "phone" and reservation.status == "booked"
    assert reservation.starts_at == local(restaurant, day, 19, 10)
    event = session.scalar(select(ReservationEvent))
    assert event.actor == "owner:owner@example.com"
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Phone Guest" in page and "owner:owner@example.com" in page


def test_walk_in_starts_now_seated(owner_client, session, restaurant, clock):
    before = clock.now().replace(second=0, microsecond=0)
    response = owner_client.post_form("/owner/chez-test/reservations/new", {
        "source": "walk_in", "party_size": "2", "name": "Walk In", "duration_minutes": "60"},
        headers=PANEL)
    assert response.status_code == 201
    assert response.headers["HX-Trigger"] == "bm-grid-changed"
    reservation = session.scalar(select(Reservation))
    assert reservation.status == "seated" and reservation.source == "walk_in"
    assert before <= reservation.starts_at <= clock.now()
    assert reservation.ends_at - reservation.starts_at == dt.timedelta(minutes=60)
    assert "<dialog" in response.get_data(as_text=True)


def test_new_booking_bad_input_is_422_with_field_messages(owner_client, session, day):
    response = owner_client.post_form("/owner/chez-test/reservations/new", {
        "source": "phone", "date": str(day), "time": "", "party_size": "0", "name": "",
        "email": "not-an-email"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Give the time.", "The party size must be between 1 and 500.",
                    "Give the guest&#39;s name.", "Give a valid e-mail address."):
        assert message in html
    assert session.scalar(select(Reservation)) is None


def test_phone_booking_outside_hours_is_refused(owner_client, session, day):
    response = owner_client.post_form("/owner/chez-test/reservations/new", {
        "source": "phone", "date": str(day), "time": "16:30", "party_size": "2",
        "name": "Too Early"})
    assert response.status_code == 422
    assert "outside the restaurant" in response.get_data(as_text=True)
    assert session.scalar(select(Reservation)) is None


def test_move_to_another_table(owner_client, session, restaurant, book, day):
    booking = book(19, party=2, table="T2")
    response = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/move", {
        "date": str(day), "time": "19:30", "table": str(_table_id(restaurant, "T3")),
        "party_size": "2", "version": str(booking.version)}, headers=PANEL)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Moved" in response.get_data(as_text=True)
    session.expire_all()
    moved = session.get(Reservation, booking.id)
    assert moved.table.name == "T3" and moved.starts_at == local(restaurant, day, 19, 30)
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=120)
    history = owner_client.get(f"/owner/chez-test/reservations/{booking.id}").get_data(as_text=True)
    assert "table: T2 → T3" in history


def test_move_onto_a_taken_table_explains_the_clash(owner_client, session, restaurant, book, day):
    book(19, party=4, table="T2", name="Holder")
    mover = book(19, party=2, table="T3", name="Mover")
    response = owner_client.post_form(f"/owner/chez-test/reservations/{mover.id}/move", {
        "date": str(day), "time": "19:00", "table": str(_table_id(restaurant, "T2")),
        "party_size": "2", "version": str(mover.version)})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "T2 is taken 19:00–21:00 by Holder." in html
    assert "Free at that time: T1" in html
    session.expire_all()
    assert session.get(Reservation, mover.id).table.name == "T3"


def test_stale_form_is_409(owner_client, session, restaurant, book, day):
    booking = book(19, party=2, table="T2")
    old_version = booking.version
    service.change(session, restaurant, booking.id, guest=GuestDetails("Changed Meanwhile"),
                   actor="guest")
    response = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/status", {
        "status": "seated", "version": str(old_version)})
    assert response.status_code == 409
    assert "changed meanwhile" in response.get_data(as_text=True)
    move = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/move", {
        "date": str(day), "time": "20:00", "table": str(booking.table_id), "party_size": "2",
        "version": str(old_version)}, headers=PANEL)
    assert move.status_code == 409
    html = move.get_data(as_text=True)
    assert "changed meanwhile" in html and "Changed Meanwhile" in html  # shows the current state
    session.expire_all()
    current = session.get(Reservation, booking.id)
    assert current.status == "booked" and current.starts_at == local(restaurant, day, 19)


def test_status_moves_and_refusals(owner_client, session, book):
    booking = book(19)
    url = f"/owner/chez-test/reservations/{booking.id}/status"
    # A week ahead: the owner seats it anyway (issue 17's service-day rule).
    seated = owner_client.post_form(url, {"status": "seated", "version": "1",
                                          "allow_off_day": "y"}, headers=PANEL)
    assert seated.status_code == 200 and "Seated" in seated.get_data(as_text=True)
    refused = owner_client.post_form(url, {"status": "no_show", "version": "2"})
    assert refused.status_code == 409
    assert "seated cannot become no show" in refused.get_data(as_text=True)
    done = owner_client.post_form(url, {"status": "completed", "version": "2",
                                        "allow_off_day": "y"})
    assert done.status_code == 303
    bad = owner_client.post_form(url, {"status": "eaten", "version": "3"})
    assert bad.status_code == 422
    session.expire_all()
    reservation = session.get(Reservation, booking.id)
    assert reservation.status == "completed"
    assert [e.action for e in reservation.events] == ["created", "seated", "completed"]


def test_no_show_and_cancel(owner_client, session, book):
    first, second = book(12), book(19, name="Other Guest")
    assert owner_client.post_form(f"/owner/chez-test/reservations/{first.id}/status",
                                  {"status": "no_show", "version": "1", "confirm": "y",
                                   "allow_off_day": "y"}).status_code == 303
    assert owner_client.post_form(f"/owner/chez-test/reservations/{second.id}/status",
                                  {"status": "cancelled", "version": "1",
                                   "confirm": "y"}).status_code == 303
    session.expire_all()
    assert session.get(Reservation, first.id).status == "no_show"
    assert session.get(Reservation, second.id).status == "cancelled"


def test_edit_guest_details(owner_client, session, book):
    booking = book(19, party=2)
    bad = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/edit", {
        "name": "", "party_size": "2", "version": "1"})
    assert bad.status_code == 422 and "Give the guest&#39;s name." in bad.get_data(as_text=True)
    good = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/edit", {
        "name": "Ada Lovelace", "party_size": "3", "email": "ADA@example.com",
        "phone": "", "notes": "birthday", "version": "1"})
    assert good.status_code == 303
    session.expire_all()
    reservation = session.get(Reservation, booking.id)
    assert (reservation.guest_name, reservation.party_size, reservation.guest_email,
            reservation.notes) == ("Ada Lovelace", 3, "ada@example.com", "birthday")
    assert reservation.events[-1].actor == "owner:owner@example.com"


def test_move_bad_input_is_422(owner_client, book):
    booking = book(19)
    response = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/move", {
        "date": "tomorrow", "time": "25:00", "table": "", "party_size": "2", "version": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Not a valid date value." in html and "Choose a table." in html


def test_reservations_of_other_restaurants_are_404(session, owner_client, day):
    other = make_restaurant(session, name="Other", slug="other")
    make_owner(session, other, "else@example.com")
    theirs = service.book(session, other, starts_at=local(other, day, 19), party_size=2,
                          guest=GuestDetails("Theirs")).reservation
    for url in (f"/owner/chez-test/reservations/{theirs.id}",
                f"/owner/other/reservations/{theirs.id}"):
        assert owner_client.get(url).status_code == 404, url
    for action, data in (("status", {"status": "cancelled", "version": "1"}),
                         ("edit", {"name": "X", "party_size": "2", "version": "1"}),
                         ("move", {"date": str(day), "time": "19:00", "table": "1",
                                   "party_size": "2", "version": "1"})):
        url = f"/owner/chez-test/reservations/{theirs.id}/{action}"
        assert owner_client.post_form(url, data).status_code == 404, url
    session.expire_all()
    assert session.get(Reservation, theirs.id).status == "booked"


def test_move_to_a_table_of_another_restaurant_is_refused(session, owner_client, book, day):
    other = make_restaurant(session, name="Other", slug="other", tables=[("X1", 6)])
    booking = book(19)
    response = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/move", {
        "date": str(day), "time": "19:00", "table": str(other.tables[0].id), "party_size": "2",
        "version": "1"})
    assert response.status_code == 422
    assert "No such table" in response.get_data(as_text=True)


def test_form_without_csrf_token_is_refused(owner_client, book):
    booking = book(19)
    response = owner_client.post(f"/owner/chez-test/reservations/{booking.id}/status",
                                 data={"status": "seated", "version": "1"})
    assert response.status_code == 400


def test_nul_characters_are_bad_input_not_a_crash(owner_client, session):
    response = owner_client.post_form("/owner/chez-test/reservations/new", {
        "source": "walk_in", "party_size": "2", "name": "Nul\x00Guest"})
    # refused for every form and endpoint by webapp/input_guard.py before the form sees it
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    table = owner_client.post_form("/owner/chez-test/tables", {"name": "A\x00B", "seats": "2"})
    assert table.status_code == 400
    assert session.scalar(select(Reservation)) is None


def test_dates_at_the_end_of_the_calendar_are_bad_input(owner_client, session, book):
    booking = book(19)
    response = owner_client.post_form(f"/owner/chez-test/reservations/{booking.id}/move", {
        "date": "9999-12-31", "time": "23:00", "table": str(booking.table_id), "party_size": "2",
        "version": "1"})
    assert response.status_code == 422
    assert "Choose a date between 2000 and 2199." in response.get_data(as_text=True)
    listing = owner_client.get("/owner/chez-test/reservations",
                               query_string={"start": "0001-01-01", "end": "9999-12-31"})
    assert listing.status_code == 422
