"""The host stand's first fixes (issue 17): messages that say the real cause, the
stand-alone new-booking page, past slots, the CSV's phone numbers, dates as people write
them, no aria-invalid on a field without an error, and the short walk-in form."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.factories import local
from webapp.booking.operations.reservations import WALK_IN_NAME
from webapp.models import Reservation
from webapp.owner.reservations import csv_safe

PANEL = {"HX-Request": "true", "HX-Target": "panel"}
NEW = "/owner/chez-test/reservations/new"


def _table_id(restaurant, name):
    return next(t.id for t in restaurant.tables if t.name == name)


# --------------------------------------------------------------------------- messages


def test_a_stay_past_closing_says_so_and_gives_the_latest_start(owner_client, session, day):
    # Dinner runs 18:00-23:00 and a party stays 120 minutes: 21:15 is inside the
    # service, but the stay would end at 23:15.
    response = owner_client.post_form(NEW, {
        "source": "phone", "date": str(day), "time": "21:15", "party_size": "4",
        "name": "Late Guest"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ("A 120-minute stay from 21:15 would end after closing at 23:00; latest start "
            "21:00, or shorten the stay.") in html
    assert "outside the restaurant" not in html
    assert session.scalar(select(Reservation)) is None


def test_a_shortened_stay_that_fits_before_closing_is_booked(owner_client, session, restaurant,
                                                            day):
    response = owner_client.post_form(NEW, {
        "source": "phone", "date": str(day), "time": "21:15", "party_size": "4",
        "name": "Late Guest", "duration_minutes": "90"})
    assert response.status_code == 303, response.get_data(as_text=True)
    reservation = session.scalar(select(Reservation))
    assert reservation.starts_at == local(restaurant, day, 21, 15)
    assert reservation.ends_at == local(restaurant, day, 22, 45)


def test_a_time_between_services_still_says_outside_the_services(owner_client, day):
    response = owner_client.post_form(NEW, {
        "source": "phone", "date": str(day), "time": "16:30", "party_size": "2",
        "name": "Too Early"})
    assert response.status_code == 422
    assert "That time is outside the restaurant&#39;s services." in response.get_data(
        as_text=True)


def test_a_refused_move_does_not_offer_the_table_it_is_moving_off(owner_client, session,
                                                                  restaurant, book, day):
    moving = book(19, party=2, table="T2", name="Mover")
    book(19, party=2, table="T3", name="Sitter", email="sitter@example.com")
    response = owner_client.post_form(f"/owner/chez-test/reservations/{moving.id}/move", {
        "date": str(day), "time": "19:00", "table": str(_table_id(restaurant, "T3")),
        "party_size": "2", "version": str(moving.version)}, headers=PANEL)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Free at that time: T1." in html  # T2 looks free only because Mover is on it
    session.expire_all()
    assert session.get(Reservation, moving.id).table_id == _table_id(restaurant, "T2")


# --------------------------------------------------------------------------- broken pieces


def test_the_stand_alone_new_booking_page_posts_a_plain_form(owner_client, day):
    page = owner_client.get(f"{NEW}?date={day}").get_data(as_text=True)
    assert 'method="post"' in page and "hx-post" not in page and 'hx-target="#panel"' not in page
    panel = owner_client.get(f"{NEW}?date={day}", headers=PANEL).get_data(as_text=True)
    assert 'hx-post="/owner/chez-test/reservations/new"' in panel


def test_past_slots_of_today_are_not_offered(owner_client, restaurant, clock, day):
    clock.set(local(restaurant, day, 19, 7))
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    assert 'aria-label="Book T1 at 19:00"' not in html
    assert 'aria-label="Book T1 at 18:00"' not in html
    assert 'aria-label="Book T1 at 19:15"' in html
    assert 'class="cell past' in html


def test_the_live_grid_redraws_when_slots_turn_past(owner_client, restaurant, clock, day):
    clock.set(local(restaurant, day, 19, 7))
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    version = html.split('data-fingerprint="')[1].split('"')[0]
    grid = f"/owner/chez-test/day/{day}/grid?v={version}"
    assert owner_client.get(grid).status_code == 204
    clock.set(local(restaurant, day, 19, 20))
    redrawn = owner_client.get(grid)
    assert redrawn.status_code == 200
    assert 'aria-label="Book T1 at 19:15"' not in redrawn.get_data(as_text=True)


def test_csv_keeps_phone_numbers_and_still_defuses_formulas(owner_client, book, day):
    book(19, name="=cmd|' /C calc'!A0", phone="+49 30 1234", table="T1")
    export = owner_client.get(f"/owner/chez-test/reservations.csv?start={day}")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0]["phone"] == "+49301234"
    assert rows[0]["name"] == "'=cmd|' /C calc'!A0"


def test_csv_safe_tells_phone_numbers_from_formulas():
    assert csv_safe("+49 30 1234") == "+49 30 1234"
    assert csv_safe("+49301234") == "+49301234"
    for formula in ("=cmd", "+1+1", "@SUM(A1)", "-1+2", "+A1", "+1-1"):
        assert csv_safe(formula) == "'" + formula


def test_dates_read_without_a_leading_zero(owner_client, restaurant, book, day):
    reservation = book(19, table="T1")
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    assert f"<h1>{day:%A} {day.day} {day:%B %Y}" in html
    listing = owner_client.get(f"/owner/chez-test/reservations?start={day}").get_data(
        as_text=True)
    assert f"{day:%a} {day.day} {day:%b %Y}" in listing
    panel = owner_client.get(f"/owner/chez-test/reservations/{reservation.id}").get_data(
        as_text=True)
    assert f"{day:%a} {day.day} {day:%b %Y}" in panel


# --------------------------------------------------------------------------- aria-invalid


def test_no_aria_invalid_on_fields_without_errors(client, owner_client, day):
    for url in (f"{NEW}?date={day}", f"{NEW}?source=walk_in", "/account",
                f"/owner/chez-test/reservations?start={day}"):
        html = owner_client.get(url).get_data(as_text=True)
        assert '"None"' not in html, url
        assert "aria-invalid" not in html, url
    refused = owner_client.post_form(NEW, {"source": "phone", "date": str(day), "time": "",
                                           "party_size": "2", "name": "Guest"})
    html = refused.get_data(as_text=True)
    assert html.count('aria-invalid="true"') == 1  # the time only
    assert 'aria-describedby="time-error"' in html


def test_login_page_has_no_aria_invalid_until_an_error(app):
    client = app.test_client()
    assert "aria-invalid" not in client.get("/login").get_data(as_text=True)
    assert '"None"' not in client.get("/login").get_data(as_text=True)


# --------------------------------------------------------------------------- walk-in


def test_walk_in_form_asks_for_the_party_and_table_only(owner_client):
    html = owner_client.get(f"{NEW}?source=walk_in", headers=PANEL).get_data(as_text=True)
    assert 'name="party_size"' in html and 'name="table"' in html
    assert 'name="date"' not in html and 'name="time"' not in html
    assert "Guest name (optional)" in html and "Seat walk-in" in html
    assert 'name="source" value="walk_in"' in html


def test_walk_in_without_a_name_is_seated_as_walk_in(owner_client, session, restaurant,
                                                     clock):
    response = owner_client.post_form(NEW, {"source": "walk_in", "party_size": "3"},
                                      headers=PANEL)
    assert response.status_code == 201, response.get_data(as_text=True)
    reservation = session.scalar(select(Reservation))
    assert reservation.guest_name == WALK_IN_NAME
    assert reservation.status == "seated" and reservation.source == "walk_in"
    assert reservation.starts_at == clock.now().replace(second=0, microsecond=0)
    assert reservation.table_id == _table_id(restaurant, "T2")  # best fit for 3


def test_a_walk_in_name_given_is_still_checked(owner_client, session):
    response = owner_client.post_form(NEW, {"source": "walk_in", "party_size": "2",
                                            "name": "x" * 121})
    assert response.status_code == 422
    assert session.scalar(select(Reservation)) is None


def test_a_phone_booking_still_needs_a_name(owner_client, session, day):
    response = owner_client.post_form(NEW, {"source": "phone", "date": str(day),
                                            "time": "19:00", "party_size": "2", "name": " "})
    assert response.status_code == 422
    assert "Give the guest&#39;s name." in response.get_data(as_text=True)
    assert session.scalar(select(Reservation)) is None


def test_walk_in_from_a_cell_keeps_the_table(owner_client, restaurant, day):
    t3 = _table_id(restaurant, "T3")
    phone = owner_client.get(f"{NEW}?date={day}&time=19:00&table={t3}",
                             headers=PANEL).get_data(as_text=True)
    assert f"/owner/chez-test/reservations/new?source=walk_in&amp;table={t3}" in phone
    walk_in = owner_client.get(f"{NEW}?source=walk_in&table={t3}", headers=PANEL).get_data(
        as_text=True)
    assert f'<option value="{t3}" selected>' in walk_in
