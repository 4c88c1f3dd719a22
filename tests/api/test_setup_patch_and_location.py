"""The set-up objects' addresses: 201 answers carry ``Location`` (also when replayed), the
address answers GET, and opening hours and special days change in place with PATCH
(they keep their id, which delete-and-recreate did not)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import API, assert_problem
from webapp.booking.setup import restaurant_setup
from webapp.models import OpeningHours, Restaurant, SpecialDay

BASE = f"{API}/restaurants/trattoria"


@pytest.mark.parametrize(("collection", "body"), [
    ("tables", {"name": "Garden", "seats": 6}),
    ("opening-hours", {"weekday": 6, "name": "Brunch", "opens": "10:00", "closes": "14:00"}),
    ("special-days", {"start_date": "2031-12-24", "closed": True, "reason": "Christmas"}),
])
def test_a_created_object_is_at_its_location(client, restaurant, auth, other_auth, collection,
                                             body):
    headers = {**auth, "Idempotency-Key": f"create-{collection}"}
    created = client.post(f"{BASE}/{collection}", headers=headers, json=body)
    assert created.status_code == 201, created.json
    location = created.headers["Location"]
    assert location == f"http://localhost{BASE}/{collection}/{created.json['id']}"
    there = client.get(location, headers=auth)
    assert there.status_code == 200 and there.json == created.json
    replayed = client.post(f"{BASE}/{collection}", headers=headers, json=body)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert (replayed.status_code, replayed.headers["Location"]) == (201, location)
    # Another restaurant's token finds nothing there; an unknown id is 404 too.
    assert_problem(client.get(location, headers=other_auth), 404)
    assert_problem(client.get(f"{BASE}/{collection}/99999", headers=auth), 404)


def _brunch(client, auth) -> dict:
    created = client.post(f"{BASE}/opening-hours", headers=auth, json={
        "weekday": 6, "name": "Brunch", "opens": "10:00", "closes": "14:00",
        "last_seating": "13:00"})
    assert created.status_code == 201, created.json
    return created.json


def test_patch_opening_hours_changes_only_what_is_sent(client, session, restaurant, auth):
    brunch = _brunch(client, auth)
    url = f"{BASE}/opening-hours/{brunch['id']}"
    later = client.patch(url, headers=auth, json={"closes": "15:00"})
    assert later.status_code == 200, later.json
    assert later.json == dict(brunch, closes="15:00")  # same id, the rest as it was
    cleared = client.patch(url, headers=auth, json={"last_seating": None, "weekday": 5})
    assert cleared.json == dict(brunch, closes="15:00", last_seating=None, weekday=5,
                                day="Saturday")
    by_form = client.patch(url, headers=auth, data={"name": "Late brunch"})
    assert by_form.status_code == 200 and by_form.json["name"] == "Late brunch"
    session.expire_all()
    row = session.get(OpeningHours, brunch["id"])
    assert (row.weekday, row.name, row.opens, row.closes, row.last_seating) == (
        5, "Late brunch", dt.time(10), dt.time(15), None)
    listed = client.get(f"{BASE}/opening-hours", headers=auth).json["opening_hours"]
    assert [entry for entry in listed if entry["id"] == brunch["id"]] == [by_form.json]


def test_patch_opening_hours_validates_the_whole_service(client, session, restaurant, auth,
                                                         other_auth):
    brunch = _brunch(client, auth)
    url = f"{BASE}/opening-hours/{brunch['id']}"
    body = assert_problem(client.patch(url, headers=auth, json={"opens": "14:00"}), 422,
                          "closes")
    assert body["errors"]["closes"] == ["Opening and closing times cannot be the same."]
    outside = assert_problem(client.patch(url, headers=auth, json={"closes": "12:00"}), 422,
                             "last_seating")  # the kept last seating is now after closing
    assert outside["errors"]["last_seating"] == [
        "The last seating must be between opening and closing."]
    assert_problem(client.patch(url, headers=auth, json={"colses": "15:00"}), 422, "colses")
    assert_problem(client.patch(url, headers=other_auth, json={"closes": "15:00"}), 404)
    assert_problem(client.patch(f"{BASE}/opening-hours/99999", headers=auth,
                                json={"closes": "15:00"}), 404)
    session.expire_all()
    assert session.get(OpeningHours, brunch["id"]).closes == dt.time(14)  # nothing changed


def test_patch_special_day_keeps_its_id_and_what_is_not_sent(client, session, restaurant,
                                                             auth, day):
    gala = client.post(f"{BASE}/special-days", headers=auth, json={
        "start_date": day.isoformat(), "reason": "Gala",
        "services": [{"name": "Gala", "opens": "19:00", "closes": "23:00",
                      "last_seating": "21:00"}]}).json
    url = f"{BASE}/special-days/{gala['id']}"
    renamed = client.patch(url, headers=auth, json={"reason": "Gala night"})
    assert renamed.status_code == 200, renamed.json
    assert renamed.json == dict(gala, reason="Gala night")  # services kept as they were
    longer = client.patch(url, headers=auth, json={
        "end_date": (day + dt.timedelta(days=1)).isoformat(),
        "services": ["Lunch 12:00-15:00", "Dinner 18:00-22:00"]})
    assert longer.json["end_date"] == (day + dt.timedelta(days=1)).isoformat()
    assert [(s["name"], s["opens"]) for s in longer.json["services"]] == [
        ("Lunch", "12:00"), ("Dinner", "18:00")]  # replaced, not added to
    closed = client.patch(url, headers=auth, data={"closed": "true"})
    assert closed.json["closed"] is True and closed.json["services"] == []
    assert client.get(f"{BASE}/availability?date={day}&party_size=2").json["services"] == []
    session.expire_all()
    row = session.get(SpecialDay, gala["id"])
    assert (row.start_date, row.end_date, row.closed, row.reason, row.services) == (
        day, day + dt.timedelta(days=1), True, "Gala night", [])
    schedule = restaurant_setup(session, session.get(Restaurant, restaurant.id)).schedule
    assert [(rule.closed, rule.reason) for rule in schedule.special_days] == [(True, "Gala night")]


def test_patch_special_day_refusals_change_nothing(client, session, restaurant, auth, day):
    closure = client.post(f"{BASE}/special-days", headers=auth, json={
        "start_date": day.isoformat(), "closed": True}).json
    url = f"{BASE}/special-days/{closure['id']}"
    body = assert_problem(client.patch(url, headers=auth, json={"closed": False}), 422,
                          "services")
    assert body["errors"]["services"] == ["Give the hours for these days, or tick Closed."]
    assert_problem(client.patch(url, headers=auth, json={
        "end_date": (day - dt.timedelta(days=1)).isoformat()}), 422, "end_date")
    assert_problem(client.patch(url, headers=auth, json={"start_date": "1999-12-31"}), 422,
                   "start_date")
    assert_problem(client.patch(url, headers=auth, json={"services": {}}), 422, "services")
    assert client.get(url, headers=auth).json == closure


def test_the_document_lists_the_new_operations(client):
    paths = client.get(f"{API}/openapi.json").json["paths"]
    for path, ids in [("/restaurants/{slug}/opening-hours/{hours_id}",
                       {"get": "one_opening_hours", "patch": "change_opening_hours",
                        "delete": "delete_opening_hours"}),
                      ("/restaurants/{slug}/special-days/{special_day_id}",
                       {"get": "special_day", "patch": "change_special_day",
                        "delete": "delete_special_day"}),
                      ("/restaurants/{slug}/tables/{table_id}",
                       {"get": "table", "patch": "change_table", "delete": "remove_table"}),
                      ("/restaurants/{slug}/tables/{table_id}/deactivate",
                       {"post": "deactivate_table"})]:
        assert {method: op["operationId"] for method, op in paths[path].items()} == ids
    for path in ("/restaurants/{slug}/opening-hours/{hours_id}",
                 "/restaurants/{slug}/special-days/{special_day_id}"):
        patch = paths[path]["patch"]
        assert patch["requestBody"]["required"] is False
        schema = patch["requestBody"]["content"]["application/json"]["schema"]
        assert not schema.get("required")  # partial: send only what changes
    for collection in ("tables", "opening-hours", "special-days", "reservations"):
        created = paths[f"/restaurants/{{slug}}/{collection}"]["post"]["responses"]["201"]
        assert created["headers"]["Location"]["schema"] == {"type": "string", "format": "uri"}
        links = created["links"]
        assert all(target in {op["operationId"] for item in paths.values()
                              for op in item.values()} for target in links)
