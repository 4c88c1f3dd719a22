"""The browser harness itself: Chromium loads our pages with their local assets."""

from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant


def test_login_in_a_real_browser(live_server, page, session, screenshot):
    restaurant = make_restaurant(session, name="Browser Bistro")
    make_owner(session, restaurant, "owner@example.com")
    failed_requests = []
    page.on("requestfailed", lambda request: failed_requests.append(request.url))
    page.goto(live_server.url + "/login")
    assert page.evaluate("typeof window.htmx") == "object", "htmx is served locally"
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")
    assert "Browser Bistro" in page.content()
    screenshot(page, "owner-after-login")
    assert failed_requests == []
