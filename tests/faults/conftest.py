"""Fault tests: a throwaway PostgreSQL cluster and real gunicorn servers.

They run once (not per backend): the faults they provoke -- a database restart,
a killed worker, a lock held too long -- only exist with PostgreSQL and a
process-per-worker server. The cluster is shared by the folder (started once,
about 3 s); each test gets its own restaurant and its own gunicorn.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from bench.stack import (
    BenchRestaurant,
    Gunicorn,
    Postgres,
    booking_body,
    booking_path,
    free_port,
    http,
    load_restaurant,
    migrate,
)

_slugs = itertools.count(1)


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.postgres = Postgres(directory / "pg", free_port())

    @property
    def url(self) -> str:
        return self.postgres.url

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.postgres.libpq_url, **kwargs)

    def scalar(self, sql: str, params: tuple = ()):
        with self.connect(autocommit=True) as conn:
            return conn.execute(sql, params).fetchone()[0]

    def restaurant(self, tables: int = 1) -> BenchRestaurant:
        return load_restaurant(self.url, slug=f"fault-{next(_slugs)}", tables=tables)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    directory = Path(tempfile.mkdtemp(prefix="booking-faults-"))
    directory.chmod(0o755)  # as root, the cluster runs as the postgres user
    cluster = Cluster(directory)
    try:
        cluster.postgres.start()
        migrate(cluster.url)
        yield cluster
    finally:
        cluster.postgres.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def serve(cluster: Cluster, tmp_path: Path):
    """Start ``gunicorn -c gunicorn.conf.py`` on the cluster; stopped after the test."""
    servers: list[Gunicorn] = []

    def start(workers: int = 1, database_url: str | None = None, **env: str) -> Gunicorn:
        server = Gunicorn(database_url or cluster.url, workers=workers, env=env,
                          log_path=tmp_path / f"gunicorn-{len(servers)}.log")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


class Bouncer:
    """PgBouncer in transaction mode in front of the cluster (scripts/pgbouncer_throwaway.sh)."""

    SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pgbouncer_throwaway.sh"

    def __init__(self, directory: Path, cluster: Cluster) -> None:
        self.directory = directory
        self.cluster = cluster
        self.port = free_port()
        self.url = ""

    def start(self) -> Bouncer:
        done = subprocess.run(["bash", str(self.SCRIPT), "start", str(self.directory),
                               str(self.port), str(self.cluster.postgres.port)],
                              capture_output=True, text=True)
        if done.returncode:
            pytest.fail(f"PgBouncer did not start: {done.stderr[-2000:]}")
        database = self.cluster.url.rsplit("/", 1)[1]
        self.url = f"postgresql+psycopg://booking@127.0.0.1:{self.port}/{database}"
        return self

    def stop(self) -> None:
        subprocess.run(["bash", str(self.SCRIPT), "stop", str(self.directory)], check=False)

    def show(self, what: str) -> list[tuple]:
        """PgBouncer's admin console: SHOW POOLS, SHOW SERVERS, ..."""
        with psycopg.connect(f"postgresql://booking@127.0.0.1:{self.port}/pgbouncer",
                             autocommit=True, prepare_threshold=None) as conn:
            return conn.execute(f"SHOW {what}").fetchall()


@pytest.fixture(scope="session")
def bouncer(cluster: Cluster) -> Iterator[Bouncer]:
    """PgBouncer (Debian's package, installed by the test command) in front of the
    cluster. Missing, it fails the test: production runs behind one, so CI must test it."""
    if shutil.which("pgbouncer") is None and not Path("/usr/sbin/pgbouncer").exists():
        pytest.fail("pgbouncer is not installed: the test command installs Debian's pgbouncer")
    directory = cluster.directory / "pgbouncer"
    bouncer = Bouncer(directory, cluster).start()
    try:
        yield bouncer
    finally:
        bouncer.stop()


def day_ahead(days: int = 7) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


def book(server: Gunicorn, restaurant: BenchRestaurant, day: dt.date, wall_time: str, email: str,
         timeout: float = 20) -> tuple[int, dict, bytes]:
    return http("POST", server.base_url + booking_path(restaurant.slug),
                booking_body(day, wall_time, 2, email), timeout=timeout)


def utc_start(restaurant: BenchRestaurant, day: dt.date, wall_time: str) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time.fromisoformat(wall_time),
                                tzinfo=ZoneInfo(restaurant.timezone))
    return local.astimezone(dt.UTC)
