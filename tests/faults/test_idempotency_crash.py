"""A gunicorn worker SIGKILLed while its request holds an Idempotency-Key: the claim is
released after IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS and the retry books exactly once (it
used to stay at status_code=0 for ever: every retry got 409, no booking was ever made)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from bench.stack import booking_body, booking_path, http, wait_for

from .conftest import day_ahead
from .test_locks import advisory_waiters, holding_slot_lock, reservations

pytestmark = pytest.mark.postgres_only

CLAIM_TIMEOUT = 6  # seconds; the default is the lock timeout + gunicorn's timeout + 2 s
KEY = {"Idempotency-Key": "crash-retry-1"}


def post(server, restaurant, body) -> tuple[int, dict, bytes]:
    return http("POST", server.base_url + booking_path(restaurant.slug), body, headers=KEY,
                timeout=20)


def claims(cluster, restaurant) -> list[int]:
    with cluster.connect(autocommit=True) as conn:
        return [row[0] for row in conn.execute(
            "SELECT status_code FROM idempotency_keys WHERE key = %s AND scope LIKE %s",
            (KEY["Idempotency-Key"], f"%{booking_path(restaurant.slug)}"))]


def test_claim_of_a_killed_worker_is_released_and_the_retry_books_once(cluster, serve):
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1, IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT))
    day = day_ahead()
    body = booking_body(day, "19:00", 2, "retry@example.com")
    lost: list = []

    def first_try() -> None:
        try:
            lost.append(post(server, restaurant, body)[0])
        except OSError:
            lost.append(0)  # the connection died with the worker: no answer at all

    with holding_slot_lock(cluster, restaurant, day, "19:00"):
        claimed = time.monotonic()  # (a moment before the server's own claim time)
        request = threading.Thread(target=first_try)
        request.start()
        # The worker has claimed the key and waits inside the booking for our lock.
        wait_for(lambda: advisory_waiters(cluster) == 1, 10, "the worker to wait for the lock")
        (worker,) = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        request.join(10)
    assert lost == [0], lost
    assert claims(cluster, restaurant) == [0]  # the dead request's claim is left behind
    wait_for(lambda: server.worker_pids() and server.worker_pids() != [worker], 20,
             "gunicorn to replace the worker")

    # At once, the claim is still respected: its request might still be running.
    status, headers, answer = post(server, restaurant, body)
    assert time.monotonic() - claimed < CLAIM_TIMEOUT, "too slow to see the claim still held"
    assert status == 409 and json.loads(answer)["code"] == "idempotency_key_in_use", answer
    assert reservations(cluster, restaurant) == 0

    # Once it is older than the claim timeout, a retry takes it over and books.
    def retried() -> tuple[int, dict, bytes] | None:
        answer = post(server, restaurant, body)
        return answer if answer[0] != 409 else None

    status, headers, answer = wait_for(retried, CLAIM_TIMEOUT + 10, "the claim to be released",
                                       interval=0.5)
    assert status == 201, answer
    assert "Idempotent-Replayed" not in headers
    assert reservations(cluster, restaurant) == 1
    # ...exactly once: the next retry is the first answer replayed.
    again_status, again_headers, again = post(server, restaurant, body)
    assert again_status == 201 and again_headers.get("Idempotent-Replayed") == "true"
    assert json.loads(again) == json.loads(answer)
    assert reservations(cluster, restaurant) == 1
    assert claims(cluster, restaurant) == [201]
