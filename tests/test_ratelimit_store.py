"""In production, rate limits counted per process with several gunicorn workers are
refused at start (each worker would allow the full limit), unless the operator accepts it."""

from __future__ import annotations

import subprocess
import urllib.request

import pytest

from bench.stack import wait_for
from tests.fresh_db import ROOT, clean_env
from tests.test_settings import GUNICORN, free_port
from webapp.ratelimit_store import per_process_problem

PRODUCTION = {"BOOKING_ENV": "production"}


@pytest.mark.parametrize(("env", "workers", "refused"), [
    ({}, 2, True),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, 4, True),
    ({}, 1, False),
    ({"RATELIMIT_STORAGE_URI": "redis://redis.internal:6379"}, 4, False),
    ({"RATELIMIT_STORAGE_URI": "memcached://cache:11211"}, 4, False),
    ({"RATELIMIT_PER_PROCESS_OK": "1"}, 4, False),
    ({"RATELIMIT_ENABLED": "0"}, 4, False),
    ({"BOOKING_ENV": "development"}, 4, False),
])
def test_per_process_counters_with_several_workers(env, workers, refused):
    problem = per_process_problem({**PRODUCTION, **env}, workers)
    assert (problem is not None) is refused
    if refused:
        assert f"{workers} workers" in problem and "RATELIMIT_PER_PROCESS_OK=1" in problem


def gunicorn_env(tmp_path, **variables: str) -> dict[str, str]:
    return clean_env(BOOKING_ENV="production", SECRET_KEY="x" * 32,
                     PUBLIC_BASE_URL="https://book.example.com",
                     DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                     BIND=f"127.0.0.1:{free_port()}", **variables)


def test_gunicorn_refuses_two_workers_counting_apart(tmp_path):
    env = gunicorn_env(tmp_path, WEB_CONCURRENCY="2")
    try:
        result = subprocess.run([str(GUNICORN), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=30,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail("gunicorn started two workers whose rate limits count apart")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    messages = [line for line in result.stderr.splitlines() if "booking-manager:" in line]
    assert len(messages) == 1, result.stderr
    assert "RATELIMIT_STORAGE_URI is memory://" in messages[0] and "2 workers" in messages[0]


def test_gunicorn_starts_when_the_operator_accepts_it(tmp_path):
    env = gunicorn_env(tmp_path, WEB_CONCURRENCY="2", RATELIMIT_PER_PROCESS_OK="1")
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                                  stdout=output, stderr=output, stdin=subprocess.DEVNULL)

    def healthy() -> bool:
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://{env['BIND']}/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        assert wait_for(healthy, 30, "gunicorn to answer /healthz")
    finally:
        server.terminate()
        server.wait(30)
