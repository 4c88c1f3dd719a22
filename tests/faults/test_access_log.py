"""gunicorn's own access log (``GUNICORN_ACCESS_LOG=-``) follows the app log's rules:
guests' manage tokens redacted, control characters escaped. A real gunicorn, real
sockets: what a client can put on the request line is what gunicorn itself lets in."""

from __future__ import annotations

import json
import socket

import pytest

from bench.stack import booking_body, booking_path, http, wait_for
from tests.faults.conftest import day_ahead

pytestmark = pytest.mark.postgres_only


def raw_request(server, request_line: bytes, *headers: bytes) -> bytes:
    """Send bytes as they are (urllib refuses what an attacker's client would send)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     + b"".join(h + b"\r\n" for h in headers) + b"\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def access_lines(server, needle: str) -> list[str]:
    lines = server.log_path.read_text(errors="replace").splitlines()
    return [line for line in lines if needle in line and not line.startswith("{")]


def test_manage_tokens_are_redacted_in_gunicorn_access_log(cluster, serve):
    restaurant = cluster.restaurant()
    server = serve(workers=1, GUNICORN_ACCESS_LOG="-")
    status, _, body = http("POST", server.base_url + booking_path(restaurant.slug),
                           booking_body(day_ahead(), "19:00", 2, "log@example.com"))
    assert status == 201, body
    token = json.loads(body)["manage_token"]
    page = f"/r/{restaurant.slug}/b/{token}"
    assert http("GET", server.base_url + page)[0] == 200
    assert http("GET", server.base_url + f"/api/v1/reservations/{token}")[0] == 200
    # The guest's next click sends the page's address along as the Referer.
    referer = f"Referer: {server.base_url}{page}".encode()
    raw_request(server, f"GET {page}/cancel HTTP/1.1".encode(), referer)

    wait_for(lambda: len(access_lines(server, "/b/<token>")) >= 2, 10, "the access log lines")
    log = server.log_path.read_text()
    assert token not in log and token[:8] not in log
    assert access_lines(server, f'"GET /r/{restaurant.slug}/b/<token> HTTP/1.1" 200')
    assert access_lines(server, '"GET /api/v1/reservations/<token> HTTP/1.1" 200')


def test_gunicorn_access_log_escapes_control_characters(cluster, serve):
    cluster.restaurant()
    # The Referer and User-Agent atoms too, as a combined-log format has them.
    server = serve(workers=1, GUNICORN_ACCESS_LOG="-", GUNICORN_CMD_ARGS=(
        """--access-logformat '%(h)s "%(r)s" %(s)s "%(f)s" "%(a)s"'"""))
    # What gunicorn's parser lets through: bytes >= 0x80 in the target (read as Latin-1,
    # so \x85 is NEL, a line break to Python's splitlines) and ESC / C1 in header values.
    raw_request(server, b"GET /forged\x85x HTTP/1.1",
                b"User-Agent: evil\x1b[2J\x9b31m", b"Referer: x\x1b]0;title\x07")
    wait_for(lambda: access_lines(server, "/forged"), 10, "the access log line")
    (line,) = access_lines(server, "/forged")
    assert "/forged\\x85x" in line
    assert "evil\\x1b[2J\\x9b31m" in line and "x\\x1b]0;title\\x07" in line
    raw = server.log_path.read_bytes()
    assert b"\x1b" not in raw and b"\x07" not in raw and "\x85".encode() not in raw
