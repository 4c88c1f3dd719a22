"""A gunicorn worker SIGKILLed in the middle of an owner's write leaves no half-change:
a move, an edit, a status change and a settings change (a new web address) are each
stopped by a lock the test holds, at a point where the write has already changed part
of what it changes (the reservation before its history row; the restaurant's previous
addresses before the restaurant itself: the test checks the backend holds those row
locks); the worker is killed there, and the database holds exactly what it held before.
Then the same write goes through."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.stack import booking_body, booking_path, http, wait_for
from webapp.auth.tokens import create_token

from .conftest import day_ahead

pytestmark = pytest.mark.postgres_only

# What a write touches, and where the test makes it wait.
RESERVATION = ("SELECT table_id, starts_at, ends_at, party_size, status, version, guest_name, "
               "guest_email, guest_phone, notes FROM reservations WHERE id = %s")
RESTAURANT = "SELECT name, slug, phone, setup_stamp FROM restaurants WHERE id = %s"
# The dead request's Idempotency-Key claim (committed on its own, before the write) is
# released after this long; a retry with the same key then goes through.
CLAIM_TIMEOUT = 2


def owner_token(cluster, restaurant) -> str:
    engine = create_engine(cluster.url)
    try:
        with Session(engine) as session:
            _, clear = create_token(session, restaurant.restaurant_id, "fault test")
            session.commit()
    finally:
        engine.dispose()
    return clear


def snapshot(cluster, restaurant, reservation_id: int) -> dict:
    with cluster.connect(autocommit=True) as conn:
        def rows(sql: str, *params) -> list:
            return conn.execute(sql, params).fetchall()
        rid = restaurant.restaurant_id
        return {
            "reservation": rows(RESERVATION, reservation_id),
            "events": rows("SELECT id, action FROM reservation_events WHERE reservation_id = %s "
                           "ORDER BY id", reservation_id),
            "outbox": rows("SELECT id, kind FROM outbox_emails WHERE reservation_id = %s "
                           "ORDER BY id", reservation_id),
            "restaurant": rows(RESTAURANT, rid),
            "previous_slugs": rows("SELECT slug FROM previous_slugs WHERE restaurant_id = %s", rid),
        }


@contextlib.contextmanager
def holding(cluster, sql: str) -> Iterator[None]:
    """Run ``sql`` (a lock) in a transaction kept open until the block ends."""
    conn = cluster.connect()
    try:
        conn.execute(sql)
        yield
    finally:
        conn.rollback()
        conn.close()


def blocked_worker_writes(cluster) -> dict[int, set[str]]:
    """Backends waiting for a lock, with the tables each has already written to (it holds
    RowExclusiveLock on them: an INSERT, UPDATE or DELETE ran in its transaction)."""
    with cluster.connect(autocommit=True) as conn:
        waiting = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database() AND pid <> pg_backend_pid()")]
        return {pid: {row[0] for row in conn.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = %s AND l.granted AND l.mode = 'RowExclusiveLock' "
            "AND c.relkind = 'r'", (pid,))} for pid in waiting}


def kill_mid_write(cluster, server, lock_sql: str, method: str, url: str, body: dict,
                   headers: dict, wrote: str) -> set[str]:
    """Send the write while ``lock_sql`` is held; once its backend waits for that lock
    having written ``wrote``, SIGKILL the worker. Returns the tables it had written."""
    answers: list = []

    def attempt() -> None:
        try:
            answers.append(http(method, url, body, headers=headers, timeout=30)[0])
        except OSError:
            answers.append(0)

    with holding(cluster, lock_sql):
        request = threading.Thread(target=attempt)
        request.start()
        blocked = wait_for(lambda: {pid: tables for pid, tables in blocked_worker_writes(cluster)
                                    .items() if wrote in tables}, 15,
                           f"the write to stop after writing {wrote}")
        (worker,) = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        request.join(15)
    assert answers == [0], f"the client should lose its connection, got {answers}"
    (tables,) = blocked.values()
    wait_for(lambda: not blocked_worker_writes(cluster), 10, "the dead worker's transaction to end")
    wait_for(lambda: server.worker_pids() and server.worker_pids() != [worker], 20,
             "gunicorn to replace the worker")
    return tables


@pytest.fixture
def booked(cluster, serve):
    """A restaurant with two tables, one guest booking (with an e-mail address), gunicorn
    with one worker, and the owner's API token."""
    restaurant = cluster.restaurant(tables=2)
    server = serve(workers=1, IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT))
    day = day_ahead()
    status, _, answer = http("POST", server.base_url + booking_path(restaurant.slug),
                             booking_body(day, "19:00", 2, "guest@example.com"))
    assert status == 201, answer
    reservation_id = cluster.scalar("SELECT id FROM reservations WHERE restaurant_id = %s",
                                    (restaurant.restaurant_id,))
    auth = {"Authorization": f"Bearer {owner_token(cluster, restaurant)}"}
    return restaurant, server, day, reservation_id, auth


