"""Holds through the API (issue 19): POST …/holds keeps a table for a party at a time;
a booking naming the hold gets its tables and ends it; DELETE lets it go; refusals are
problems (409 holds_off, 409 slot_taken with alternatives, 422); anonymous callers are
rate-limited (429)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.api.conftest import API, assert_problem, booking
from tests.factories import make_restaurant
from webapp.models import Hold, Reservation

SOLO = f"{API}/restaurants/solo"


def pick(day: dt.date, time: str = "19:00", party_size: int = 2) -> dict:
    return {"date": day.isoformat(), "time": time, "party_size": party_size}


def count(session, model) -> int:
    session.commit()
    return session.scalar(select(func.count()).select_from(model))


def test_a_hold_is_created_booked_and_ends(client, session, day, clock):
    make_restaurant(session, slug="solo", tables=[("T1", 2)])
    response = client.post(f"{SOLO}/holds", json=pick(day))
    assert response.status_code == 201, response.json
    held = response.json
    assert set(held) == {"id", "expires_at", "starts_at", "local_start", "party_size"}
    assert held["party_size"] == 2 and held["local_start"].startswith(f"{day}T19:00")
    expires = dt.datetime.fromisoformat(held["expires_at"].replace("Z", "+00:00"))
    assert expires == clock.now() + dt.timedelta(minutes=7)
    assert response.headers["Location"].endswith(f"/restaurants/solo/holds/{held['id']}")
    # Nobody else books the held table ...
    taken = assert_problem(client.post(f"{SOLO}/reservations",
                                       json=booking(day, email="bob@example.com")), 409)
    assert taken["code"] == "slot_taken" and taken["alternatives"]
    # ... but the booking naming the hold does, and the hold ends.
    made = client.post(f"{SOLO}/reservations", json=booking(day, hold=held["id"]))
    assert made.status_code == 201, made.json
    assert count(session, Hold) == 0 and count(session, Reservation) == 1


def test_a_hold_is_deleted(client, session, day):
    make_restaurant(session, slug="solo", tables=[("T1", 2)])
    held = client.post(f"{SOLO}/holds", json=pick(day)).json
    assert client.delete(f"{SOLO}/holds/{held['id']}").status_code == 204
    assert count(session, Hold) == 0
    assert_problem(client.delete(f"{SOLO}/holds/{held['id']}"), 404)
    # The table is free again for anyone.
    assert client.post(f"{SOLO}/reservations", json=booking(day)).status_code == 201


def test_an_owner_token_sees_the_tables_and_holds_as_its_own_holder(client, session, auth,
                                                                    restaurant, day):
    first = client.post(f"{API}/restaurants/trattoria/holds", headers=auth,
                        json=pick(day, party_size=5))
    assert first.status_code == 201, first.json
    assert first.json["tables"] == [{"id": first.json["tables"][0]["id"], "name": "T6"}]
    # One hold per holder: the token's next hold releases the first.
    client.post(f"{API}/restaurants/trattoria/holds", headers=auth, json=pick(day, "20:00"))
    assert count(session, Hold) == 1


def test_refusals_are_problems(client, session, day):
    make_restaurant(session, slug="solo", tables=[("T1", 2)])
    make_restaurant(session, slug="noholds", tables=[("T1", 2)], hold_minutes=0)
    off = assert_problem(client.post(f"{API}/restaurants/noholds/holds", json=pick(day)), 409)
    assert off["code"] == "holds_off"
    client.post(f"{SOLO}/holds", json=pick(day))
    # The same client address asks again for the same time: its own hold is no obstacle
    # (one hold per holder), so another holder is needed to see the refusal: a token-less
    # caller from another address.
    taken = client.post(f"{SOLO}/holds", json=pick(day),
                        environ_base={"REMOTE_ADDR": "192.0.2.7"})
    problem = assert_problem(taken, 409)
    assert problem["code"] == "slot_taken" and problem["alternatives"]
    assert_problem(client.post(f"{SOLO}/holds", json={"date": day.isoformat()}), 422, "time")
    assert_problem(client.post(f"{SOLO}/holds", json={**pick(day), "name": "x"}), 422)
    too_long = booking(day, hold="x" * 201)
    assert_problem(client.post(f"{SOLO}/reservations", json=too_long), 422, "hold")


def test_anonymous_holds_are_rate_limited(make_app, session, day):
    make_restaurant(session, slug="solo", tables=[("T1", 2)])
    limited = make_app(RATELIMIT_ENABLED=True, PUBLIC_HOLD_RATE_LIMIT="2 per 10 minutes")
    try:
        client = limited.test_client()
        statuses = [client.post(f"{SOLO}/holds", json=pick(day, t)).status_code
                    for t in ("18:00", "18:15", "18:30")]
        assert statuses[:2] == [201, 201]
        assert_problem(client.post(f"{SOLO}/holds", json=pick(day, "18:45")), 429)
    finally:
        make_app()


def test_hold_minutes_is_a_setting(client, session, auth, restaurant, day, clock):
    response = client.patch(f"{API}/restaurants/trattoria/settings", headers=auth,
                            json={"hold_minutes": 3})
    assert response.status_code == 200 and response.json["hold_minutes"] == 3
    for bad in (-1, 61):
        assert_problem(client.patch(f"{API}/restaurants/trattoria/settings", headers=auth,
                                    json={"hold_minutes": bad}), 422, "hold_minutes")
    held = client.post(f"{API}/restaurants/trattoria/holds", json=pick(day)).json
    expires = dt.datetime.fromisoformat(held["expires_at"].replace("Z", "+00:00"))
    assert expires == clock.now() + dt.timedelta(minutes=3)
    client.patch(f"{API}/restaurants/trattoria/settings", headers=auth, json={"hold_minutes": 0})
    assert_problem(client.post(f"{API}/restaurants/trattoria/holds", json=pick(day)), 409)
