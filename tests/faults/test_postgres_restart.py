"""PostgreSQL restarted under load: fast 503s while it is down, recovery on its own,
and every booking confirmed to a client is in the database afterwards."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from bench.stack import http, wait_for

from .conftest import book, day_ahead

pytestmark = pytest.mark.postgres_only

CLIENTS = 4


class Load:
    """Clients booking distinct slots in a loop, recording what each was told."""

    def __init__(self, server, restaurant) -> None:
        self.server, self.restaurant = server, restaurant
        self.outcomes: list[tuple[float, float, int, str, str]] = []  # start, secs, status, email, retry
        self.stop = threading.Event()
        self._serial = itertools.count()
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._client) for _ in range(CLIENTS)]

    def _client(self) -> None:
        while not self.stop.is_set():
            n = next(self._serial)
            # 50 tables x 6 two-hour stays a day: every request has a free table of its own.
            day = day_ahead(1 + n // 300)
            wall_time = f"{10 + 2 * (n % 6):02d}:00"
            email = f"guest{n}@example.com"
            started = time.monotonic()
            try:
                status, headers, _ = book(self.server, self.restaurant, day, wall_time, email, timeout=15)
            except OSError:
                status, headers = 0, {}
            with self._lock:
                self.outcomes.append((started, time.monotonic() - started, status, email,
                                      headers.get("Retry-After", "")))

    def count(self, status: int, since: float = 0.0) -> int:
        with self._lock:
            return sum(1 for o in self.outcomes if o[2] == status and o[0] >= since)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_restart_under_load(cluster, serve):
    restaurant = cluster.restaurant(tables=50)
    server = serve(workers=2)
    with Load(server, restaurant) as load:
        wait_for(lambda: load.count(201) >= 20, 30, "bookings before the restart")
        try:
            cluster.postgres.stop(mode="fast")  # running transactions are cut off
            down = time.monotonic()
            wait_for(lambda: load.count(503, since=down) >= 10, 20, "503 answers while it is down")
            status, _, _ = http("GET", server.base_url + "/readyz")
            assert status == 503
        finally:
            cluster.postgres.start()
        up = time.monotonic()
        # The app recovers by itself: no restart of gunicorn, just fresh connections.
        wait_for(lambda: load.count(201, since=up) >= 10, 30, "bookings after the restart")

    while_down = [o for o in load.outcomes if down <= o[0] < up]
    assert while_down, "no request was made while the database was down"
    assert {o[2] for o in while_down} <= {201, 503}, sorted({o[2] for o in while_down})
    slowest = max(o[1] for o in while_down if o[2] == 503)
    assert slowest < 2, f"a 503 took {slowest:.2f}s; it should fail fast"
    assert all(o[4] for o in while_down if o[2] == 503), "503 without Retry-After"
    statuses = {o[2] for o in load.outcomes}
    assert statuses <= {201, 503}, f"unexpected answers: {statuses}"

    confirmed = {o[3] for o in load.outcomes if o[2] == 201}
    with cluster.connect() as conn:
        stored = {row[0] for row in conn.execute(
            "SELECT guest_email FROM reservations WHERE restaurant_id = %s", (restaurant.restaurant_id,))}
    assert confirmed <= stored, f"confirmed but missing: {sorted(confirmed - stored)[:5]}"
    assert http("GET", server.base_url + "/readyz")[0] == 200
