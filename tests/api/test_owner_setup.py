"""Owner setup through the API: settings, tables, opening hours, special days."""

from __future__ import annotations

from tests.api.conftest import API, assert_problem, booking
from webapp.models import DiningTable, OpeningHours, SpecialDay

BASE = f"{API}/restaurants/trattoria"


def test_settings_read_and_partial_change(client, session, restaurant, auth):
    assert client.get(f"{BASE}/settings", headers=auth).json["slot_interval_minutes"] == 15
    response = client.patch(f"{BASE}/settings", headers=auth,
                            json={"lead_time_minutes": 30, "turn_times": {"1": 90, "5": 150}})
    assert response.status_code == 200, response.json
    assert response.json["lead_time_minutes"] == 30
    assert response.json["turn_times"] == {"1": 90, "5": 150}
    assert response.json["name"] == "Trattoria"  # untouched fields keep their values
    session.refresh(restaurant)
    assert restaurant.lead_time_minutes == 30


def test_settings_change_by_form_post(client, restaurant, auth):
    response = client.patch(f"{BASE}/settings", headers=auth, data={"name": "Trattoria Nuova"})
    assert response.status_code == 200 and response.json["name"] == "Trattoria Nuova"


def test_settings_are_validated_by_the_page_form(client, restaurant, other_restaurant, auth):
    response = client.patch(f"{BASE}/settings", headers=auth,
                            json={"timezone": "Mars/Olympus", "slot_interval_minutes": 1,
                                  "slug": "elsewhere"})
    assert_problem(response, 422, "timezone", "slot_interval_minutes", "slug")


def test_tables_create_list_change_and_deactivate(client, session, restaurant, auth):
    created = client.post(f"{BASE}/tables", headers=auth, json={"name": "Garden", "seats": 8})
    assert created.status_code == 201, created.json
    table = created.json
    assert table["active"] is True and table["min_party"] == 1  # the page's defaults
    names = [t["name"] for t in client.get(f"{BASE}/tables", headers=auth).json["tables"]]
    assert "Garden" in names
    changed = client.patch(f"{BASE}/tables/{table['id']}", headers=auth,
                           data={"min_party": "4", "area": "Garden"})
    assert changed.status_code == 200 and changed.json["min_party"] == 4
    assert changed.json["seats"] == 8
    gone = client.post(f"{BASE}/tables/{table['id']}/deactivate", headers=auth)
    assert gone.status_code == 200 and gone.json["active"] is False
    assert session.get(DiningTable, table["id"]).active is False
    assert client.get(f"{BASE}/tables/{table['id']}", headers=auth).json["active"] is False


def test_delete_removes_a_table_that_never_held_a_reservation(client, session, restaurant,
                                                              auth):
    table = client.post(f"{BASE}/tables", headers=auth, json={"name": "Oops", "seats": 2}).json
    removed = client.delete(f"{BASE}/tables/{table['id']}", headers=auth)
    assert removed.status_code == 204 and removed.data == b""
    assert_problem(client.get(f"{BASE}/tables/{table['id']}", headers=auth), 404)
    assert session.get(DiningTable, table["id"]) is None


def test_delete_keeps_a_table_with_a_history(client, session, restaurant, auth, day):
    made = client.post(f"{BASE}/reservations", json=booking(day)).json
    client.delete(f"{BASE}/reservations/{made['id']}", headers=auth)  # cancelled: history only
    body = assert_problem(client.delete(f"{BASE}/tables/{made['table']['id']}", headers=auth),
                          409)
    assert body["code"] == "table_has_history" and "deactivate it instead" in body["detail"]
    assert client.get(f"{BASE}/tables/{made['table']['id']}", headers=auth).status_code == 200


def test_table_names_are_unique_and_sizes_sensible(client, restaurant, auth):
    assert_problem(client.post(f"{BASE}/tables", headers=auth, json={"name": "T2", "seats": 2}),
                   422, "name")
    assert_problem(client.post(f"{BASE}/tables", headers=auth,
                               json={"name": "Odd", "seats": 2, "min_party": 3}), 422, "min_party")


def test_a_table_with_upcoming_bookings_is_not_deactivated(client, session, restaurant, auth,
                                                          day):
    made = client.post(f"{BASE}/reservations", json=booking(day)).json
    response = client.post(f"{BASE}/tables/{made['table']['id']}/deactivate", headers=auth)
    body = assert_problem(response, 409)
    assert body["reservations"] == [made["id"]]
    assert_problem(client.patch(f"{BASE}/tables/{made['table']['id']}", headers=auth,
                                json={"active": False}), 409)
    assert session.get(DiningTable, made["table"]["id"]).active is True


def test_unknown_table_is_404(client, restaurant, auth):
    assert_problem(client.patch(f"{BASE}/tables/9999", headers=auth, json={"seats": 2}), 404)
    assert_problem(client.delete(f"{BASE}/tables/9999", headers=auth), 404)
    assert_problem(client.post(f"{BASE}/tables/9999/deactivate", headers=auth), 404)


def test_opening_hours_create_list_delete(client, session, restaurant, auth):
    created = client.post(f"{BASE}/opening-hours", headers=auth,
                          data={"weekday": "6", "name": "Brunch", "opens": "10:00",
                                "closes": "12:00"})
    assert created.status_code == 201, created.json
    assert created.json["day"] == "Sunday" and created.json["last_seating"] is None
    listed = client.get(f"{BASE}/opening-hours", headers=auth).json["opening_hours"]
    assert created.json in listed
    assert client.delete(f"{BASE}/opening-hours/{created.json['id']}", headers=auth
                         ).status_code == 204
    assert session.get(OpeningHours, created.json["id"]) is None
    assert_problem(client.delete(f"{BASE}/opening-hours/{created.json['id']}", headers=auth), 404)


def test_opening_hours_are_validated(client, restaurant, auth):
    response = client.post(f"{BASE}/opening-hours", headers=auth,
                           json={"weekday": 9, "opens": "18:00", "closes": "18:00"})
    assert_problem(response, 422, "weekday", "closes")


def test_special_days_closure_and_special_hours(client, session, restaurant, auth, day):
    closed = client.post(f"{BASE}/special-days", headers=auth,
                         json={"start_date": day.isoformat(), "closed": True, "reason": "Party"})
    assert closed.status_code == 201, closed.json
    assert closed.json["end_date"] == day.isoformat() and closed.json["services"] == []
    times = client.get(f"{BASE}/availability?date={day}&party_size=2").json["services"]
    assert times == []  # the closure applies at once
    other = day.replace(day=1) if day.day > 1 else day.replace(day=2)
    special = client.post(f"{BASE}/special-days", headers=auth, json={
        "start_date": other.isoformat(), "closed": False,
        "services": [{"name": "Gala", "opens": "19:00", "closes": "23:00"}]})
    assert special.status_code == 201, special.json
    assert special.json["services"][0]["name"] == "Gala"
    listed = client.get(f"{BASE}/special-days", headers=auth).json["special_days"]
    assert {s["id"] for s in listed} == {closed.json["id"], special.json["id"]}
    assert client.delete(f"{BASE}/special-days/{closed.json['id']}", headers=auth
                         ).status_code == 204
    assert session.get(SpecialDay, closed.json["id"]) is None


def test_special_day_needs_hours_or_closed(client, restaurant, auth, day):
    response = client.post(f"{BASE}/special-days", headers=auth,
                           json={"start_date": day.isoformat()})
    assert_problem(response, 422, "services")
