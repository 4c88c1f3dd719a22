"""Behind PgBouncer in transaction mode, as production runs: two gunicorn instances
against one PostgreSQL through one pooler. The race, the lock timeout and a worker
killed mid-booking behave exactly as on a direct connection, because a booking relies
on nothing but its own transaction (SET LOCAL, transaction-level advisory locks)."""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.stack import http, wait_for

from .conftest import book, day_ahead
from .test_locks import _attempt, advisory_locks_held, advisory_waiters, holding_slot_lock, reservations

pytestmark = pytest.mark.postgres_only

# PgBouncer before 1.21 cannot carry server-side prepared statements across the server
# connections it lends per transaction; the README says to turn them off behind one.
BEHIND_BOUNCER = {"DB_PREPARED_STATEMENTS": "0"}


def _xacts_through(bouncer, database: str) -> int:
    """Transactions PgBouncer has passed to ``database`` so far (its SHOW STATS)."""
    rows = bouncer.show("STATS")
    return sum(int(row[1]) for row in rows if row[0] == database)


def test_two_instances_behind_pgbouncer_book_a_table_slot_exactly_once(cluster, serve, bouncer):
    restaurant = cluster.restaurant(tables=1)
    servers = [serve(workers=2, database_url=bouncer.url, **BEHIND_BOUNCER) for _ in range(2)]
    database = bouncer.url.rsplit("/", 1)[1]
    before = _xacts_through(bouncer, database)
    day = day_ahead(9)

    def attempt(number: int) -> int:
        server = servers[number % 2]
        return book(server, restaurant, day, "19:00", f"racer{number}@example.com")[0]

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 39, statuses
    assert reservations(cluster, restaurant) == 1

    # More than psycopg's prepare threshold (5) of the same statements per worker, each
    # transaction possibly on another server connection: none may fail.
    later = [book(servers[n % 2], restaurant, day_ahead(20 + n), "19:00",
                  f"guest{n}@example.com")[0] for n in range(24)]
    assert later == [201] * 24, later
    assert _xacts_through(bouncer, database) > before + 40, "the bookings did not pass PgBouncer"
    assert advisory_locks_held(cluster) == 0


def test_lock_timeout_through_pgbouncer_answers_503(cluster, serve, bouncer):
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1, database_url=bouncer.url, BOOKING_LOCK_TIMEOUT_MS="300",
                   **BEHIND_BOUNCER)
    day = day_ahead(10)
    with holding_slot_lock(cluster, restaurant, day, "20:00"):
        status, headers, body = book(server, restaurant, day, "20:00", "waiter@example.com")
    assert status == 503, body
    assert int(headers["Retry-After"]) > 0
    assert reservations(cluster, restaurant) == 0
    # SET LOCAL ended with that transaction: the pooled server connection the next
    # request gets has the server's default lock timeout, and the booking goes through.
    status, _, body = book(server, restaurant, day, "20:00", "waiter@example.com")
    assert status == 201, body


def test_worker_killed_mid_booking_behind_pgbouncer_leaves_nothing(cluster, serve, bouncer):
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1, database_url=bouncer.url, **BEHIND_BOUNCER)
    day = day_ahead(11)
    answers: list[int] = []
    with holding_slot_lock(cluster, restaurant, day, "19:00"):
        request = threading.Thread(target=lambda: answers.append(
            _attempt(server, restaurant, day, "19:00", "killed@example.com")))
        request.start()
        wait_for(lambda: advisory_waiters(cluster) == 1, 10, "the worker to wait for the lock")
        (worker,) = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        request.join(10)
        assert answers == [0], answers
        # PgBouncer sees its client gone mid-transaction and drops the server
        # connection, which rolls the transaction back and frees its locks.
    wait_for(lambda: advisory_locks_held(cluster) == 0 and advisory_waiters(cluster) == 0, 10,
             "the dead worker's locks to be released")
    assert reservations(cluster, restaurant) == 0
    wait_for(lambda: server.worker_pids() and server.worker_pids() != [worker], 20,
             "gunicorn to replace the worker")
    status, _, body = book(server, restaurant, day, "19:00", "next@example.com")
    assert status == 201, body
    status, _, _ = http("GET", server.base_url + "/readyz")
    assert status == 200
