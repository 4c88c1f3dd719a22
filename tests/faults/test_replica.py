"""A streaming replica (pg_basebackup) for the guest's reads: stale by design, never
wrong where it matters. With replay paused the replica still offers a time that was
just booked; booking it is refused on the primary with the usual 409 and alternatives.
Resumed, it catches up. Past REPLICA_MAX_LAG_SECONDS the primary answers instead, and
/readyz says how far behind the replica is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bench.stack import free_port, http, pg_bin, wait_for

from .conftest import book, day_ahead

pytestmark = pytest.mark.postgres_only


class Replica:
    def __init__(self, directory: Path, primary_port: int) -> None:
        self.directory = directory
        self.primary_port = primary_port
        self.port = free_port()

    def _as_postgres(self, *command: str) -> None:
        argv = list(command)
        if os.getuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, cwd="/")
        if done.returncode:
            log = self.directory / "log"
            pytest.fail(f"{command[0]} failed: {done.stderr[-1500:]}"
                        + (log.read_text()[-1500:] if log.exists() else ""))

    def start(self) -> Replica:
        self.directory.mkdir(parents=True)
        if os.getuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        # -R writes standby.signal and primary_conninfo: a streaming hot standby.
        self._as_postgres(pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary_port),
                          "-U", "booking", "-D", str(self.directory / "data"), "-R", "-X", "stream",
                          "--checkpoint=fast")
        self._as_postgres(pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-l",
                          str(self.directory / "log"), "-w", "-t", "60", "start", "-o",
                          f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                          # A standby needs at least the primary's max_connections.
                          "-c hot_standby=on -c max_connections=300 -c fsync=off")
        return self

    def stop(self) -> None:
        command = [pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "stop"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=False, capture_output=True, cwd="/")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://booking@127.0.0.1:{self.port}/{database}"

    def execute(self, database: str, sql: str):
        with psycopg.connect(f"postgresql://booking@127.0.0.1:{self.port}/{database}",
                             autocommit=True) as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture
def replica(cluster) -> Iterator[Replica]:
    replica = Replica(cluster.directory / f"replica-{free_port()}", cluster.postgres.port).start()
    try:
        yield replica
    finally:
        replica.stop()
        shutil.rmtree(replica.directory, ignore_errors=True)


def _times(server, restaurant, day) -> set[str]:
    status, _, body = http("GET", f"{server.base_url}/api/v1/restaurants/{restaurant.slug}"
                                  f"/availability?date={day.isoformat()}&party_size=2")
    assert status == 200, body
    return {entry["time"] for service in json.loads(body)["services"] for entry in service["times"]}


def _ready(server) -> dict:
    status, _, body = http("GET", server.base_url + "/readyz")
    assert status == 200, body
    return json.loads(body)


def test_a_stale_replica_offers_a_taken_time_and_the_primary_refuses_it(cluster, serve, replica):
    database = cluster.url.rsplit("/", 1)[1]
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1, DATABASE_REPLICA_URL=replica.url(database),
                   REPLICA_MAX_LAG_SECONDS="300")
    strict = serve(workers=1, DATABASE_REPLICA_URL=replica.url(database),
                   REPLICA_MAX_LAG_SECONDS="0.2")
    wait_for(lambda: replica.execute(database, "SELECT count(*) FROM restaurants WHERE slug = "
                                     f"'{restaurant.slug}'")[0][0] == 1, 20,
             "the replica to receive the restaurant")
    day = day_ahead(5)
    assert "19:00" in _times(server, restaurant, day)
    assert _ready(server)["replica"]["reads_from_replica"] is True

    replica.execute(database, "SELECT pg_wal_replay_pause()")
    status, _, body = book(server, restaurant, day, "19:00", "first@example.com")
    assert status == 201, body  # written on the primary

    # The replica has not replayed it: the relaxed server still offers 19:00 ...
    assert "19:00" in _times(server, restaurant, day)
    # ... and booking it is refused on the primary, under the locks, with alternatives.
    status, _, body = book(server, restaurant, day, "19:00", "second@example.com")
    assert status == 409, body
    problem = json.loads(body)
    assert problem.get("alternatives"), problem

    # The strict server stops reading from the replica once it is past its bound, and
    # answers from the primary: 19:00 is gone there.
    wait_for(lambda: _ready(strict)["replica"]["reads_from_replica"] is False, 20,
             "the strict server to see the replica lag past 0.2 s")
    report = _ready(strict)["replica"]
    assert report["reachable"] is True and report["lag_seconds"] > 0.2
    assert "19:00" not in _times(strict, restaurant, day)

    replica.execute(database, "SELECT pg_wal_replay_resume()")
    wait_for(lambda: "19:00" not in _times(server, restaurant, day), 20,
             "the replica to catch up")
    wait_for(lambda: _ready(strict)["replica"]["reads_from_replica"] is True, 20,
             "the strict server to read from the caught-up replica again")
    assert _ready(strict)["replica"]["lag_seconds"] <= 0.2


def test_an_unreachable_replica_falls_back_to_the_primary(cluster, serve):
    restaurant = cluster.restaurant(tables=1)
    nowhere = f"postgresql+psycopg://booking@127.0.0.1:{free_port()}/booking_test"
    server = serve(workers=1, DATABASE_REPLICA_URL=nowhere)
    day = day_ahead(6)
    assert "19:00" in _times(server, restaurant, day)
    status, _, body = book(server, restaurant, day, "19:00", "first@example.com")
    assert status == 201, body
    assert "19:00" not in _times(server, restaurant, day)
    assert _ready(server)["replica"] == {"reachable": False, "lag_seconds": None,
                                         "max_lag_seconds": 5.0, "reads_from_replica": False}
