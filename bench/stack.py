"""A throwaway production-like stack: its own PostgreSQL cluster and a real gunicorn.

Used by the benchmarks (``python -m bench``) and the fault tests (tests/faults/).
Nothing here touches the shared development database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / "scripts" / "pg_throwaway.sh"
VENV_BIN = Path(sys.executable).parent
BENCH_SECRET = "bench-secret-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin(name: str) -> str:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return name


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll ``condition`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class Postgres:
    """A cluster of its own in ``directory`` on ``port`` (scripts/pg_throwaway.sh)."""

    directory: Path
    port: int
    url: str = ""

    def start(self) -> str:
        out = subprocess.run(["bash", str(PG_SCRIPT), "start", str(self.directory), str(self.port)],
                             check=True, capture_output=True, text=True)
        self.url = out.stdout.strip().splitlines()[-1]
        return self.url

    def stop(self, mode: str = "immediate") -> None:
        if mode == "immediate":
            subprocess.run(["bash", str(PG_SCRIPT), "stop", str(self.directory)], check=False)
            return
        # A clean restart as an operator would do it: running transactions are cut off.
        command = [pg_bin("pg_ctl"), "-D", str(self.directory / "data"), "-m", mode, "-w", "stop"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    @property
    def libpq_url(self) -> str:
        return self.url.replace("postgresql+psycopg://", "postgresql://")


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PROMETHEUS_MULTIPROC_DIR", "TEST_DATABASE_URL"):
        env.pop(name, None)
    env.update({
        "DATABASE_URL": database_url,
        "BOOKING_ENV": "production",
        "SECRET_KEY": BENCH_SECRET,
        "INSECURE_COOKIES": "1",
        "RATELIMIT_ENABLED": "0",
        # Production needs it; Gunicorn.start sets the server's own address.
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def migrate(database_url: str) -> None:
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "webapp", "db", "upgrade"], cwd=ROOT,
                          env=app_env(database_url), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"migration failed: {done.stderr[-2000:]}")


@dataclass
class Gunicorn:
    """``gunicorn -c gunicorn.conf.py`` as the README runs it, on a loopback port."""

    database_url: str
    port: int = field(default_factory=free_port)
    workers: int = 2
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    process: subprocess.Popen | None = None
    # The tree whose code it serves (bench/paired.py runs another tree's beside this one).
    root: Path = ROOT

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Gunicorn:
        env = app_env(self.database_url, BIND=f"127.0.0.1:{self.port}",
                      WEB_CONCURRENCY=str(self.workers),
                      **{"PUBLIC_BASE_URL": self.base_url, **self.env})
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
                                            cwd=self.root, env=env, stdout=log, stderr=log,
                                            start_new_session=True)
        finally:
            if log is not subprocess.DEVNULL:
                log.close()  # the child has its own copy
        wait_for(self._ready, timeout, "gunicorn to answer /healthz")
        wait_for(lambda: len(self.worker_pids()) >= self.workers, timeout, "all workers")
        return self

    def _ready(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
        try:
            with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def worker_pids(self) -> list[int]:
        assert self.process
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------- data


@dataclass
class BenchRestaurant:
    slug: str
    restaurant_id: int
    table_ids: list[int]
    timezone: str


def load_restaurant(database_url: str, *, slug: str = "bench", tables: int = 50,
                    seats: tuple[int, ...] = (2, 2, 4, 4, 6), opens: dt.time = dt.time(10),
                    closes: dt.time = dt.time(23), horizon_days: int = 730) -> BenchRestaurant:
    """A restaurant open 10-23 every day with ``tables`` tables, booked online up to two
    years ahead with no lead time."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from webapp.models import DiningTable, OpeningHours, Restaurant

    engine = create_engine(database_url)
    with Session(engine) as session:
        restaurant = Restaurant(name="Bench Bistro", slug=slug, timezone="Europe/Berlin",
                                slot_interval_minutes=15, default_turn_minutes=120, turn_times={},
                                lead_time_minutes=0, horizon_days=horizon_days, max_online_party=8)
        session.add(restaurant)
        session.flush()
        for number in range(tables):
            session.add(DiningTable(restaurant_id=restaurant.id, name=f"T{number + 1:02d}",
                                    seats=seats[number % len(seats)], min_party=1,
                                    position=number))
        for weekday in range(7):
            session.add(OpeningHours(restaurant_id=restaurant.id, weekday=weekday, opens=opens,
                                     closes=closes, name="All day"))
        session.commit()
        result = BenchRestaurant(slug, restaurant.id,
                                 [t.id for t in sorted(restaurant.tables, key=lambda t: t.id)],
                                 restaurant.timezone)
    engine.dispose()
    return result


# --------------------------------------------------------------------------- HTTP


def booking_path(slug: str) -> str:
    return f"/api/v1/restaurants/{slug}/reservations"


def guest_phone(email: str) -> str:
    """A phone number of the guest's own (the service treats one phone as one guest)."""
    return "+4930" + str(int(hashlib.sha256(email.encode()).hexdigest(), 16) % 10**9).zfill(9)


def booking_body(day: dt.date, wall_time: str, party_size: int, email: str) -> dict:
    return {"date": day.isoformat(), "time": wall_time, "party_size": party_size,
            "name": "Bench Guest", "email": email, "phone": guest_phone(email), "notes": ""}


def http(method: str, url: str, body: dict | None = None, timeout: float = 30,
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request; returns (status, headers, body) also for 4xx/5xx."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@contextlib.contextmanager
def stack(directory: Path, *, workers: int = 2, tables: int = 50, env: dict | None = None,
          log_path: Path | None = None) -> Iterator[tuple[Postgres, Gunicorn, BenchRestaurant]]:
    """PostgreSQL + migrations + one restaurant + gunicorn; everything stopped afterwards."""
    postgres = Postgres(directory / "pg", free_port())
    server = None
    try:
        url = postgres.start()
        migrate(url)
        restaurant = load_restaurant(url, tables=tables)
        server = Gunicorn(url, workers=workers, env=dict(env or {}),
                          log_path=log_path or directory / "gunicorn.log").start()
        yield postgres, server, restaurant
    finally:
        try:
            if server:
                server.stop()
        finally:
            postgres.stop()
