"""Browser tests: real headless Chromium (Debian's package) driven by Playwright,
against the app served by a real WSGI server on a free loopback port.

Screenshots go to ``test-output/screenshots/`` (kept by CI as artefacts).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    # The machine has no network: keep Chromium from trying to phone home.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium is not installed: the test command installs Debian's `chromium`")


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_servers() -> Iterator[dict[int, LiveServer]]:
    servers: dict[int, LiveServer] = {}
    yield servers
    for server in servers.values():
        server.__exit__(None, None, None)


@pytest.fixture
def live_server(app: Flask, session, live_servers: dict[int, LiveServer]) -> Iterator[LiveServer]:
    """The app (on this test's backend) served over HTTP; tables are emptied per test.
    Its links (manage link, e-mails) point at the server, as PUBLIC_BASE_URL does in
    production; the suite's http://localhost comes back afterwards."""
    if id(app) not in live_servers:
        live_servers[id(app)] = LiveServer(app).__enter__()
    server = live_servers[id(app)]
    before = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = server.url
    yield server
    app.config["PUBLIC_BASE_URL"] = before


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                              args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (cookies, storage) and page per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def screenshot(backend: str):
    """screenshot(page, "name") saves test-output/screenshots/<name>-<backend>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(target, name: str) -> Path:
        path = SCREENSHOTS / f"{name}-{backend}.png"
        target.screenshot(path=str(path), full_page=True)
        return path

    return take


AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1366, 1024, 390)


def axe_violations(target, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core (from npm, devDependencies) run on the page as it is now: the violations
    of the given impacts, each with its rule id, impact and the selectors of its nodes."""
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is not installed: the test command runs npm ci")
    # Evaluated over DevTools, not added as a <script>: the page's CSP (script-src 'self')
    # stays on and would refuse an inline script.
    target.evaluate(AXE_SCRIPT.read_text())
    result = target.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


def horizontal_overflow(target) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no sideways scroll).
    Measured once the page has loaded: an element a test waited for can be visible
    before a slow stylesheet has applied, and a page measured then can read wider than
    the window (two CI runs under load once read 381 and 159 px on pages that pass
    alone every time)."""
    if hasattr(target, "wait_for_load_state"):
        target.wait_for_load_state("load")
    return int(target.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))
