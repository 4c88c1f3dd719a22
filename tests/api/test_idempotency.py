"""Idempotency-Key: a retried POST gets the first answer instead of a second booking."""

from __future__ import annotations

import threading

import pytest

from tests.api.conftest import API, assert_problem, booking
from webapp.models import IdempotencyKey, Reservation

BOOK = f"{API}/restaurants/trattoria/reservations"


def _post(client, body, key="key-1", **kwargs):
    return client.post(BOOK, json=body, headers={"Idempotency-Key": key, **kwargs})


def test_retry_with_the_same_key_replays_the_first_answer(client, session, restaurant, day):
    first = _post(client, booking(day))
    second = _post(client, booking(day))
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Location"] == first.headers["Location"]
    assert session.query(Reservation).count() == 1


def test_same_key_with_another_body_is_422(client, session, restaurant, day):
    assert _post(client, booking(day)).status_code == 201
    response = _post(client, booking(day, "20:00"))
    assert assert_problem(response, 422)["code"] == "idempotency_key_reused"
    assert session.query(Reservation).count() == 1


def test_keys_are_scoped_to_the_caller_and_path(client, session, restaurant, auth, day):
    assert _post(client, booking(day)).status_code == 201
    owner_body = {"date": day.isoformat(), "time": "12:00", "party_size": 2, "name": "Owner"}
    response = client.post(BOOK, json=owner_body, headers={"Idempotency-Key": "key-1", **auth})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert session.query(Reservation).count() == 2


def test_a_refused_request_releases_its_key(client, session, restaurant, day):
    assert_problem(_post(client, booking(day, email="broken")), 422)
    session.rollback()  # read after the request's own transaction
    assert session.query(IdempotencyKey).count() == 0
    assert _post(client, booking(day)).status_code == 201  # fixed, same key


def test_a_conflict_is_an_outcome_and_is_replayed(client, session, restaurant, day):
    assert client.post(BOOK, json=booking(day)).status_code == 201
    first = _post(client, booking(day, "19:30"))
    assert first.status_code == 409
    again = _post(client, booking(day, "19:30"))
    assert again.status_code == 409 and again.json == first.json
    assert again.mimetype == "application/problem+json"


def test_a_key_still_in_progress_is_409_with_retry_after(client, session, restaurant, day):
    session.add(IdempotencyKey(scope="client:127.0.0.1 POST /api/v1/restaurants/trattoria/"
                                     "reservations", key="key-1", request_hash="x" * 64,
                               status_code=0, response_body=""))
    session.commit()
    import hashlib

    from webapp.api.idempotency import _fingerprint  # noqa: F401  (documents what is hashed)
    row = session.query(IdempotencyKey).one()
    body = client.application.json.dumps(booking(day))
    row.request_hash = hashlib.sha256(b"application/json\n" + body.encode()).hexdigest()
    session.commit()
    response = client.post(BOOK, data=body, content_type="application/json",
                           headers={"Idempotency-Key": "key-1"})
    assert assert_problem(response, 409)["code"] == "idempotency_key_in_use"
    assert response.headers["Retry-After"] == "1"
    assert session.query(Reservation).count() == 0


def test_bad_keys_are_400(client, restaurant, day):
    assert_problem(_post(client, booking(day), key=""), 400)
    assert_problem(_post(client, booking(day), key="x" * 201), 400)


@pytest.mark.postgres_only
def test_concurrent_retries_book_once(app, session, restaurant, day):
    """Several copies of one request at the same moment: the unique key decides; one
    booking, and every other copy is either the replayed 201 or 'still in progress'."""
    copies = 6
    barrier = threading.Barrier(copies)
    results: list = []

    def send():
        client = app.test_client()
        barrier.wait()
        response = _post(client, booking(day))
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == copies
    created = {body["id"] for status, body in results if status == 201}
    assert len(created) == 1, results
    for status, body in results:
        assert status == 201 or (status == 409 and body["code"] == "idempotency_key_in_use"), body
    session.expire_all()
    assert session.query(Reservation).count() == 1
