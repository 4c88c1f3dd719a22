"""Malformed and hostile input on the public booking form and the booking API:
a clean 4xx, nothing stored, and what is shown back is escaped. Runs on both backends
(Flask test client), unlike the rest of this folder."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from tests.factories import future_day, make_restaurant
from webapp.models import Reservation

SCRIPT = '<script>alert("x")</script>'
SQL = "Robert'); DROP TABLE reservations;--"

# Hostile text, as a form or a JSON body would carry it.
HOSTILE = {
    "date": ["", "garbage", "2026-02-30", "9999-12-31", "2000-01-01", "0001-01-01",
             "2026-12-01'; DROP TABLE reservations;--", "٢٠٢٦-١٢-٠١",
             "2026-12-01T19:00:00+01:00" * 50],
    "time": ["", "25:00", "19:07", "7pm", "19:00:00:00", SCRIPT, "19:00' OR '1'='1"],
    "party_size": ["0", "-1", str(10**12), "two", "2; DROP TABLE reservations", "2.5", "9" * 1000],
    "name": ["", "x" * 10_000, "   "],
    "email": ["not-an-email", "a@", "x" * 1000 + "@example.com", f"{SCRIPT}@example.com",
              "ada\x00@example.com", "ada@example.com\r\nBcc: all@example.com"],
    "phone": ["", "abc", "1" * 1000, SCRIPT, "+49\x00301234"],
    "notes": ["n" * 100_000],
}
CASES = [(field, value) for field, values in HOSTILE.items() for value in values]
# What only JSON can send: the wrong type, or nothing at all.
WRONG_TYPES = [("date", 20261201), ("date", None), ("time", 1900), ("time", None),
               ("party_size", 0), ("party_size", 10**12), ("party_size", 2.5), ("party_size", None),
               ("party_size", []), ("name", None), ("name", {"a": 1}), ("email", None),
               ("email", ["ada@example.com", "bob@example.com"])]


def valid(day) -> dict:
    return {"date": day.isoformat(), "time": "19:00", "party_size": 2, "name": "Ada Lovelace",
            "email": "ada@example.com", "phone": "+49 30 1234567", "notes": ""}


def stored(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Reservation))


def as_form(body: dict) -> dict:
    return {key: str(value) for key, value in body.items()}


@pytest.fixture
def restaurant(session):
    return make_restaurant(session, slug="hostile")


API_CASES = CASES + WRONG_TYPES


@pytest.mark.parametrize(("field", "value"), API_CASES,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(API_CASES)])
def test_api_refuses_hostile_input(client, session, restaurant, field, value):
    body = {**valid(future_day()), field: value}
    response = client.post("/api/v1/restaurants/hostile/reservations", json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/problem+json"
    assert stored(session) == 0


@pytest.mark.parametrize(("field", "value"), CASES, ids=[f"{f}-{i}" for i, (f, _) in enumerate(CASES)])
def test_booking_form_refuses_hostile_input(client, session, restaurant, field, value):
    body = as_form({**valid(future_day()), field: value})
    response = client.post_form("/r/hostile/book", body)
    assert 400 <= response.status_code < 500, response.status_code
    page = response.get_data(as_text=True)
    assert SCRIPT not in page  # shown back escaped, if at all
    assert stored(session) == 0


@pytest.mark.parametrize("body", [b"{", b"null", b"[]", b'"text"', b"\xff\xfe", b"{}" * 100_000],
                         ids=["truncated", "null", "list", "string", "not-utf8", "huge"])
def test_api_refuses_malformed_json(client, session, restaurant, body):
    response = client.post("/api/v1/restaurants/hostile/reservations", data=body,
                           content_type="application/json")
    assert 400 <= response.status_code < 500, response.status_code
    assert stored(session) == 0


@pytest.mark.parametrize("query", [
    "date=garbage&party_size=2", "date=9999-12-31&party_size=2", "date=2000-01-01&party_size=2",
    f"date=2026-12-01&party_size={SCRIPT}", "party_size=-1", "date=" + "9" * 5000,
    "date=2026-12-01'--&party_size=2",
])
def test_availability_queries_never_fail_and_escape(client, session, restaurant, query):
    for path in ("/r/hostile", "/api/v1/restaurants/hostile/availability"):
        response = client.get(f"{path}?{query}")
        assert response.status_code < 500, (path, query, response.status_code)
        assert SCRIPT not in response.get_data(as_text=True)
    fragment = client.get(f"/r/hostile?{query}", headers={"HX-Request": "true"})
    assert fragment.status_code < 500 and SCRIPT not in fragment.get_data(as_text=True)


@pytest.mark.parametrize("token", ["x", "' OR '1'='1", SCRIPT, "a" * 5000, "%00", "../../etc/passwd"])
def test_manage_links_with_bogus_tokens_are_404(client, session, restaurant, token):
    from urllib.parse import quote

    assert client.get(f"/r/hostile/b/{quote(token, safe='')}").status_code == 404
    assert client.get(f"/api/v1/reservations/{quote(token, safe='')}").status_code == 404


def test_nasty_but_valid_details_are_stored_verbatim_and_shown_escaped(client, session, restaurant):
    body = {**valid(future_day()), "name": f"{SCRIPT} {SQL} Zoë 😀 محمد",
            "notes": '<img src=x onerror="alert(1)"> & "quotes"'}
    response = client.post("/api/v1/restaurants/hostile/reservations", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert stored(session) == 1
    reservation = session.scalar(select(Reservation))
    assert reservation.guest_name == body["name"]  # nothing mangled on the way in

    token = json.loads(response.get_data())["manage_token"] if "manage_token" in response.get_json() \
        else re.search(r"/reservations/([^/]+)$", response.headers["Location"]).group(1)
    page = client.get(f"/r/hostile/b/{token}").get_data(as_text=True)
    assert SCRIPT not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "Zoë 😀 محمد" in page
