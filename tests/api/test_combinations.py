"""/api/v1/restaurants/<slug>/table-combinations: CRUD in JSON, the representation, the
defaults, refusals as problem+json, scopes, and other owners' restaurants and
combinations as 404 (both backends)."""

from __future__ import annotations

from tests.api.conftest import API, assert_problem
from tests.factories import join_tables, make_restaurant
from webapp.auth.tokens import create_token
from webapp.booking.operations import combinations as ops

BASE = f"{API}/restaurants/trattoria/table-combinations"


def ids(restaurant) -> dict[str, int]:
    return {t.name: t.id for t in restaurant.tables}


def test_create_read_list_change_remove(client, restaurant, auth):
    t = ids(restaurant)
    created = client.post(BASE, headers=auth, json={"tables": [t["T6"], t["T4"]]})
    assert created.status_code == 201, created.json
    body = created.json
    # Defaults: the names in the owner's table order, from one more than the largest
    # single table (6) to every seat (10).
    assert body == {"id": body["id"], "name": "T4 + T6",
                    "tables": [{"id": t["T4"], "name": "T4"}, {"id": t["T6"], "name": "T6"}],
                    "min_party": 7, "max_party": 10, "position": 0}
    url = f"{BASE}/{body['id']}"
    assert created.headers["Location"].endswith(url)
    assert client.get(url, headers=auth).json == body
    assert client.get(BASE, headers=auth).json == {"table_combinations": [body]}

    changed = client.patch(url, headers=auth, json={"max_party": 9, "name": "Window"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["name"], changed.json["min_party"], changed.json["max_party"],
            [x["name"] for x in changed.json["tables"]]) == ("Window", 7, 9, ["T4", "T6"])
    # A third table; null gives the name and the largest party their defaults again.
    changed = client.patch(url, headers=auth, json={"tables": [t["T2"], t["T4"], t["T6"]],
                                                    "name": None, "max_party": None})
    assert (changed.json["name"], changed.json["min_party"], changed.json["max_party"]) == (
        "T2 + T4 + T6", 7, 12)

    removed = client.delete(url, headers=auth)
    assert removed.status_code == 204 and removed.data == b""
    assert_problem(client.get(url, headers=auth), 404)
    assert client.get(BASE, headers=auth).json == {"table_combinations": []}


def test_form_encoded_body(client, restaurant, auth):
    t = ids(restaurant)
    created = client.post(BASE, headers=auth, data={"tables": [str(t["T2"]), str(t["T4"])],
                                                    "name": "Pair", "min_party": "3"})
    assert created.status_code == 201, created.json
    assert (created.json["name"], created.json["min_party"], created.json["max_party"]) == (
        "Pair", 3, 6)


def test_refusals_are_problems_naming_the_field(client, restaurant, auth):
    t = ids(restaurant)
    body = assert_problem(client.post(BASE, headers=auth, json={"tables": [t["T2"]]}),
                          422, "tables")
    assert body["errors"]["tables"] == [ops.TABLE_COUNT]
    assert_problem(client.post(BASE, headers=auth, json={}), 422, "tables")
    assert_problem(client.post(BASE, headers=auth, json={"tables": "T2"}), 422, "tables")
    assert_problem(client.post(BASE, headers=auth, json={"tables": [t["T2"], t["T4"]],
                                                         "colour": "red"}), 422, "colour")
    join_tables_body = client.post(BASE, headers=auth, json={"tables": [t["T2"], t["T4"]]})
    assert join_tables_body.status_code == 201
    body = assert_problem(client.post(BASE, headers=auth, json={"tables": [t["T4"], t["T2"]]}),
                          422, "tables")
    assert body["errors"]["tables"] == [ops.SAME_TABLES]


def test_another_owners_restaurant_and_combination_are_404(client, session, restaurant, auth,
                                                           other_restaurant, other_auth):
    theirs = join_tables(session, make_restaurant(session, slug="third",
                                                  tables=[("A", 2), ("B", 2)]), ["A", "B"], 3, 4)
    # Their token at our address, and our token on their restaurant's combination id.
    assert_problem(client.get(BASE, headers=other_auth), 404)
    assert_problem(client.post(BASE, headers=other_auth,
                               json={"tables": [t.id for t in restaurant.tables[:2]]}), 404)
    for method in ("GET", "PATCH", "DELETE"):
        response = client.open(f"{BASE}/{theirs.id}", method=method, headers=auth,
                               json={} if method == "PATCH" else None)
        assert_problem(response, 404)
    # Our restaurant's tables cannot join another restaurant's table.
    body = assert_problem(client.post(BASE, headers=auth, json={
        "tables": [restaurant.tables[0].id, other_restaurant.tables[0].id]}), 422, "tables")
    assert body["errors"]["tables"] == [ops.TABLE_UNKNOWN]


def test_reading_needs_read_and_writing_setup(client, session, restaurant):
    t = ids(restaurant)
    _, reader = create_token(session, restaurant.id, "reader", scopes=("read",))
    _, setup = create_token(session, restaurant.id, "setup", scopes=("setup",))
    session.commit()
    read_only, set_up = ({"Authorization": f"Bearer {x}"} for x in (reader, setup))
    body = assert_problem(client.post(BASE, headers=read_only,
                                      json={"tables": [t["T2"], t["T4"]]}), 403)
    assert body["code"] == "insufficient_scope"
    made = client.post(BASE, headers=set_up, json={"tables": [t["T2"], t["T4"]]})
    assert made.status_code == 201
    assert client.get(BASE, headers=read_only).status_code == 200
    assert_problem(client.delete(f"{BASE}/{made.json['id']}", headers=read_only), 403)


def test_an_id_beyond_the_databases_integer_is_no_table(client, restaurant, auth):
    # Schemathesis found it: 125526057480 reached the query and PostgreSQL refused (500).
    for body in ({"tables": [restaurant.tables[0].id, 125526057480]},
                 {"tables": [restaurant.tables[0].id, -1]}):
        answer = assert_problem(client.post(BASE, headers=auth, json=body), 422, "tables")
        assert answer["errors"]["tables"] == [ops.TABLE_UNKNOWN]
    schema = client.get(f"{API}/openapi.json").json["paths"][
        "/restaurants/{slug}/table-combinations"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]["tables"]["items"]
    assert (schema["minimum"], schema["maximum"]) == (0, 2**31 - 1)
