"""Bounded requests through the production server: a 45 MB body on GET /healthz, a 50 MB
upload and a JSON body nested 600 deep, each sent to a real gunicorn worker. They used to
be parsed (12.9 s and +225 MB for the 45 MB body; a 500 and ~95 KB of traceback for the
nesting); now each is refused at once with one log line, and the worker's memory stays put."""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request

import pytest

from bench.stack import http as request
from bench.stack import rss_kib

pytestmark = pytest.mark.postgres_only

MB = 1024 * 1024


def send_big(server, method: str, path: str, size: int, content_type: str,
             chunk: bytes = b"[" + b"0," * 32_767) -> tuple[int, bytes, float]:
    """Announce ``size`` bytes of body and send it as an attacker would, as long as the
    server reads; the answer, its body and the seconds it took."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    started = time.monotonic()
    try:
        conn.putrequest(method, path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        sent = 0
        try:
            while sent < size:
                part = chunk[:size - sent]
                conn.send(part)
                sent += len(part)
        except OSError:
            pass  # the server answered and closed without reading the rest: as it should
        response = conn.getresponse()
        return response.status, response.read(), time.monotonic() - started
    finally:
        conn.close()


def test_oversized_bodies_are_refused_unread(cluster, serve):
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1)
    (worker,) = server.worker_pids()
    memory_before = rss_kib(worker)

    status, body, seconds = send_big(server, "GET", "/healthz", 45 * MB, "application/json")
    assert status == 413, body[:200]
    assert seconds < 2, f"answered after {seconds:.2f}s"
    status, body, _ = send_big(server, "POST", f"/r/{restaurant.slug}/book", 50 * MB,
                               "multipart/form-data; boundary=x")
    assert status == 413
    status, body, _ = send_big(server, "POST", f"/api/v1/restaurants/{restaurant.slug}/reservations",
                               45 * MB, "application/json")
    assert status == 413 and json.loads(body)["status"] == 413

    assert server.worker_pids() == [worker]  # the same worker, still alive
    assert rss_kib(worker) - memory_before < 20 * 1024, "the worker's memory grew by > 20 MB"
    started = time.monotonic()
    assert request("GET", f"{server.base_url}/r/{restaurant.slug}")[0] == 200
    assert time.monotonic() - started < 2


def raw(method: str, url: str, data: bytes) -> int:
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_deep_nesting_is_a_400_and_one_log_line(cluster, serve):
    restaurant = cluster.restaurant(tables=1)
    server = serve(workers=1)
    deep = ("[" * 600 + "]" * 600).encode()
    log_before = server.log_path.read_text()
    url = f"{server.base_url}/api/v1/restaurants/{restaurant.slug}/reservations"
    assert raw("POST", url, deep) == 400
    assert raw("GET", f"{server.base_url}/healthz", deep) == 200  # a GET's body is not read
    new_lines = server.log_path.read_text()[len(log_before):]
    assert "Traceback" not in new_lines and "RecursionError" not in new_lines
    assert len(new_lines) < 3000, f"{len(new_lines)} bytes of log for two small requests"
    refused = [line for line in new_lines.splitlines() if "nested too deeply" in line]
    assert len(refused) == 1, new_lines
