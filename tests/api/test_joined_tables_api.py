"""A booking on joined tables through the API, on PostgreSQL and SQLite: the Reservation
carries ``tables`` (every table it holds, ``table`` first) wherever it is shown (the
booking's answer, one reservation, the list, the day's timeslots), the webhook payload
the same, and lists and the calendar feed show the booking once, naming all its tables."""

from __future__ import annotations

import json

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.factories import join_tables, make_restaurant
from webapp import clock
from webapp.booking.calendar_feed import feed_ics
from webapp.models import DiningTable, Reservation, WebhookDelivery

from .conftest import API, booking

TABLES = [("T2", 2), ("T4", 4), ("T6", 6)]


@pytest.fixture
def restaurant(session):
    restaurant = make_restaurant(session, slug="trattoria", name="Trattoria", tables=TABLES,
                                 max_online_party=12)
    join_tables(session, restaurant, ["T4", "T6"], 7, 10)
    return restaurant


@pytest.fixture
def table(session, restaurant) -> dict[str, int]:
    return dict(session.execute(select(DiningTable.name, DiningTable.id)
                                .where(DiningTable.restaurant_id == restaurant.id)).all())


def tables_of(body: dict) -> list[str]:
    return [t["name"] for t in body["tables"]]


def test_a_guest_booking_on_joined_tables_names_every_table(client, restaurant, table, day):
    made = client.post(f"{API}/restaurants/trattoria/reservations",
                       json=booking(day, party_size=9))
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["tables"] == [{"id": table["T4"], "name": "T4"},
                              {"id": table["T6"], "name": "T6"}]
    # ``table`` is the first of them (not "T4 + T6": that is no table's name).
    assert body["table"] == {"id": table["T4"], "name": "T4"}
    # The guest's own link shows the same.
    mine = client.get(body["links"]["manage"]).get_json()
    assert mine["tables"] == body["tables"] and mine["table"] == body["table"]


def test_a_single_table_booking_lists_its_one_table(client, restaurant, table, day):
    body = client.post(f"{API}/restaurants/trattoria/reservations",
                       json=booking(day, party_size=2)).get_json()
    assert body["tables"] == [{"id": table["T2"], "name": "T2"}] == [body["table"]]


def test_lists_and_timeslots_show_a_joined_booking_once_with_its_tables(
        client, session, restaurant, table, auth, day):
    joined = client.post(f"{API}/restaurants/trattoria/reservations",
                         json=booking(day, party_size=9)).get_json()
    single = client.post(f"{API}/restaurants/trattoria/reservations",
                         json=booking(day, "19:00", 2, name="Bo", email="bo@example.com",
                                      phone="+44 20 7946 0001")).get_json()
    assert session.query(Reservation).count() == 3  # the booking, its part, the single

    one = client.get(f"{API}/restaurants/trattoria/reservations/{joined['id']}",
                     headers=auth).get_json()
    assert tables_of(one) == ["T4", "T6"]

    listed = client.get(f"{API}/restaurants/trattoria/reservations?date={day}",
                        headers=auth).get_json()["reservations"]
    assert [(r["id"], tables_of(r)) for r in listed] == [
        (joined["id"], ["T4", "T6"]), (single["id"], ["T2"])]

    grid = client.get(f"{API}/restaurants/trattoria/timeslots?date={day}",
                      headers=auth).get_json()
    assert sorted((r["id"], tuple(tables_of(r))) for r in grid["reservations"]) == sorted(
        [(joined["id"], ("T4", "T6")), (single["id"], ("T2",))])
    at_seven = next(s for s in grid["slots"] if s["time"] == "19:00")
    held = {c["table_id"]: c["reservation_id"] for c in at_seven["tables"]}
    assert held == {table["T2"]: single["id"], table["T4"]: joined["id"],
                    table["T6"]: joined["id"]}


def test_the_webhook_payload_carries_the_tables_as_the_api_shows_them(
        client, session, restaurant, auth, day):
    client.post(f"{API}/restaurants/trattoria/webhooks", headers=auth, json={
        "url": "https://pos.example.com/hooks", "events": ["reservation.created"]})
    made = client.post(f"{API}/restaurants/trattoria/reservations", headers=auth,
                       json={**booking(day, party_size=9), "source": "phone"})
    assert made.status_code == 201, made.get_json()
    shown = made.get_json()
    payload = session.scalars(select(WebhookDelivery.payload).where(
        WebhookDelivery.event_type == "reservation.created")).one()
    data = json.loads(payload)["data"]
    assert tables_of(data) == ["T4", "T6"] == tables_of(shown)
    assert data["table"] == shown["table"] == data["tables"][0]
    assert set(data) == set(shown) - {"links", "manage_token"}


def test_the_calendar_feed_has_one_event_naming_the_joined_tables(
        client, session, restaurant, day):
    client.post(f"{API}/restaurants/trattoria/reservations", json=booking(day, party_size=9))
    feed = feed_ics(session, restaurant, now=clock.now(), host="test")
    summaries = [str(e["summary"]) for e in Calendar.from_ical(feed).walk("VEVENT")]
    assert summaries == ["Ada Lovelace, party of 9, table T4 + T6"]


def test_the_answer_to_a_joined_booking_reads_no_parts_back(client, session, restaurant,
                                                            table, day):
    """The write knows the tables it placed the booking on: its answer names them from
    the set-up it used, with no query for the part rows (nor a load of the table)."""
    from sqlalchemy import event

    client.post(f"{API}/restaurants/trattoria/reservations",  # caches warm
                json=booking(day, "12:00", party_size=9, email="warm@example.com"))
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        made = client.post(f"{API}/restaurants/trattoria/reservations",
                           json=booking(day, party_size=9))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert made.status_code == 201, made.get_json()
    assert tables_of(made.get_json()) == ["T4", "T6"]
    after_insert = seen[next(i for i, s in enumerate(seen)
                             if s.startswith("INSERT INTO reservations")):]
    reads = [s for s in after_insert if s.startswith("SELECT")]
    assert not any("reservations.part_of IN" in s or "FROM dining_tables" in s
                   for s in reads), reads
