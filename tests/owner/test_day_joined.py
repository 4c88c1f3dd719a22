"""A booking on joined tables in the day view, on PostgreSQL and SQLite: drawn on each of
its tables (the further ones as "joined with <first table>", linking to the booking),
counted once in the covers, the covers row and the arrivals, listed once off the grid,
the phone list naming all its tables; dragged onto another table it moves there alone
when it fits, else the refusal shows."""

from __future__ import annotations

import re

import pytest

from tests.factories import local, make_restaurant
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import Reservation
from webapp.owner import layout

PANEL = {"HX-Request": "true", "HX-Target": "panel"}


@pytest.fixture
def restaurant(session):
    return make_restaurant(session, name="Chez Test", slug="chez-test",
                           tables=[("T1", 2), ("T2", 4), ("T3", 4)])


def table_id(restaurant, name: str) -> int:
    return next(t.id for t in restaurant.tables if t.name == name)


@pytest.fixture
def joined(session, restaurant, day):
    """A party of 7 on T2 + T3 at 19:00 (the owner's own set), and a couple on T1."""
    result = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=7, guest=GuestDetails("Grande Tavola", "gt@example.com"),
                          table_ids=[table_id(restaurant, "T2"), table_id(restaurant, "T3")],
                          source="phone")
    service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=2,
                 guest=GuestDetails("Due", "due@example.com"),
                 table_id=table_id(restaurant, "T1"), source="phone")
    return result.reservation


def test_the_layout_counts_a_joined_booking_once_and_draws_it_on_each_table(
        session, restaurant, day, joined):
    built = layout.build(session, restaurant, day)
    dinner = next(s for s in built.covers if s.name == "Dinner")
    assert (dinner.covers, dinner.bookings) == (9, 2)
    at_19 = next(s for s in built.slots if s.column.starts_at == local(restaurant, day, 19))
    assert (at_19.arriving, at_19.in_house) == (9, 9)
    assert [(r.guest_name, built.table_names(r)) for r in built.arrivals] == [
        ("Grande Tavola", "T2 + T3"), ("Due", "T1")]
    rows = {row.table.name: [c.block.reservation for c in row.cells if c.kind == "booking"]
            for row in built.rows}
    assert [r.id for r in rows["T2"]] == [joined.id]
    assert [r.part_of for r in rows["T3"]] == [joined.id]  # the part row, for its booking
    assert built.joined == {joined.id: (table_id(restaurant, "T2"), table_id(restaurant, "T3"))}


def test_a_cancelled_joined_booking_is_listed_once_off_the_grid(session, restaurant, day,
                                                                joined):
    service.set_status(session, restaurant, joined.id, "cancelled", actor="owner:test")
    built = layout.build(session, restaurant, day)
    assert [r.id for r in built.off_grid] == [joined.id]
    assert [r.guest_name for r in built.arrivals] == ["Due"]
    assert next(s for s in built.covers if s.name == "Dinner").bookings == 1


def test_the_day_page_shows_the_part_as_joined_and_the_list_once(owner_client, restaurant,
                                                                 day, joined):
    html = owner_client.get(f"/owner/chez-test/day/{day}").get_data(as_text=True)
    detail = f"/owner/chez-test/reservations/{joined.id}"
    t2, t3 = table_id(restaurant, "T2"), table_id(restaurant, "T3")
    # Its own cell, on T2, names both tables; the T3 cell says whose it is and links there.
    own = re.search(rf'<a class="booking[^"]*"[^>]* id="booking-{joined.id}"[^>]*>', html)
    assert own and "T2 + T3" in own.group(0) and f'data-tables="{t2} {t3}"' in own.group(0)
    part = re.search(rf'<a class="booking joined-part[^"]*"[^>]* id="booking-{joined.id}-t{t3}"'
                     rf'[^>]*>.*?</a>', html)
    assert part, html
    assert f'href="{detail}"' in part.group(0) and "joined with T2" in part.group(0)
    assert f'data-table="{t3}"' in part.group(0)  # dragged from T3, it moves the booking
    assert f'data-version="{joined.version}"' in part.group(0)
    # The phone's list: one line for the booking, naming its tables.
    assert html.count(f'id="arrival-{joined.id}"') == 1
    assert "7 people · T2 + T3" in html
    assert html.count('class="arrival ') == 2


def test_dropped_on_another_table_it_moves_there_alone_when_it_fits(
        owner_client, session, restaurant, day):
    four = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                        party_size=4, guest=GuestDetails("Quattro", "q@example.com"),
                        table_ids=[table_id(restaurant, "T1"), table_id(restaurant, "T2")],
                        source="phone").reservation
    # What owner-drag.js posts for a drop on T3 at 19:30.
    response = owner_client.post_form(f"/owner/chez-test/reservations/{four.id}/move", {
        "date": str(day), "time": "19:30", "table": str(table_id(restaurant, "T3")),
        "party_size": "4", "duration_minutes": "120", "version": str(four.version),
        "notify_guest": "y"}, headers=PANEL)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Moved Quattro to T3" in response.get_data(as_text=True)
    session.expire_all()
    assert service.tables_of(session, session.get(Reservation, four.id)) == (
        table_id(restaurant, "T3"),)


def test_dropped_on_a_table_too_small_it_stays_and_the_refusal_shows(
        owner_client, session, restaurant, day, joined):
    response = owner_client.post_form(f"/owner/chez-test/reservations/{joined.id}/move", {
        "date": str(day), "time": "19:00", "table": str(table_id(restaurant, "T1")),
        "party_size": "7", "duration_minutes": "120", "version": str(joined.version),
        "notify_guest": "y"}, headers=PANEL)
    assert response.status_code in (409, 422), response.status_code
    assert "T1" in response.get_data(as_text=True)
    session.expire_all()
    assert service.tables_of(session, session.get(Reservation, joined.id)) == (
        table_id(restaurant, "T2"), table_id(restaurant, "T3"))


def test_dropped_on_its_own_tables_at_another_time_it_keeps_them(
        owner_client, session, restaurant, day, joined):
    t2, t3 = table_id(restaurant, "T2"), table_id(restaurant, "T3")
    # What owner-drag.js posts for a drop on T3 (one of its tables) at 20:00.
    response = owner_client.post_form(f"/owner/chez-test/reservations/{joined.id}/move", {
        "date": str(day), "time": "20:00", "table": str(t2), "table_ids": f"{t2} {t3}",
        "party_size": "7", "duration_minutes": "120", "version": str(joined.version),
        "notify_guest": "y"}, headers=PANEL)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "Moved Grande Tavola to T2 + T3 at 20:00" in html
    assert '<strong class="table-name">T2 + T3</strong>' in html
    session.expire_all()
    moved = session.get(Reservation, joined.id)
    assert service.tables_of(session, moved) == (t2, t3)
    assert moved.starts_at == local(restaurant, day, 20)
