"""The API docs page in real Chromium: rendered from local assets, no failed request."""

from __future__ import annotations

import pytest

from tests.api.conftest import API


@pytest.mark.browser
def test_docs_page_renders_the_operations_offline(live_server, page, screenshot):
    failed, console_errors = [], []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.append(response.url)
            if response.status >= 400 else None)
    page.on("console", lambda message: console_errors.append(message.text)
            if message.type == "error" else None)
    page.goto(live_server.url + f"{API}/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 24
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/restaurants/{slug}/availability" in s.replace("\u200b", "") for s in summaries)
    assert "Booking Manager API" in page.locator(".info .title").inner_text()
    screenshot(page, "api-docs")
    assert failed == []
    assert console_errors == []