# Each owner write (the POSTs retried with an Idempotency-Key, as a careful client would).
OWNER_WRITES = {
    "move": ("POST", "/move", lambda day, table: {"date": day.isoformat(), "time": "20:00",
                                                  "table": table}),
    "edit": ("PATCH", "", lambda day, table: {"name": "Edited Guest", "party_size": 1}),
    "status": ("POST", "/status", lambda day, table: {"status": "cancelled"}),
}


@pytest.mark.parametrize("write", sorted(OWNER_WRITES))
def test_owner_reservation_write_killed_midway_leaves_nothing(cluster, booked, write):
    restaurant, server, day, reservation_id, auth = booked
    method, suffix, make_body = OWNER_WRITES[write]
    url = (f"{server.base_url}/api/v1/restaurants/{restaurant.slug}/reservations/"
           f"{reservation_id}{suffix}")
    body = make_body(day, restaurant.table_ids[1])
    headers = {**auth, **({"Idempotency-Key": f"owner-{write}"} if method == "POST" else {})}
    before = snapshot(cluster, restaurant, reservation_id)

    # The history row comes after the reservation's UPDATE: hold that table.
    written = kill_mid_write(cluster, server, "LOCK TABLE reservation_events IN SHARE MODE",
                             method, url, body, headers, wrote="reservations")
    assert "reservations" in written
    assert snapshot(cluster, restaurant, reservation_id) == before

    # The retry (same key) goes through once the dead request's claim is released.
    def retried() -> tuple[int, dict, bytes] | None:
        answer = http(method, url, body, headers=headers)
        return answer if answer[0] != 409 else None

    status, _, answer = wait_for(retried, CLAIM_TIMEOUT + 10, "the retry to go through",
                                 interval=0.5)
    assert status == 200, answer
    after = snapshot(cluster, restaurant, reservation_id)
    assert after["reservation"] != before["reservation"]
    assert len(after["events"]) == len(before["events"]) + 1


def test_settings_change_killed_midway_leaves_nothing(cluster, booked):
    restaurant, server, day, reservation_id, auth = booked
    url = f"{server.base_url}/api/v1/restaurants/{restaurant.slug}/settings"
    new_slug = f"{restaurant.slug}-moved"
    body = {"name": "Renamed Bistro", "slug": new_slug, "phone": "+49 30 999999"}
    before = snapshot(cluster, restaurant, reservation_id)

    # A new address is recorded in previous_slugs (DELETE + INSERT) in the flush before
    # the restaurant's UPDATE: a share lock on the restaurant's row stops it right there.
    hold = f"SELECT 1 FROM restaurants WHERE id = {restaurant.restaurant_id} FOR SHARE"
    written = kill_mid_write(cluster, server, hold, "PATCH", url, body, auth,
                             wrote="previous_slugs")
    assert "previous_slugs" in written
    assert snapshot(cluster, restaurant, reservation_id) == before

    status, _, answer = http("PATCH", url, body, headers=auth)
    assert status == 200, answer
    assert json.loads(answer)["slug"] == new_slug
    after = snapshot(cluster, restaurant, reservation_id)
    assert after["restaurant"][0][:3] == ("Renamed Bistro", new_slug, "+49 30 999999")
    assert after["previous_slugs"] == [(restaurant.slug,)]
