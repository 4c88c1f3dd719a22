"""The webhooks page in headless Chromium at desktop, laptop and phone width: an owner
adds an endpoint (its secret shown once), sends a test event that a real receiver on
loopback gets, and sees the delivery in the log; no serious or critical axe-core
violation, no sideways scrolling."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import expect

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.extensions import db
from webapp.webhook_delivery import deliver_due_webhooks


def test_add_an_endpoint_test_it_and_read_the_log(app, live_server, page, session, screenshot):
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        restaurant = make_restaurant(session, name="Trattoria Hooks", slug="trattoria-hooks")
        make_owner(session, restaurant, "owner@example.com")
        page.goto(live_server.url + "/login")
        page.get_by_label("E-mail").fill("owner@example.com")
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/owner/**")
        page.goto(live_server.url + "/owner/trattoria-hooks/webhooks")
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()

        page.get_by_label("Address (URL)").fill(
            f"http://127.0.0.1:{server.server_address[1]}/a-rather-long/path/to/the/till/hooks")
        page.get_by_label("Description").fill("The till in the bar")
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_text("it is shown only once")).to_be_visible()
        secret = page.locator("code.token-value").inner_text()
        assert secret.startswith("whsec_")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"webhooks-added-{width}")
            assert axe_violations(page) == [], width
            assert horizontal_overflow(page) == 0, width

        page.set_viewport_size({"width": 1366, "height": 900})
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("A test event is on its way")).to_be_visible()
        with app.app_context():
            report = deliver_due_webhooks(db.session, app.config)
        assert report.sent == 1 and len(received) == 1 and b"webhook.test" in received[0]
        page.reload()
        expect(page.get_by_role("cell", name="delivered")).to_be_visible()
        assert secret not in page.content()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"webhooks-log-{width}")
            assert axe_violations(page) == [], width
            assert horizontal_overflow(page) == 0, width
    finally:
        server.shutdown()
        server.server_close()
