"""Idempotency-Key, hardened: form bodies fingerprinted, claims of dead requests released,
stored answers sealed (no manage token in clear) and purged after the replay window.
The SIGKILL of a real gunicorn worker is in tests/faults/test_idempotency_crash.py."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from tests.api.conftest import API, assert_problem, booking
from webapp.api import idempotency, sealed
from webapp.models import IdempotencyKey, Reservation

BOOK = f"{API}/restaurants/trattoria/reservations"
SCOPE = "client:127.0.0.1 POST /api/v1/restaurants/trattoria/reservations"


def _form(client, body, key="key-1"):
    return client.post(BOOK, data={k: str(v) for k, v in body.items()},
                       headers={"Idempotency-Key": key})


def _json(client, body, key="key-1"):
    return client.post(BOOK, json=body, headers={"Idempotency-Key": key})


def test_form_body_reused_with_another_body_is_422(client, session, restaurant, day):
    first = _form(client, booking(day))
    assert first.status_code == 201, first.get_data(as_text=True)
    response = _form(client, booking(day, "20:00"))
    assert assert_problem(response, 422)["code"] == "idempotency_key_reused"
    assert session.query(Reservation).count() == 1


def test_form_body_retried_unchanged_is_replayed(client, session, restaurant, day):
    first = _form(client, booking(day))
    again = _form(client, booking(day))
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert session.query(Reservation).count() == 1


def test_stored_answer_holds_no_manage_token_in_clear(client, session, restaurant, day):
    first = _json(client, booking(day))
    token = first.json["manage_token"]
    session.rollback()
    (stored,) = session.scalars(select(IdempotencyKey.response_body)).all()
    assert token not in stored and "manage_token" not in stored
    assert stored.startswith(sealed.PREFIX)
    again = _json(client, booking(day))  # the retry still gets its token back
    assert again.json["manage_token"] == token


def test_answer_sealed_under_another_secret_key_is_not_replayed(client, session, restaurant,
                                                                day, make_app):
    assert _json(client, booking(day)).status_code == 201
    other = make_app(SECRET_KEY="another-secret-key-for-this-test").test_client()
    response = other.post(BOOK, json=booking(day), headers={"Idempotency-Key": "key-1"})
    assert assert_problem(response, 409)["code"] == "idempotency_key_unreadable"
    assert session.query(Reservation).count() == 1


def _claim_row(session, day, client, age: dt.timedelta) -> str:
    body = client.application.json.dumps(booking(day))

    session.add(IdempotencyKey(
        scope=SCOPE, key="key-1", status_code=idempotency.IN_PROGRESS, response_body="",
        request_hash=hashlib.sha256(b"application/json\n" + body.encode()).hexdigest(),
        created_at=dt.datetime.now(dt.UTC) - age))
    session.commit()
    return body


def test_claim_of_a_request_that_died_is_taken_over_once(client, session, restaurant, day, app):
    timeout = app.config["IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS"]
    body = _claim_row(session, day, client, dt.timedelta(seconds=timeout + 1))
    first = client.post(BOOK, data=body, content_type="application/json",
                        headers={"Idempotency-Key": "key-1"})
    assert first.status_code == 201, first.get_data(as_text=True)
    assert "Idempotent-Replayed" not in first.headers
    again = client.post(BOOK, data=body, content_type="application/json",
                        headers={"Idempotency-Key": "key-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    assert session.query(Reservation).count() == 1


def test_claim_younger_than_the_timeout_is_still_respected(client, session, restaurant, day, app):
    timeout = app.config["IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS"]
    body = _claim_row(session, day, client, dt.timedelta(seconds=timeout - 5))
    response = client.post(BOOK, data=body, content_type="application/json",
                           headers={"Idempotency-Key": "key-1"})
    assert assert_problem(response, 409)["code"] == "idempotency_key_in_use"
    assert session.query(Reservation).count() == 0


def test_default_claim_timeout_is_lock_plus_worker_timeout(tmp_path):
    from webapp.settings import load_settings

    settings = load_settings({"BOOKING_ENV": "testing", "BOOKING_LOCK_TIMEOUT_MS": "3000",
                              "GUNICORN_TIMEOUT": "30"}, str(tmp_path))
    assert settings["IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS"] == 35


def test_keys_are_purged_after_the_replay_window(client, session, restaurant, day, monkeypatch):
    now = dt.datetime.now(dt.UTC)
    for key, age in (("old", idempotency.REPLAY_WINDOW + dt.timedelta(minutes=1)),
                     ("recent", idempotency.REPLAY_WINDOW - dt.timedelta(minutes=5))):
        session.add(IdempotencyKey(scope=SCOPE, key=key, request_hash="x" * 64, status_code=201,
                                   response_body="{}", created_at=now - age))
    session.commit()
    monkeypatch.setattr(idempotency, "_purge_after", 0.0)  # this process has not purged yet
    assert _json(client, booking(day), key="new").status_code == 201
    session.rollback()
    assert sorted(session.scalars(select(IdempotencyKey.key))) == ["new", "recent"]


@pytest.mark.parametrize("text", ["", "x", '{"manage_token": "abc"}' * 50, "Zoë 😀"],
                         ids=["empty", "short", "long", "unicode"])
def test_sealed_round_trip_and_tampering(text):
    key = sealed.derive_key("secret", "test")
    stored = sealed.seal(key, text, context="a")
    assert sealed.unseal(key, stored, context="a") == text
    assert stored != sealed.seal(key, text, context="a")  # a fresh nonce each time
    with pytest.raises(sealed.Unreadable):
        sealed.unseal(key, stored, context="b")
    with pytest.raises(sealed.Unreadable):
        sealed.unseal(sealed.derive_key("other", "test"), stored, context="a")
    raw = bytearray(stored.encode())
    at = len(sealed.PREFIX) + 30  # inside the tag
    raw[at] = ord("A") if raw[at] != ord("A") else ord("B")
    with pytest.raises(sealed.Unreadable):
        sealed.unseal(key, raw.decode(), context="a")
    assert sealed.unseal(key, "plain old answer") == "plain old answer"
