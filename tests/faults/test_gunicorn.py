"""The production server as the README runs it: one clear line on bad configuration,
metrics summed over all workers, request ids and security headers through gunicorn."""

from __future__ import annotations

import re
import subprocess

import pytest

from bench.stack import ROOT, VENV_BIN, app_env, free_port, http

pytestmark = pytest.mark.postgres_only


def run_gunicorn_expecting_exit(**env: str) -> subprocess.CompletedProcess:
    environment = app_env("", BIND=f"127.0.0.1:{free_port()}", WEB_CONCURRENCY="2", **env)
    if not environment["DATABASE_URL"]:
        del environment["DATABASE_URL"]
    return subprocess.run([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=30)


def test_missing_secret_key_stops_the_master_with_one_line(cluster):
    done = run_gunicorn_expecting_exit(DATABASE_URL=cluster.url, SECRET_KEY="")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "booking-manager: configuration error: SECRET_KEY is not set" in output
    assert "Traceback" not in output
    assert "Booting worker" not in output  # preload_app: it stops before forking


def test_unreachable_database_stops_the_master_with_one_line():
    url = f"postgresql+psycopg://booking@127.0.0.1:{free_port()}/nowhere"
    done = run_gunicorn_expecting_exit(DATABASE_URL=url)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "booking-manager: cannot reach the database at" in output
    assert "Traceback" not in output


def test_metrics_add_up_over_all_workers(cluster, serve):
    server = serve(workers=2)
    for _ in range(30):
        assert http("GET", server.base_url + "/healthz")[0] == 200
    counts = set()
    for _ in range(6):  # whichever worker answers, it reports everyone's requests
        _, headers, body = http("GET", server.base_url + "/metrics")
        assert headers["Content-Type"].startswith("text/plain")
        match = re.search(r'http_requests_total\{endpoint="health.healthz",method="GET",'
                          r'status="200"\} ([\d.]+)', body.decode())
        counts.add(float(match.group(1)))
    # The readiness wait of the harness made a few /healthz calls as well.
    assert len(counts) == 1 and counts.pop() >= 30


def test_request_id_and_security_headers_through_gunicorn(cluster, serve):
    server = serve(workers=1)
    status, headers, _ = http("GET", server.base_url + "/", headers={"X-Request-ID": "edge-77"})
    assert status == 200
    assert headers["X-Request-ID"] == "edge-77"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    log = server.log_path.read_text()
    assert '"request_id": "edge-77"' in log and '"status": 200' in log
