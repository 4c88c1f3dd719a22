"""Bad configuration stops the app with one clear line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fresh_db import ROOT, clean_env, run_flask

GUNICORN = Path(sys.executable).with_name("gunicorn")
# Each test starts flask or gunicorn in a subprocess.
pytestmark = pytest.mark.slow


def assert_one_clear_line(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("booking-manager: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.mark.parametrize(("variables", "fragments"), [
    pytest.param({"BOOKING_ENV": "production", "DATABASE_URL": "sqlite:///{tmp}/db.sqlite3"},
                 ("SECRET_KEY is not set",), id="production-without-secret-key"),
    pytest.param({"BOOKING_ENV": "production", "SECRET_KEY": "short"},
                 ("SECRET_KEY is too short",), id="short-secret-key"),
    pytest.param({"BOOKING_ENV": "development", "DATABASE_URL": "mysql://u:p@localhost/db"},
                 ("DATABASE_URL scheme 'mysql' is not supported",), id="unknown-database-scheme"),
    pytest.param({"BOOKING_ENV": "development", "DATABASE_URL": "postgresql+psycopg://x:pw@127.0.0.1:1/db"},
                 ("cannot reach the database", "127.0.0.1:1"), id="unreachable-database"),
    pytest.param({"BOOKING_ENV": "staging"}, ("BOOKING_ENV must be one of",), id="unknown-environment"),
    pytest.param({"BOOKING_ENV": "development", "BOOKING_LOCK_TIMEOUT_MS": "3s"},
                 ("BOOKING_LOCK_TIMEOUT_MS must be a whole number",), id="not-a-number"),
    pytest.param({"BOOKING_ENV": "development",
                  "DATABASE_REPLICA_URL": "postgresql://x@127.0.0.1:1/db"},
                 ("DATABASE_REPLICA_URL needs PostgreSQL",), id="replica-of-sqlite"),
    pytest.param({"BOOKING_ENV": "development", "DATABASE_REPLICA_URL": "replica.internal"},
                 ("DATABASE_REPLICA_URL: ", "is not a URL"), id="replica-not-a-url"),
    pytest.param({"BOOKING_ENV": "development", "REPLICA_MAX_LAG_SECONDS": "5s"},
                 ("REPLICA_MAX_LAG_SECONDS must be a number",), id="replica-lag-not-a-number"),
])
def test_bad_configuration_stops_with_one_line(tmp_path, variables, fragments):
    variables = {name: value.format(tmp=tmp_path) for name, value in variables.items()}
    variables.setdefault("DATABASE_URL", f"sqlite:///{tmp_path}/db.sqlite3")
    line = assert_one_clear_line(run_flask("routes", timeout=60, **variables), *fragments)
    assert ":pw@" not in line  # a password in the URL is not shown


def test_good_configuration_starts(tmp_path):
    result = run_flask("routes", timeout=60, BOOKING_ENV="production", SECRET_KEY="x" * 32,
                       DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                       PUBLIC_BASE_URL="https://book.example.com")
    assert result.returncode == 0, result.stderr
    assert "/readyz" in result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_stops_with_one_line_without_secret_key(tmp_path):
    env = clean_env(BOOKING_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                    BIND=f"127.0.0.1:{free_port()}", WEB_CONCURRENCY="1")
    try:
        result = subprocess.run([str(GUNICORN), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as expired:
        pytest.fail("gunicorn kept running (respawning workers that cannot start) instead of "
                    f"stopping; gunicorn.conf.py needs preload_app = True.\n{expired.stderr!r:.2000}")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    messages = [line for line in result.stderr.splitlines() if "booking-manager:" in line]
    assert messages == ["booking-manager: configuration error: " + messages[0].split(": ", 2)[2]]
    assert "SECRET_KEY is not set" in messages[0]


@pytest.mark.parametrize(("switch", "prepares"), [(None, True), ("0", False)])
def test_server_side_prepared_statements_can_be_turned_off(pg_url, tmp_path, switch, prepares):
    """DB_PREPARED_STATEMENTS=0 (for PgBouncer < 1.21): psycopg never prepares on the server."""
    from sqlalchemy import create_engine, text

    from webapp.settings import load_settings

    env = {"BOOKING_ENV": "development", "DATABASE_URL": pg_url}
    if switch is not None:
        env["DB_PREPARED_STATEMENTS"] = switch
    settings = load_settings(env, str(tmp_path))
    engine = create_engine(settings["SQLALCHEMY_DATABASE_URI"], **settings["SQLALCHEMY_ENGINE_OPTIONS"])
    try:
        with engine.connect() as conn:
            for _ in range(7):  # psycopg prepares after five runs by default
                conn.execute(text("SELECT 1 + 1"))
            prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    finally:
        engine.dispose()
    assert (prepared > 0) is prepares


GUNICORN_HOOKS_PROBE = """
import gc, json, os, runpy
config = runpy.run_path("gunicorn.conf.py")
before = gc.get_freeze_count()
config["when_ready"](None)
config["pre_fork"](None, None)
print(json.dumps({"workers": config["workers"], "frozen": gc.get_freeze_count() - before}))
"""


def test_gunicorn_forks_workers_with_the_preloaded_objects_frozen(tmp_path):
    """pre_fork hides what the master loaded from the workers' garbage collector: without
    it, the count of frozen objects stays 0 and each worker's full collections rescan them."""
    env = {key: value for key, value in clean_env().items() if key != "WEB_CONCURRENCY"}
    result = subprocess.run([sys.executable, "-c", GUNICORN_HOOKS_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["frozen"] > 1000  # the config alone imports enough to show
    # One worker per CPU, at least two (see gunicorn.conf.py for the measurement).
    assert probe["workers"] == min(max(os.cpu_count(), 2), 12)
