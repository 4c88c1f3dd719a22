"""An owner's API booking on joined tables (both backends): POST …/reservations with
`table_ids` or a `combination` books them all and answers with every table; a move that
names only a new time keeps them; one id in `table_ids` is a field problem; another
restaurant's combination is no combination here."""

from __future__ import annotations

from tests.api.conftest import API, assert_problem, booking
from tests.factories import join_tables, make_restaurant

BASE = f"{API}/restaurants/trattoria"


def ids(restaurant) -> dict[str, int]:
    return {t.name: t.id for t in restaurant.tables}


def tables(body) -> list[str]:
    return [t["name"] for t in body["tables"]]


def test_a_phone_booking_on_named_tables_and_a_move_that_keeps_them(client, restaurant,
                                                                    auth, day):
    t = ids(restaurant)
    made = client.post(f"{BASE}/reservations", headers=auth, json=booking(
        day, party_size=9, source="phone", table_ids=[t["T4"], t["T6"]]))
    assert made.status_code == 201, made.json
    assert tables(made.json) == ["T4", "T6"]
    moved = client.post(f"{BASE}/reservations/{made.json['id']}/move", headers=auth,
                        json={"time": "20:30"})
    assert moved.status_code == 200, moved.json
    assert (tables(moved.json), moved.json["time"]) == (["T4", "T6"], "20:30")


def test_a_phone_booking_on_a_combination(client, session, restaurant, auth, day):
    combination = join_tables(session, restaurant, ["T2", "T6"], 7, 8)
    made = client.post(f"{BASE}/reservations", headers=auth, json=booking(
        day, party_size=8, source="phone", combination=combination.id))
    assert made.status_code == 201, made.json
    assert tables(made.json) == ["T2", "T6"]


def test_refusals_name_the_field(client, session, restaurant, auth, day):
    t = ids(restaurant)
    assert_problem(client.post(f"{BASE}/reservations", headers=auth, json=booking(
        day, party_size=3, source="phone", table_ids=[t["T4"]])), 422, "table_ids")
    elsewhere = make_restaurant(session, slug="elsewhere", name="Elsewhere",
                                tables=[("X1", 4), ("X2", 4)])
    theirs = join_tables(session, elsewhere, ["X1", "X2"], 5, 8)
    refused = client.post(f"{BASE}/reservations", headers=auth, json=booking(
        day, party_size=6, source="phone", combination=theirs.id))
    assert refused.status_code in (404, 422), refused.json
    assert "combination" in refused.json["detail"]
