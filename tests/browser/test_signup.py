"""A new owner in Chromium: sign-up, the verification link taken from the outbox, the
banner until then; the account pages (sign-up, login, forgot, reset) pass axe-core
(serious, critical) and do not scroll sideways at desktop, tablet and phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.models import OutboxEmail, Restaurant, User

PASSWORD = "a-long-enough-password"


def latest_link(session, kind: str, pattern: str) -> str:
    """The link in the newest e-mail of ``kind``, read from the outbox as sent."""
    session.rollback()  # a new snapshot: the server's commits are visible
    email = session.scalar(select(OutboxEmail).where(OutboxEmail.kind == kind)
                           .order_by(OutboxEmail.id.desc()).limit(1))
    assert email is not None, f"no {kind} e-mail"
    match = re.search(r"https?://\S+" + pattern + r"[A-Za-z0-9_\-]+", email.body_text)
    assert match, email.body_text
    return match.group(0)


@contextmanager
def tab(browser, width: int = 1366, **options) -> Iterator:
    """A page in a fresh context. bypass_csp: axe_violations adds axe-core as an inline
    script, which the app's Content-Security-Policy ('self' only) would block."""
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True,
                                  **options)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def looks_right(page, screenshot, name: str, width: int) -> None:
    assert axe_violations(page) == [], (name, width)
    assert horizontal_overflow(page) == 0, (name, width)
    screenshot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", [1366, 390])
def test_sign_up_and_verify(live_server, browser, session, screenshot, width):
    with tab(browser, width, timezone_id="Europe/Lisbon") as page:
        page.goto(live_server.url + "/")
        page.get_by_role("button", name="Sign up your restaurant").click()  # a link styled as one
        page.wait_for_url("**/signup")
        looks_right(page, screenshot, "signup", width)

        page.get_by_label("E-mail").fill("marie@example.com")
        page.get_by_label("Password").fill("short")
        page.get_by_label("Restaurant name").fill("Chez Marie")
        page.get_by_role("button", name="Create my account").click()
        page.get_by_text("Password must have at least 12 characters.").wait_for()
        looks_right(page, screenshot, "signup-refused", width)

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        page.wait_for_url("**/owner/**")
        banner = page.locator(".verify-banner")
        banner.wait_for()
        assert "marie@example.com" in banner.inner_text()
        assert page.get_by_text("Check your inbox: we sent an e-mail to marie@example.com").count()
        assert axe_violations(page) == []
        assert horizontal_overflow(page) == 0
        screenshot(page, f"signup-dashboard-{width}")

        session.rollback()
        restaurant = session.scalar(select(Restaurant).where(Restaurant.name == "Chez Marie"))
        # The browser's zone came along (static/js/signup.js); nothing is published.
        assert (restaurant.slug, restaurant.timezone, restaurant.published_at) == \
            ("chez-marie", "Europe/Lisbon", None)
        assert page.context.new_page().goto(live_server.url + "/r/chez-marie").status == 404

        # "Send the link again", then the newest link from the outbox.
        page.get_by_role("button", name="Send the link again").click()
        page.get_by_text("We sent a new link to marie@example.com").wait_for()
        link = latest_link(session, "verify_email", "/a/verify/")
        page.goto(link)
        looks_right(page, screenshot, "verify", width)
        page.get_by_role("button", name="Confirm marie@example.com").click()
        page.wait_for_url("**/owner/**")
        page.get_by_text("marie@example.com is confirmed").wait_for()
        assert page.locator(".verify-banner").count() == 0
        session.rollback()
        owner = session.scalar(select(User).where(User.email == "marie@example.com"))
        assert owner.email_verified_at is not None

        page.goto(link)  # used: a clear page, not an error
        assert page.get_by_text("This link was already used.").count() == 1
        looks_right(page, screenshot, "verify-used", width)


def test_account_pages_and_a_reset(live_server, browser, session, screenshot):
    with tab(browser) as page:
        account_pages_and_a_reset(live_server, page, session, screenshot)


def account_pages_and_a_reset(live_server, page, session, screenshot):
    make_owner(session, make_restaurant(session, slug="chez-anna", name="Chez Anna"),
               "anna@example.com")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path, name in (("/login", "login"), ("/forgot", "forgot"), ("/signup", "signup")):
            page.goto(live_server.url + path)
            looks_right(page, screenshot, f"page-{name}", width)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail").fill("anna@example.com")
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If an account exists for that address, we sent a link").wait_for()
    looks_right(page, screenshot, "forgot-sent", 1366)

    link = latest_link(session, "reset_password", "/a/reset/")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(link)
        looks_right(page, screenshot, "reset", width)
    page.get_by_label("New password", exact=True).fill("a-brand-new-password-7")
    page.get_by_label("New password again").fill("a-brand-new-password-7")
    page.get_by_role("button", name="Set the new password").click()
    page.wait_for_url("**/login")
    page.get_by_text("Your new password is set").wait_for()
    looks_right(page, screenshot, "reset-done", 390)

    page.get_by_label("E-mail").fill("anna@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("E-mail or password is not right.").wait_for()
    page.get_by_label("Password").fill("a-brand-new-password-7")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")
    assert "Chez Anna" in page.content()

    page.goto(link)
    assert page.get_by_text("This link was already used.").count() == 1
