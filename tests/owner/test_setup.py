"""Setup pages: settings, tables (and deactivating one with bookings), hours, special days."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from webapp.extensions import db
from webapp.models import DiningTable, OpeningHours, Reservation, Restaurant, SpecialDay

SETTINGS = {"name": "Chez Neu", "slug": "chez-neu", "timezone": "Europe/Paris",
            "slot_interval_minutes": "30", "default_turn_minutes": "90",
            "turn_times": "1:60, 5:150", "lead_time_minutes": "30", "horizon_days": "90",
            "max_online_party": "6", "phone": "+33 1 23 45", "email": "hello@example.com",
            "address": "1 Rue Test", "description": "Nice food."}


def test_settings_page_and_save(owner_client, session, restaurant):
    page = owner_client.get("/owner/chez-test/settings")
    assert page.status_code == 200 and 'value="chez-test"' in page.get_data(as_text=True)
    response = owner_client.post_form("/owner/chez-test/settings", SETTINGS)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/owner/chez-neu/settings")
    session.expire_all()
    saved = session.get(Restaurant, restaurant.id)
    assert (saved.name, saved.timezone, saved.slot_interval_minutes, saved.turn_times,
            saved.email) == ("Chez Neu", "Europe/Paris", 30, {"1": 60, "5": 150},
                             "hello@example.com")
    assert "1:60, 5:150" in owner_client.get("/owner/chez-neu/settings").get_data(as_text=True)


def test_settings_bad_input_is_422(owner_client, session, restaurant):
    from tests.factories import make_restaurant

    make_restaurant(session, slug="taken")
    bad = dict(SETTINGS, slug="taken", timezone="Mars/Olympus", slot_interval_minutes="3",
               turn_times="2:abc", email="nope", name="")
    response = owner_client.post_form("/owner/chez-test/settings", bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Another restaurant already uses this address.",
                    "Choose a time zone from the list", "between 5 and 120",
                    "is not “party size:minutes”", "Give a valid e-mail address.",
                    "Give the restaurant&#39;s name."):
        assert message in html, message
    digits = owner_client.post_form("/owner/chez-test/settings", dict(SETTINGS, slug="12345"))
    assert digits.status_code == 422 and "at least one letter" in digits.get_data(as_text=True)
    session.expire_all()
    assert session.get(Restaurant, restaurant.id).slug == "chez-test"


def test_add_and_edit_tables(owner_client, session, restaurant):
    assert owner_client.get("/owner/chez-test/tables").status_code == 200
    added = owner_client.post_form("/owner/chez-test/tables", {
        "name": "Terrace 1", "seats": "6", "min_party": "3", "max_party": "", "area": "terrace",
        "position": "5", "active": "y"})  # "Bookable" is ticked on the empty form
    assert added.status_code == 303
    table = session.scalar(select(DiningTable).where(DiningTable.name == "Terrace 1"))
    assert (table.seats, table.min_party, table.max_party, table.area, table.active) == \
        (6, 3, None, "terrace", True)
    edit_url = f"/owner/chez-test/tables/{table.id}"
    assert owner_client.get(edit_url).status_code == 200
    saved = owner_client.post_form(edit_url, {"name": "Terrace 1", "seats": "8", "min_party": "2",
                                              "max_party": "7", "area": "terrace",
                                              "position": "0", "active": "y"})
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(DiningTable, table.id).seats == 8


def test_table_bad_input_is_422(owner_client, session, restaurant):
    response = owner_client.post_form("/owner/chez-test/tables", {
        "name": "T1", "seats": "2", "min_party": "3", "max_party": "1", "position": "0"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Another table already has this name." in html
    assert "The smallest party cannot be larger than the number of seats." in html
    assert "The largest party cannot be smaller than the smallest party." in html
    zero = owner_client.post_form("/owner/chez-test/tables", {"name": "T9", "seats": "0"})
    assert zero.status_code == 422
    assert "The number of seats must be between 1 and 100." in zero.get_data(as_text=True)


def test_deactivate_table_without_bookings(owner_client, session, restaurant):
    t1 = restaurant.tables[0]
    response = owner_client.post_form(f"/owner/chez-test/tables/{t1.id}", {
        "name": "T1", "seats": "2", "min_party": "1", "position": "0"})  # "active" unticked
    assert response.status_code == 303
    session.expire_all()
    assert session.get(DiningTable, t1.id).active is False
    back = owner_client.post_form(f"/owner/chez-test/tables/{t1.id}/activate")
    assert back.status_code == 303
    session.expire_all()
    assert session.get(DiningTable, t1.id).active is True


def test_deactivating_a_table_without_bookings_only_asks_to_confirm(owner_client, session,
                                                                   restaurant):
    """The Deactivate link of a table with no booking not yet over: nothing to choose,
    just Confirm (no question about bookings it does not have)."""
    t1 = restaurant.tables[0]
    page = owner_client.get(f"/owner/chez-test/tables/{t1.id}/deactivate").get_data(
        as_text=True)
    assert "It has no future bookings." in page
    assert 'name="bookings"' not in page and "Its future bookings" not in page
    assert "E-mail the guests" not in page
    assert 'name="action" value="deactivate"' in page
    done = owner_client.post_form(f"/owner/chez-test/tables/{t1.id}/deactivate",
                                  {"action": "deactivate"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/tables")
    session.expire_all()
    assert session.get(DiningTable, t1.id).active is False
    assert "Table T1 is no longer bookable." in owner_client.get(
        "/owner/chez-test/tables").get_data(as_text=True)
    # Now inactive: the page says so and offers nothing to confirm.
    again = owner_client.get(f"/owner/chez-test/tables/{t1.id}/deactivate").get_data(
        as_text=True)
    assert "Table T1 is not bookable." in again and 'value="deactivate"' not in again


def test_a_booking_made_before_the_confirm_brings_the_question(owner_client, session,
                                                              restaurant, book):
    """The page showed no bookings, one came before the owner confirmed: the operation
    refuses to drop it (the table stays bookable) and the page now asks."""
    t1 = restaurant.tables[0]
    assert 'value="deactivate"' in owner_client.get(
        f"/owner/chez-test/tables/{t1.id}/deactivate").get_data(as_text=True)
    book(19, party=2, table="T1", name="Late Guest")
    response = owner_client.post_form(f"/owner/chez-test/tables/{t1.id}/deactivate",
                                      {"action": "deactivate"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/deactivate")
    session.expire_all()
    assert session.get(DiningTable, t1.id).active is True
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "choose what happens to them" in page and "Late Guest" in page
    assert 'name="bookings"' in page and 'value="deactivate"' not in page


def test_deactivating_a_booked_table_asks_and_moves(owner_client, session, restaurant, book, day):
    booking = book(19, party=4, table="T2")
    t2 = booking.table_id
    response = owner_client.post_form(f"/owner/chez-test/tables/{t2}", {
        "name": "T2", "seats": "4", "min_party": "1", "position": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/deactivate")
    session.expire_all()
    assert session.get(DiningTable, t2).active is True  # nothing dropped while asking
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ada Guest" in page
    moved = owner_client.post_form(f"/owner/chez-test/tables/{t2}/deactivate",
                                   {"bookings": "move"})
    assert moved.status_code == 303
    session.expire_all()
    assert session.get(DiningTable, t2).active is False
    reservation = session.get(Reservation, booking.id)
    assert reservation.table.name == "T3" and reservation.status == "booked"
    assert reservation.events[-1].actor == "owner:owner@example.com"


def test_deactivate_keeps_the_table_when_a_booking_cannot_move(owner_client, session, restaurant,
                                                               book, day):
    on_t2 = book(19, party=4, table="T2", name="Stuck Guest")
    book(19, party=4, table="T3", name="Blocker")
    response = owner_client.post_form(f"/owner/chez-test/tables/{on_t2.table_id}/deactivate",
                                      {"bookings": "move"})
    assert response.status_code == 303
    page = owner_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "stays bookable" in page and "Stuck Guest" in page
    session.expire_all()
    assert session.get(DiningTable, on_t2.table_id).active is True
    assert session.get(Reservation, on_t2.id).status == "booked"


def test_deactivate_with_cancel_or_keep(owner_client, session, restaurant, book):
    booking = book(19, party=2, table="T1")
    keep = owner_client.post_form(f"/owner/chez-test/tables/{booking.table_id}/deactivate",
                                  {"bookings": "keep"})
    assert keep.status_code == 303
    session.expire_all()
    assert session.get(DiningTable, booking.table_id).active is True
    bad = owner_client.post_form(f"/owner/chez-test/tables/{booking.table_id}/deactivate",
                                 {"bookings": "drop"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.get_data(as_text=True)
    cancel = owner_client.post_form(f"/owner/chez-test/tables/{booking.table_id}/deactivate",
                                    {"bookings": "cancel"})
    assert cancel.status_code == 303
    session.expire_all()
    assert session.get(DiningTable, booking.table_id).active is False
    assert session.get(Reservation, booking.id).status == "cancelled"


def test_tables_of_other_restaurants_are_404(session, owner_client):
    from tests.factories import make_restaurant

    other = make_restaurant(session, slug="other", tables=[("X1", 2)])
    table_id = other.tables[0].id
    assert owner_client.get(f"/owner/chez-test/tables/{table_id}").status_code == 404
    assert owner_client.post_form(f"/owner/chez-test/tables/{table_id}/deactivate",
                                  {"bookings": "cancel"}).status_code == 404
    assert owner_client.post_form(f"/owner/chez-test/tables/{table_id}/activate").status_code == 404


def test_hours_editor_and_preview(owner_client, session, restaurant, day):
    session.execute(OpeningHours.__table__.delete())
    session.commit()
    added = owner_client.post_form("/owner/chez-test/hours", {
        "weekday": str(day.weekday()), "name": "Dinner", "opens": "18:00", "closes": "22:00",
        "last_seating": "19:00"})
    assert added.status_code == 303
    second = owner_client.post_form("/owner/chez-test/hours", {
        "weekday": str(day.weekday()), "name": "Late", "opens": "23:00", "closes": "02:00"})
    assert second.status_code == 303
    page = owner_client.get("/owner/chez-test/hours", query_string={
        "preview": str(day), "party": "2"}).get_data(as_text=True)
    assert "Dinner 18:00–22:00" in page and "Late 23:00–02:00" in page
    chips = page.split("What guests see")[1]
    assert ">18:00<" in chips and ">19:00<" in chips and ">19:15<" not in chips
    assert ">23:00<" in chips and ">00:00<" in chips  # the late service runs past midnight
    row = session.scalar(select(OpeningHours).where(OpeningHours.name == "Dinner"))
    assert owner_client.get(f"/owner/chez-test/hours/{row.id}").status_code == 200
    edited = owner_client.post_form(f"/owner/chez-test/hours/{row.id}", {
        "weekday": str(day.weekday()), "name": "Dinner", "opens": "17:00", "closes": "22:00"})
    assert edited.status_code == 303
    removed = owner_client.post_form(f"/owner/chez-test/hours/{row.id}/delete")
    assert removed.status_code == 303
    assert session.scalar(select(OpeningHours).where(OpeningHours.id == row.id)) is None


def test_hours_bad_input_is_422(owner_client):
    response = owner_client.post_form("/owner/chez-test/hours", {
        "weekday": "9", "opens": "18:00", "closes": "18:00", "last_seating": "10:00"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Not a valid choice" in html
    assert "Opening and closing times cannot be the same." in html
    missing = owner_client.post_form("/owner/chez-test/hours", {"weekday": "1", "opens": "x"})
    assert missing.status_code == 422
    assert "Give the closing time." in missing.get_data(as_text=True)


def test_special_days(owner_client, session, restaurant, book, day):
    book(19)
    closed = owner_client.post_form("/owner/chez-test/special-days", {
        "start_date": str(day), "end_date": str(day + dt.timedelta(days=1)), "closed": "y",
        "reason": "Staff holiday"})
    assert closed.status_code == 303
    page = owner_client.get("/owner/chez-test/special-days").get_data(as_text=True)
    assert "Staff holiday" in page and "1 existing booking on these days stay" in page
    preview = owner_client.get("/owner/chez-test/hours", query_string={"preview": str(day)})
    assert "No bookable times." in preview.get_data(as_text=True)
    other_day = day + dt.timedelta(days=5)
    special = owner_client.post_form("/owner/chez-test/special-days", {
        "start_date": str(other_day), "reason": "Gala",
        "services": "Gala 19:00-23:30 last 20:00"})
    assert special.status_code == 303
    row = session.scalar(select(SpecialDay).where(SpecialDay.reason == "Gala"))
    assert row.end_date == other_day and not row.closed
    assert [(s.name, s.opens, s.last_seating) for s in row.services] == \
        [("Gala", dt.time(19), dt.time(20))]
    assert owner_client.post_form(f"/owner/chez-test/special-days/{row.id}/delete"
                                  ).status_code == 303
    assert session.scalar(select(SpecialDay).where(SpecialDay.reason == "Gala")) is None


def test_a_special_days_pace_is_a_line_and_survives_an_edit_on_the_page(owner_client, session,
                                                                         restaurant, day):
    """"Gala 19:00-23:00 pace 4 max 10" sets the service's pace; the edit page shows the
    line back with it, so saving the page unchanged keeps the pace (it dropped it)."""
    made = owner_client.post_form("/owner/chez-test/special-days", {
        "start_date": str(day), "reason": "Gala", "services": "Gala 19:00-23:00 pace 4 max 10"})
    assert made.status_code == 303, made.get_data(as_text=True)[:500]
    row = session.scalar(select(SpecialDay).where(SpecialDay.reason == "Gala"))
    assert [(s.pace_covers, s.max_covers) for s in row.services] == [(4, 10)]
    listed = owner_client.get("/owner/chez-test/special-days").get_data(as_text=True)
    assert "pace 4 per slot" in listed and "at most 10 covers" in listed
    page = owner_client.get(f"/owner/chez-test/special-days/{row.id}").get_data(as_text=True)
    assert "Gala 19:00-23:00 pace 4 max 10" in page
    saved = owner_client.post_form(f"/owner/chez-test/special-days/{row.id}", {
        "start_date": str(day), "reason": "Gala night",
        "services": "Gala 19:00-23:00 pace 4 max 10"})
    assert saved.status_code == 303
    session.expire_all()
    row = session.get(SpecialDay, row.id)
    assert row.reason == "Gala night"
    assert [(s.pace_covers, s.max_covers) for s in row.services] == [(4, 10)]
    zero = owner_client.post_form("/owner/chez-test/special-days", {
        "start_date": str(day + dt.timedelta(days=1)), "services": "Gala 19:00-23:00 pace 0"})
    assert zero.status_code == 422
    assert "the pace is 1 to 10000 covers" in zero.get_data(as_text=True)


def test_special_day_bad_input_is_422(owner_client, day):
    response = owner_client.post_form("/owner/chez-test/special-days", {
        "start_date": str(day), "end_date": str(day - dt.timedelta(days=2)), "services": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The last day cannot be before the first day." in html
    assert "Give the hours for these days, or tick Closed." in html
    garbled = owner_client.post_form("/owner/chez-test/special-days", {
        "start_date": str(day), "services": "lunch at noon"})
    assert garbled.status_code == 422 and "is not like" in garbled.get_data(as_text=True)




@pytest.mark.sqlite_only
def test_a_page_that_reads_then_writes_waits_its_turn_on_sqlite(owner_client, session, app):
    """SQLite cannot turn a transaction that has read into a writer once someone else
    wrote meanwhile ("database is locked", at once). A request that means to write
    therefore takes the write lock at BEGIN: another writer arriving between the page's
    read and its write now waits (here: gives up after 0.2 s) instead of the page
    failing with 503."""
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    intruder: list[str] = []

    def write_from_elsewhere(*_args) -> None:
        if intruder:
            return
        other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
        try:
            other.execute("UPDATE restaurants SET description = 'meanwhile'")
            intruder.append("wrote")
        except sqlite3.OperationalError as error:
            intruder.append(str(error))
        finally:
            other.close()

    event.listen(db.session, "before_flush", write_from_elsewhere)
    try:
        response = owner_client.post_form("/owner/chez-test/settings", SETTINGS)
    finally:
        event.remove(db.session, "before_flush", write_from_elsewhere)
    assert intruder == ["database is locked"]
    assert response.status_code == 303
    session.expire_all()
    assert session.scalar(select(Restaurant.name)) == "Chez Neu"
