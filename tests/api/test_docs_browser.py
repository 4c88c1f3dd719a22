"""The API docs page in real Chromium: rendered from local assets, no failed request.

Playwright's sync API allows one instance per thread, and tests/browser keeps one
open for the whole session; this test drives its own Chromium from a thread of
its own, so both can run in one pytest process, in any order.
"""

from __future__ import annotations

import threading

import pytest

from tests.api.conftest import API
from tests.browser.conftest import CHROMIUM_FLAGS, chromium_path


def _visit_docs(url: str, screenshot) -> dict:
    from playwright.sync_api import sync_playwright

    seen: dict = {"failed": [], "console_errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                             args=CHROMIUM_FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(10_000)
            page.on("requestfailed", lambda request: seen["failed"].append(request.url))
            page.on("response", lambda response: seen["failed"].append(response.url)
                    if response.status >= 400 else None)
            page.on("console", lambda message: seen["console_errors"].append(message.text)
                    if message.type == "error" else None)
            page.goto(url)
            page.locator(".opblock").first.wait_for()
            seen["operations"] = page.locator(".opblock").count()
            seen["paths"] = [p.replace("\u200b", "")
                             for p in page.locator(".opblock-summary-path").all_inner_texts()]
            seen["title"] = page.locator(".info .title").inner_text()
            screenshot(page, "api-docs")
        finally:
            browser.close()
    return seen


@pytest.mark.browser
def test_docs_page_renders_the_operations_offline(live_server, screenshot):
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["seen"] = _visit_docs(live_server.url + f"{API}/docs", screenshot)
        except BaseException as error:  # re-raised in the test's thread below
            outcome["error"] = error

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    if "error" in outcome:
        raise outcome["error"]
    seen = outcome["seen"]
    assert seen["operations"] >= 24
    assert "/restaurants/{slug}/availability" in seen["paths"]
    assert "Booking Manager API" in seen["title"]
    assert seen["failed"] == []
    assert seen["console_errors"] == []
