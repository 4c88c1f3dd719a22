"""The Staff page, the invitation page and the API tokens page in headless Chromium, at
desktop, laptop and phone width: no serious or critical axe-core violation, no sideways
scrolling; an owner invites someone, who opens the e-mailed link in another browser,
makes an account and lands on the day view."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, make_owner, make_restaurant
from webapp.models import OutboxEmail

LINK = re.compile(r"https?://\S+/a/invite/[A-Za-z0-9_\-]+")


def _log_in(page, live_server, email="owner@example.com"):
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")


def _widest(page) -> list[str]:
    """The elements reaching past the viewport's right edge (to say what overflows)."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 30))""")


def _check_widths(page, screenshot, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
        assert axe_violations(page) == [], (name, width)
        assert horizontal_overflow(page) == 0, (name, width, _widest(page))


def test_staff_invitation_and_tokens_pages(live_server, browser, session, screenshot):
    # axe-core goes in as an inline script, which the app's CSP refuses: bypass it here.
    owner = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    owner.set_default_timeout(10_000)
    page = owner.new_page()
    restaurant = make_restaurant(session, name="Trattoria Browser", slug="trattoria-browser")
    make_owner(session, restaurant, "owner@example.com")
    colleague = make_owner(session, restaurant, "a.very.long.address.for.a.colleague@example.com",
                           role="staff")
    colleague.name = "Giovanni Battista"
    session.commit()
    _log_in(page, live_server)

    page.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    page.get_by_label("E-mail").fill("new.cook@example.com")
    page.locator("select#role").select_option("staff")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash")).to_contain_text("Invitation sent to new.cook@example.com")
    expect(page.locator(".staff-invitations")).to_contain_text("new.cook@example.com")
    _check_widths(page, screenshot, "owner-staff")

    # The last owner's refusal, as the page shows it.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_label("Role of Giovanni Battista", exact=True).select_option("owner")
    page.get_by_role("button", name="Change the role of Giovanni Battista").click()
    expect(page.locator(".flash")).to_contain_text("Role changed")

    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Till system")
    page.locator("#scope-bookings").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".token-value")).to_contain_text("bm_")
    expect(page.locator(".tokens-list")).to_contain_text("bookings")
    _check_widths(page, screenshot, "owner-tokens")

    session.expire_all()
    mail = session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "invitation"))
    link = LINK.search(mail.body_text).group(0)
    assert link.startswith(live_server.url)

    guest = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    guest.set_default_timeout(10_000)
    invited = guest.new_page()
    invited.goto(link)
    expect(invited.get_by_role("heading", name="Join Trattoria Browser")).to_be_visible()
    _check_widths(invited, screenshot, "invitation")
    invited.set_viewport_size({"width": 390, "height": 900})
    invited.get_by_label("Your name").fill("Nina Cook")
    invited.get_by_label("Password", exact=True).fill("a-long-kitchen-pass")
    invited.get_by_label("Password again").fill("a-long-kitchen-pass")
    invited.get_by_role("button", name="Make my account and join").click()
    invited.wait_for_url("**/owner/trattoria-browser/**")
    expect(invited.locator(".flash")).to_contain_text("Welcome to Trattoria Browser")
    # The link worked once: opened again, it says so.
    invited.goto(link)
    expect(invited.get_by_role("heading", name="This invitation can no longer be used")
           ).to_be_visible()
    _check_widths(invited, screenshot, "invitation-used")
    guest.close()
    owner.close()
