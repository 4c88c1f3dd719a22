"""Owner reservations through the API: list, read, edit, move, status, cancel, day grid."""

from __future__ import annotations

import datetime as dt

from tests.api.conftest import API, assert_problem, booking

BASE = f"{API}/restaurants/trattoria"


def _book(client, day, time="19:00", **extra):
    response = client.post(f"{BASE}/reservations", json=booking(day, time, **extra))
    assert response.status_code == 201, response.json
    return response.json


def test_list_filters_by_date_status_and_guest(client, restaurant, auth, day):
    ada = _book(client, day)
    bob = _book(client, day, "12:00", name="Bob Builder", email="bob@example.com",
                phone="030 7777777")
    later = _book(client, day + dt.timedelta(days=30), name="Later", email="l@example.com",
                  phone="030 8888888")
    client.post(f"{BASE}/reservations/{bob['id']}/status", headers=auth,
                json={"status": "cancelled"})

    def ids(query: str) -> list[int]:
        response = client.get(f"{BASE}/reservations?{query}", headers=auth)
        assert response.status_code == 200, response.json
        return [r["id"] for r in response.json["reservations"]]

    assert ids("") == [bob["id"], ada["id"], later["id"]]
    assert ids(f"date={day}") == [bob["id"], ada["id"]]
    assert ids(f"start={day}&end={day}") == [bob["id"], ada["id"]]
    assert ids("status=cancelled") == [bob["id"]]
    assert ids("q=BUILDER") == [bob["id"]]
    assert ids("q=ada@") == [ada["id"]]
    assert ids("limit=1") == [bob["id"]]
    assert_problem(client.get(f"{BASE}/reservations?status=lost", headers=auth), 422, "status")


def test_owner_reads_one_reservation_with_owner_details(client, restaurant, auth, day):
    made = _book(client, day)
    body = client.get(f"{BASE}/reservations/{made['id']}", headers=auth).json
    assert body["source"] == "api" and "manage_token" not in body
    assert_problem(client.get(f"{BASE}/reservations/9999", headers=auth), 404)


def test_edit_guest_details_and_stale_version(client, restaurant, auth, day):
    made = _book(client, day)
    response = client.patch(f"{BASE}/reservations/{made['id']}", headers=auth,
                            json={"notes": "Birthday", "version": 1})
    assert response.status_code == 200, response.json
    assert response.json["notes"] == "Birthday" and response.json["version"] == 2
    stale = client.patch(f"{BASE}/reservations/{made['id']}", headers=auth,
                         data={"notes": "Other", "version": "1"})
    assert assert_problem(stale, 409)["code"] == "stale"
    assert_problem(client.patch(f"{BASE}/reservations/{made['id']}", headers=auth,
                                json={"email": "nope"}), 422, "email")


def test_move_to_another_table_and_time(client, restaurant, auth, day):
    made = _book(client, day)
    big = restaurant.tables[2].id
    response = client.post(f"{BASE}/reservations/{made['id']}/move", headers=auth,
                           json={"time": "20:10", "table": big})
    assert response.status_code == 200, response.json
    assert response.json["time"] == "20:10" and response.json["table"]["id"] == big


def test_move_onto_a_taken_table_is_409(client, restaurant, auth, day):
    first = _book(client, day)
    second = _book(client, day, "12:00", email="b@example.com", phone="030 1111111")
    response = client.post(f"{BASE}/reservations/{second['id']}/move", headers=auth,
                           data={"time": "19:00", "table": str(first["table"]["id"])})
    body = assert_problem(response, 409)
    assert body["code"] == "slot_taken" and "T4" in body["free_tables"]


def test_status_moves_and_refusals(client, restaurant, auth, day):
    made = _book(client, day)
    url = f"{BASE}/reservations/{made['id']}/status"
    # A week ahead: not the service day, so the owner's token says "anyway" (issue 17).
    off_day = assert_problem(client.post(url, headers=auth, json={"status": "seated"}), 409)
    assert off_day["code"] == "not_on_service_day"
    assert client.post(url, headers=auth, json={"status": "seated", "allow_off_day": True}
                       ).json["status"] == "seated"
    assert client.post(url, headers=auth, data={"status": "completed", "allow_off_day": "true"}
                       ).json["status"] == "completed"
    body = assert_problem(client.post(url, headers=auth, json={"status": "seated"}), 409)
    assert body["code"] == "invalid_transition"
    assert_problem(client.post(url, headers=auth, json={"status": "lost"}), 422, "status")


def test_cancel_by_delete(client, restaurant, auth, day):
    made = _book(client, day)
    response = client.delete(f"{BASE}/reservations/{made['id']}", headers=auth)
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert_problem(client.delete(f"{BASE}/reservations/{made['id']}", headers=auth), 409)


def test_timeslots_show_every_slot_and_table_with_its_state(client, restaurant, auth, day):
    made = _book(client, day, "19:00")
    client.post(f"{BASE}/reservations/{made['id']}/status", headers=auth,
                json={"status": "seated", "allow_off_day": True})
    body = client.get(f"{BASE}/timeslots?date={day}", headers=auth).json
    assert [t["name"] for t in body["tables"]] == ["T2", "T4", "T6"]
    by_time = {s["time"]: s for s in body["slots"]}
    assert by_time["12:00"]["service"] == "Lunch"
    cells = {c["table_id"]: c for c in by_time["19:00"]["tables"]}
    assert cells[made["table"]["id"]] == {"table_id": made["table"]["id"], "state": "seated",
                                          "reservation_id": made["id"]}
    assert {c["state"] for c in by_time["12:00"]["tables"]} == {"free"}
    assert [r["id"] for r in body["reservations"]] == [made["id"]]
    assert_problem(client.get(f"{BASE}/timeslots", headers=auth), 422, "date")
