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

    def start(workers: int = 1, **env: str) -> Gunicorn:
        server = Gunicorn(cluster.url, workers=workers, env=env,
                          log_path=tmp_path / f"gunicorn-{len(servers)}.log")
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


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
