"""The table combinations page in headless Chromium at desktop, laptop and phone width: an
owner goes from the Tables page to it, joins two tables with the checkboxes (a refusal
first: one table only), edits the combination and removes it; no serious or critical
axe-core violation, no sideways scrolling."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import DEFAULT_PASSWORD, join_tables, make_owner, make_restaurant


def _check(page, screenshot, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
        assert axe_violations(page) == [], width
        assert horizontal_overflow(page) == 0, width
    page.set_viewport_size({"width": 1366, "height": 900})


def test_join_tables_edit_and_remove(live_server, page, session, screenshot):
    restaurant = make_restaurant(session, name="Trattoria Insieme", slug="insieme",
                                 tables=[("Napoli", 4), ("Milano", 4), ("Roma", 6),
                                         ("Terrazza grande", 8)])
    join_tables(session, restaurant, ["Roma", "Terrazza grande"], 9, 14,
                name="Roma + Terrazza grande (summer)")
    make_owner(session, restaurant, "owner@example.com")
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill("owner@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/owner/**")
    page.goto(live_server.url + "/owner/insieme/tables")
    page.get_by_role("link", name="Table combinations").click()
    expect(page.get_by_role("heading", name="Table combinations", exact=True)).to_be_visible()

    page.get_by_label("Napoli").check()
    page.get_by_role("button", name="Add combination").click()
    expect(page.get_by_text("Choose 2 or 3 tables to join.")).to_be_visible()
    _check(page, screenshot, "combinations-refused")

    page.get_by_label("Napoli").check()
    page.get_by_label("Milano").check()
    page.get_by_role("button", name="Add combination").click()
    expect(page.get_by_text("Combination Napoli + Milano added.")).to_be_visible()
    row = page.locator('tr[data-combination="Napoli + Milano"]')
    expect(row).to_contain_text("5–8")
    _check(page, screenshot, "combinations-list")

    page.get_by_role("link", name="Edit combination Napoli + Milano").click()
    page.get_by_label("Name", exact=True).fill("Window")
    page.get_by_label("Largest party").fill("7")
    _check(page, screenshot, "combination-edit")
    page.get_by_role("button", name="Save combination").click()
    expect(page.get_by_text("Combination Window saved.")).to_be_visible()
    expect(page.locator('tr[data-combination="Window"]')).to_contain_text("5–7")

    page.get_by_role("button", name="Remove combination Window").click()
    expect(page.get_by_text("Combination Window removed.")).to_be_visible()
    expect(page.locator('tr[data-combination="Window"]')).to_have_count(0)
