"""Fixtures for the guest pages: a restaurant, and a real SMTP server on loopback."""

from __future__ import annotations

import re
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.factories import make_restaurant


@pytest.fixture
def restaurant(session):
    """A small restaurant open every day 12-15 (Lunch) and 18-23 (Dinner), Europe/Berlin."""
    return make_restaurant(session, slug="bistro", name="Bistro Blau",
                           description="Seasonal cooking by the canal.",
                           address="Kanalstraße 1, Berlin", phone="+49 30 1234567",
                           tables=[("T1", 2), ("T2", 4)])


TOKEN_IN_PAGE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MANAGE_PATH = re.compile(r"/r/[^/\s\"]+/b/[A-Za-z0-9_\-]+")


def manage_path(response) -> str:
    """The manage URL a successful booking redirects to (303, or HX-Redirect for htmx)."""
    location = response.headers.get("HX-Redirect") or response.headers["Location"]
    match = MANAGE_PATH.search(location)
    assert match, location
    return match.group(0)


@dataclass
class SmtpServer:
    """A tiny SMTP server speaking just enough of RFC 5321 for smtplib; records messages.

    ``refuse`` makes it answer 554 to MAIL FROM, as a server rejecting the sender would;
    ``final_ok_delay`` waits that long before answering the end of DATA (a slow server);
    for the first ``hang_up_after_data`` messages it hangs up instead of answering (the
    message is then on the server, but the client never hears so)."""

    host: str = "127.0.0.1"
    port: int = 0
    refuse: bool = False
    final_ok_delay: float = 0.0
    hang_up_after_data: int = 0
    messages: list[bytes] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


def _handler_for(state: SmtpServer):
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 localhost test SMTP")
            sender, recipients = "", []
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 localhost")
                elif verb == "MAIL":
                    if state.refuse:
                        self.reply("554 5.7.1 sender refused")
                        continue
                    sender, recipients = command[10:].strip("<> "), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(command[8:].strip("<> "))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    data = bytearray()
                    while True:
                        chunk = self.rfile.readline()
                        if chunk in (b".\r\n", b""):
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    state.messages.append(bytes(data))
                    state.envelopes.append((sender, recipients))
                    if state.hang_up_after_data > 0:
                        state.hang_up_after_data -= 1
                        return
                    time.sleep(state.final_ok_delay)  # the server's own pace
                    self.reply("250 OK queued")
                elif verb == "RSET":
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 command not implemented")

    return Handler


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    state = SmtpServer()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)
