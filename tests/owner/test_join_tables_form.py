"""The dashboard's forms join tables for one party, on PostgreSQL and SQLite: a phone
booking on tables the owner ticks or on a combination they pick; the move form of a
joined booking comes with its tables ticked, so moving it in time keeps them; one ticked
table is a field error; and a table a guest holds online is named as held, not "taken"."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from tests.factories import join_tables, local, make_restaurant
from webapp.booking import holds, service
from webapp.booking.service import GuestDetails
from webapp.models import Reservation

PANEL = {"HX-Request": "true", "HX-Target": "panel"}


@pytest.fixture
def restaurant(session):
    return make_restaurant(session, name="Chez Test", slug="chez-test",
                           tables=[("T1", 2), ("T2", 4), ("T3", 4)])


def table_id(restaurant, name: str) -> int:
    return next(t.id for t in restaurant.tables if t.name == name)


def phone_booking(day: dt.date, **fields) -> dict:
    return {"source": "phone", "date": str(day), "time": "19:00", "party_size": "7",
            "name": "Grande Tavola", "phone": "+49 30 1234567", **fields}


def only_booking(session) -> Reservation:
    session.expire_all()
    (booking,) = session.query(Reservation).filter(Reservation.part_of.is_(None)).all()
    return booking


def test_the_new_booking_form_offers_the_tables_and_combinations_to_join(
        owner_client, session, restaurant):
    join_tables(session, restaurant, ["T2", "T3"], 5, 8, name="Big corner")
    html = owner_client.get("/owner/chez-test/reservations/new").get_data(as_text=True)
    assert "Join tables" in html
    assert re.search(r'<option value="\d+"\s*>Big corner · 5–8 people</option>', html)
    for name in ("T1", "T2", "T3"):
        assert re.search(rf'<input type="checkbox" name="table_ids" value="'
                         rf'{table_id(restaurant, name)}"\s*> {name} ·', html)


def test_a_phone_booking_on_ticked_tables_holds_them_all(owner_client, session, restaurant,
                                                          day):
    t2, t3 = table_id(restaurant, "T2"), table_id(restaurant, "T3")
    response = owner_client.post_form("/owner/chez-test/reservations/new",
                                      phone_booking(day, table_ids=[str(t2), str(t3)]))
    assert response.status_code in (201, 302, 303), response.get_data(as_text=True)[:800]
    booking = only_booking(session)
    assert service.tables_of(session, booking) == (t2, t3)
    assert booking.starts_at == local(restaurant, day, 19)


def test_a_phone_booking_on_a_combination_holds_its_tables(owner_client, session,
                                                           restaurant, day):
    combination = join_tables(session, restaurant, ["T2", "T3"], 5, 8)
    response = owner_client.post_form("/owner/chez-test/reservations/new",
                                      phone_booking(day, combination=str(combination.id)))
    assert response.status_code in (201, 302, 303), response.get_data(as_text=True)[:800]
    assert service.tables_of(session, only_booking(session)) == (
        table_id(restaurant, "T2"), table_id(restaurant, "T3"))


def test_one_ticked_table_is_a_field_error_and_books_nothing(owner_client, session,
                                                             restaurant, day):
    response = owner_client.post_form(
        "/owner/chez-test/reservations/new",
        phone_booking(day, party_size="3", table_ids=[str(table_id(restaurant, "T2"))]))
    assert response.status_code == 422
    assert "Choose 2 or 3 tables to join." in response.get_data(as_text=True)
    assert session.query(Reservation).count() == 0


def test_the_move_form_of_a_joined_booking_keeps_its_tables(owner_client, session,
                                                            restaurant, day):
    t2, t3 = table_id(restaurant, "T2"), table_id(restaurant, "T3")
    joined = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=7, guest=GuestDetails("Grande Tavola", "gt@example.com"),
                          table_ids=[t2, t3], source="phone").reservation
    html = owner_client.get(f"/owner/chez-test/reservations/{joined.id}",
                            headers=PANEL).get_data(as_text=True)
    move_form = html[html.index("Move (time or table)"):html.index("Edit guest details")]
    ticked = re.findall(r'name="table_ids" value="(\d+)" checked', move_form)
    assert ticked == [str(t2), str(t3)]
    # The form as shown, with only the time changed (the table select keeps T2).
    response = owner_client.post_form(f"/owner/chez-test/reservations/{joined.id}/move", {
        "date": str(day), "time": "20:00", "table": str(t2), "table_ids": ticked,
        "party_size": "7", "duration_minutes": "120", "version": str(joined.version)},
        headers=PANEL)
    assert response.status_code == 200, response.get_data(as_text=True)[:800]
    moved = only_booking(session)
    assert (service.tables_of(session, moved), moved.starts_at) == (
        (t2, t3), local(restaurant, day, 20))


def test_a_table_a_guest_holds_online_is_named_as_held(owner_client, session, restaurant,
                                                        day):
    t1 = table_id(restaurant, "T1")
    placed = holds.place(session, restaurant, starts_at=local(restaurant, day, 19),
                         party_size=2, holder="a guest's browser")
    assert placed.table_ids == (t1,)  # the best fit for two
    response = owner_client.post_form("/owner/chez-test/reservations/new", phone_booking(
        day, party_size="2", table=str(t1)), headers=PANEL)
    assert response.status_code == 409
    until = placed.expires_at.astimezone(ZoneInfo(restaurant.timezone))
    assert (f"T1 is held for a guest who is booking online, until {until:%H:%M}."
            in response.get_data(as_text=True))
    assert session.query(Reservation).count() == 0


def test_the_history_names_joined_tables_not_their_ids(owner_client, session, restaurant,
                                                        day):
    t1, t2, t3 = (table_id(restaurant, n) for n in ("T1", "T2", "T3"))
    joined = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=6, guest=GuestDetails("Grande Tavola", "gt@example.com"),
                          table_ids=[t2, t3], source="phone").reservation
    service.change(session, restaurant, joined.id, starts_at=local(restaurant, day, 19),
                   table_ids=[t1, t2, t3], party_size=6)
    html = owner_client.get(f"/owner/chez-test/reservations/{joined.id}").get_data(
        as_text=True)
    history = html[html.index("History"):]
    assert "table: T2 + T3" in history
    assert "tables: T2 + T3 → T1 + T2 + T3" in history
    assert not re.search(r"tables: \d", history)
