"""A worker killed in the middle of a booking, and a lock held longer than the timeout."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import threading
import time

import pytest

from bench.stack import http, wait_for
from webapp.booking.locks import slot_lock_keys

from .conftest import book, day_ahead, utc_start

pytestmark = pytest.mark.postgres_only


@contextlib.contextmanager
def holding_slot_lock(cluster, restaurant, day: dt.date, wall_time: str):
    """Hold the first (table, bucket) advisory lock of that stay, as a competing booking
    transaction would, until the block ends."""
    starts = utc_start(restaurant, day, wall_time)
    table, bucket = slot_lock_keys(restaurant.table_ids[0], starts, starts + dt.timedelta(hours=2))[0]
    conn = cluster.connect()
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (table, bucket))
        yield
    finally:
        conn.rollback()
        conn.close()


def advisory_waiters(cluster) -> int:
    return cluster.scalar("SELECT count(*) FROM pg_stat_activity "
                          "WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'")


def advisory_locks_held(cluster) -> int:
    return cluster.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")


def reservations(cluster, restaurant) -> int:
    return cluster.scalar("SELECT count(*) FROM reservations WHERE restaurant_id = %s",
                          (restaurant.restaurant_id,))


def test_worker_killed_mid_booking_leaves_nothing_behind(cluster, serve):
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1)
    day = day_ahead()
    answers: list = []

    with holding_slot_lock(cluster, restaurant, day, "19:00"):
        request = threading.Thread(target=lambda: answers.append(
            _attempt(server, restaurant, day, "19:00", "killed@example.com")))
        request.start()
        # The worker is now inside the booking transaction, waiting for our lock.
        wait_for(lambda: advisory_waiters(cluster) == 1, 10, "the worker to wait for the lock")
        (worker,) = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        request.join(10)
        assert answers and answers[0] == 0, f"the client should lose its connection, got {answers}"

    # Its transaction dies with its connection: nothing written, no lock left over.
    wait_for(lambda: advisory_locks_held(cluster) == 0 and advisory_waiters(cluster) == 0, 10,
             "the dead worker's locks to be released")
    assert reservations(cluster, restaurant) == 0
    wait_for(lambda: server.worker_pids() and server.worker_pids() != [worker], 20,
             "gunicorn to replace the worker")

    started = time.monotonic()
    status, _, body = book(server, restaurant, day, "19:00", "next@example.com")
    assert status == 201, body
    assert time.monotonic() - started < 2
    assert reservations(cluster, restaurant) == 1
    assert advisory_locks_held(cluster) == 0


def _attempt(server, restaurant, day, wall_time, email) -> int:
    try:
        return book(server, restaurant, day, wall_time, email)[0]
    except OSError:  # connection reset / remote end closed: no HTTP answer at all
        return 0


def test_lock_held_too_long_answers_503_with_retry_after(cluster, serve):
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1, BOOKING_LOCK_TIMEOUT_MS="300")
    day = day_ahead()

    with holding_slot_lock(cluster, restaurant, day, "20:00"):
        started = time.monotonic()
        status, headers, body = book(server, restaurant, day, "20:00", "waiter@example.com")
        waited = time.monotonic() - started
    assert status == 503, body
    assert int(headers["Retry-After"]) > 0
    assert 0.3 <= waited < 2, f"answered after {waited:.2f}s"
    assert reservations(cluster, restaurant) == 0
    _, _, metrics = http("GET", server.base_url + "/metrics")
    assert "booking_lock_timeouts_total 1.0" in metrics.decode()

    status, _, body = book(server, restaurant, day, "20:00", "waiter@example.com")
    assert status == 201, body
