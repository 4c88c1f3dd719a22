"""API token scopes (read, bookings, setup): every operation of the OpenAPI document that
takes a token lists the scope it needs, and the server refuses a token without it
(403 insufficient_scope, RFC 6750's challenge) and lets one with it through.

The walk reads the document, so an endpoint added without a scope fails here: its
operation would list none, or a token lacking it would get through."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select, text

from tests.api.conftest import API, assert_problem, booking
from tests.factories import join_tables
from webapp import clock
from webapp.auth.tokens import create_token, verify_token
from webapp.models import TOKEN_SCOPES, OpeningHours

# Reservation writes need "bookings", set-up writes "setup", reading "read".
EXPECTED = {
    ("get", "/restaurants/{slug}/availability"): "read",
    ("post", "/restaurants/{slug}/reservations"): "bookings",
    ("patch", "/restaurants/{slug}/settings"): "setup",
    ("post", "/restaurants/{slug}/tables"): "setup",
    ("patch", "/restaurants/{slug}/tables/{table_id}"): "setup",
    ("delete", "/restaurants/{slug}/tables/{table_id}"): "setup",
    ("post", "/restaurants/{slug}/tables/{table_id}/deactivate"): "setup",
    ("post", "/restaurants/{slug}/opening-hours"): "setup",
    ("patch", "/restaurants/{slug}/opening-hours/{hours_id}"): "setup",
    ("delete", "/restaurants/{slug}/opening-hours/{hours_id}"): "setup",
    ("post", "/restaurants/{slug}/special-days"): "setup",
    ("patch", "/restaurants/{slug}/special-days/{special_day_id}"): "setup",
    ("delete", "/restaurants/{slug}/special-days/{special_day_id}"): "setup",
    ("patch", "/restaurants/{slug}/reservations/{reservation_id}"): "bookings",
    ("delete", "/restaurants/{slug}/reservations/{reservation_id}"): "bookings",
    ("post", "/restaurants/{slug}/reservations/{reservation_id}/move"): "bookings",
    ("post", "/restaurants/{slug}/reservations/{reservation_id}/status"): "bookings",
    ("post", "/restaurants/{slug}/waitlist"): "bookings",
    ("delete", "/restaurants/{slug}/waitlist/{entry_id}"): "bookings",
    ("post", "/restaurants/{slug}/waitlist/{entry_id}/move"): "bookings",
    ("post", "/restaurants/{slug}/waitlist/{entry_id}/seat"): "bookings",
}


@pytest.fixture
def document(client):
    return client.get(f"{API}/openapi.json").json


def token_operations(document) -> list[tuple[str, str, str]]:
    """(method, path, scope) of every operation that takes an API token."""
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            requirements = [r for r in operation["security"] if "bearerAuth" in r]
            if requirements:
                assert len(requirements) == 1 and len(requirements[0]["bearerAuth"]) == 1, \
                    (method, path, operation["security"])
                found.append((method, path, requirements[0]["bearerAuth"][0]))
    return found


def headers_with(session, restaurant, *scopes: str) -> dict[str, str]:
    _, clear = create_token(session, restaurant.id, "scoped", scopes=scopes)
    session.commit()
    return {"Authorization": f"Bearer {clear}"}


@pytest.fixture
def ids(client, session, restaurant, auth, day) -> dict[str, object]:
    phone = client.post(f"{API}/restaurants/trattoria/reservations", headers=auth,
                        json=booking(day, "12:30", name="Phone Guest", email="",
                                     phone="030 1234567")).json
    special = client.post(f"{API}/restaurants/trattoria/special-days", headers=auth,
                          json={"start_date": day.isoformat(), "closed": True}).json
    hours = session.scalar(select(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id)
                           .limit(1))
    hook = client.post(f"{API}/restaurants/trattoria/webhooks", headers=auth,
                       json={"url": "https://pos.example.com/h",
                             "events": ["reservation.created"]}).json
    combination = join_tables(session, restaurant, ["T4", "T6"], 7, 10)
    waiting = client.post(f"{API}/restaurants/trattoria/waitlist", headers=auth, json={
        "date": day.isoformat(), "party_size": 2, "window_from": "19:00", "window_to": "21:00",
        "name": "Wait Ing", "email": "wait@example.com"}).json
    return {"slug": "trattoria", "reservation_id": phone["id"],
            "table_id": restaurant.tables[0].id, "hours_id": hours.id,
            "special_day_id": special["id"], "date": day.isoformat(),
            "endpoint_id": hook["id"], "combination_id": combination.id,
            "entry_id": waiting["id"]}


def _call(client, method: str, path: str, ids: dict, headers: dict):
    url = API + re.sub(r"\{(\w+)\}", lambda m: str(ids[m[1]]), path)
    query = {}
    if path.endswith(("/availability", "/timeslots", "/waitlist")) and method == "get":
        query = {"date": ids["date"], **({"party_size": 2} if "availability" in path else {})}
    kwargs = {"json": {}} if method in ("post", "patch") else {}
    return client.open(url, method=method.upper(), headers=headers, query_string=query, **kwargs)


def test_the_document_lists_the_scopes(document):
    operations = token_operations(document)
    assert len(operations) >= 25
    scopes = {(method, path): scope for method, path, scope in operations}
    for (method, path), scope in scopes.items():
        if method == "get":
            assert scope == "read", (method, path)
    for key, scope in EXPECTED.items():
        assert scopes[key] == scope, key
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    for name in TOKEN_SCOPES:
        assert f"`{name}`" in scheme["description"]
    settings = document["paths"]["/restaurants/{slug}/settings"]
    assert settings["get"]["security"] == [{"bearerAuth": ["read"]}]
    assert "403" in settings["patch"]["responses"]
    book = document["paths"]["/restaurants/{slug}/reservations"]["post"]
    assert book["security"] == [{}, {"bearerAuth": ["bookings"]}]


def test_every_token_operation_refuses_a_token_without_its_scope(client, session, restaurant,
                                                                 document, ids):
    for method, path, scope in token_operations(document):
        others = [name for name in TOKEN_SCOPES if name != scope]
        response = _call(client, method, path, ids, headers_with(session, restaurant, *others))
        body = assert_problem(response, 403)
        assert body["code"] == "insufficient_scope" and body["scope"] == scope, (method, path)
        challenge = response.headers["WWW-Authenticate"]
        assert challenge.startswith("Bearer ") and 'error="insufficient_scope"' in challenge
        assert f'scope="{scope}"' in challenge, (method, path, challenge)


def test_every_token_operation_lets_its_scope_through(client, session, restaurant, document,
                                                      ids):
    # Reads first: the writes below remove the objects some reads look at.
    for method, path, scope in sorted(token_operations(document),
                                      key=lambda op: (op[0] != "get", op[0] == "delete")):
        response = _call(client, method, path, ids, headers_with(session, restaurant, scope))
        assert response.status_code not in (401, 403), (method, path, response.get_json())
        if method == "get":
            assert response.status_code == 200, (method, path, response.get_json())


def test_a_refused_write_changes_nothing(client, session, restaurant, ids):
    read_only = headers_with(session, restaurant, "read")
    response = client.post(f"{API}/restaurants/trattoria/tables", headers=read_only,
                           json={"name": "New", "seats": 4})
    assert_problem(response, 403)
    assert client.get(f"{API}/restaurants/trattoria/tables",
                      headers=read_only).json["tables"][-1]["name"] != "New"
    response = client.post(f"{API}/restaurants/trattoria/reservations/{ids['reservation_id']}"
                           "/status", headers=read_only, json={"status": "seated"})
    assert_problem(response, 403)
    assert client.get(f"{API}/restaurants/trattoria/reservations/{ids['reservation_id']}",
                      headers=read_only).json["status"] == "booked"


def test_a_bookings_token_books_but_cannot_change_the_setup(client, session, restaurant, day):
    bookings = headers_with(session, restaurant, "bookings")
    made = client.post(f"{API}/restaurants/trattoria/reservations", headers=bookings,
                       json=booking(day, "19:00"))
    assert made.status_code == 201, made.json
    assert_problem(client.patch(f"{API}/restaurants/trattoria/settings", headers=bookings,
                                json={"name": "Renamed"}), 403)
    # Without "read" it may not look (the owner's view of availability neither).
    assert_problem(client.get(f"{API}/restaurants/trattoria/reservations", headers=bookings),
                   403)
    assert_problem(client.get(f"{API}/restaurants/trattoria/availability", headers=bookings,
                              query_string={"date": day.isoformat(), "party_size": 2}), 403)
    # The public endpoints need no scope: anonymous, the guest's view.
    assert client.get(f"{API}/restaurants/trattoria/availability",
                      query_string={"date": day.isoformat(), "party_size": 2}).status_code == 200


def test_idempotent_retry_after_a_scope_refusal_is_not_replayed(client, session, restaurant,
                                                                day):
    read_only = headers_with(session, restaurant, "read")
    key = {"Idempotency-Key": "scope-check-1"}
    first = client.post(f"{API}/restaurants/trattoria/reservations",
                        headers={**read_only, **key}, json=booking(day, "19:00"))
    assert_problem(first, 403)
    again = client.post(f"{API}/restaurants/trattoria/reservations",
                        headers={**read_only, **key}, json=booking(day, "19:00"))
    assert_problem(again, 403)
    assert "Idempotent-Replayed" not in again.headers


def test_tokens_made_before_scopes_hold_all_three(session, restaurant, client):
    # A row written without the column, as every token made before migration 0006 was:
    # the column's server default gives it all three scopes.
    clear = "bm_" + "older-token-" * 3
    session.execute(text(
        "INSERT INTO api_tokens (restaurant_id, name, token_hash, prefix, created_at) "
        "VALUES (:restaurant, 'older', :digest, :prefix, :created)"),
        {"restaurant": restaurant.id, "digest": hashlib.sha256(clear.encode()).hexdigest(),
         "prefix": clear[:10], "created": clock.now().replace(tzinfo=None)})
    session.commit()
    token = verify_token(session, clear)
    assert token is not None and token.scope_set == frozenset(TOKEN_SCOPES)
    older = {"Authorization": f"Bearer {clear}"}
    assert client.patch(f"{API}/restaurants/trattoria/settings", headers=older,
                        json={"name": "Trattoria Nuova"}).status_code == 200
    assert client.get(f"{API}/restaurants/trattoria/reservations", headers=older).status_code == 200


def test_create_token_command(app, session, restaurant, client):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["create-token", "--restaurant", "trattoria", "--name", "POS",
                               "--scopes", "read bookings"])
    assert made.exit_code == 0, made.output
    clear = made.stdout.strip()
    assert clear.startswith("bm_") and "\n" not in clear  # stdout: the token alone
    token = verify_token(session, clear)
    assert token is not None and token.scopes == "read bookings" and token.name == "POS"
    headers = {"Authorization": f"Bearer {clear}"}
    assert client.get(f"{API}/restaurants/trattoria/tables", headers=headers).status_code == 200
    assert_problem(client.patch(f"{API}/restaurants/trattoria/settings", headers=headers,
                                json={"name": "x"}), 403)
    for args, message in ((["--restaurant", "nowhere", "--name", "x"], "no restaurant"),
                          (["--restaurant", "trattoria", "--name", "x", "--scopes", "admin"],
                           "Unknown scope admin"),
                          (["--restaurant", "trattoria", "--name", "x", "--scopes", " "],
                           "at least one")):
        refused = runner.invoke(args=["create-token", *args])
        assert refused.exit_code == 1 and message in refused.output, refused.output
