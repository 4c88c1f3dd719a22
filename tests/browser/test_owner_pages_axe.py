"""Every owner page in headless Chromium at desktop, laptop and phone width: no serious or
critical axe-core violation and no sideways scrolling of the page (issue 17's proof for
the pages other tests do not walk through). The list is taken from the URL map, so a new
owner page without an entry here fails the coverage test below."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.browser.conftest import WIDTHS, axe_violations, horizontal_overflow
from tests.factories import (
    DEFAULT_PASSWORD,
    future_day,
    join_tables,
    local,
    make_owner,
    make_restaurant,
)
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import DiningTable, OpeningHours, SpecialDay

# Owner GET routes that are no page a person reads (fragments, files, redirects).
NOT_PAGES = {"owner.grid", "owner.insights_csv", "owner.reservation_csv", "owner.share_qr",
             "owner.guide_slug_check", "owner.home", "owner.pick_day", "owner.this_week",
             "owner.guide_start", "owner.index"}


def _pages(ref: str, ids: dict) -> dict[str, str]:
    day = ids["day"]
    return {
        "auth.account": "/account",
        "owner.day": f"/owner/{ref}/day/{day}",
        "owner.week": f"/owner/{ref}/week/{day}",
        "owner.insights": f"/owner/{ref}/insights",
        "owner.reservation_list": f"/owner/{ref}/reservations",
        "owner.waitlist": f"/owner/{ref}/waitlist?date={day}",
        "owner.reservation_detail": f"/owner/{ref}/reservations/{ids['reservation']}",
        "owner.new_reservation": f"/owner/{ref}/reservations/new?date={day}",
        "owner.tables": f"/owner/{ref}/tables",
        "owner.edit_table": f"/owner/{ref}/tables/{ids['table']}",
        "owner.deactivate_table": f"/owner/{ref}/tables/{ids['table']}/deactivate",
        "owner.combinations": f"/owner/{ref}/tables/combinations",
        "owner.edit_combination": f"/owner/{ref}/tables/combinations/{ids['combination']}",
        "owner.hours": f"/owner/{ref}/hours",
        "owner.edit_hours": f"/owner/{ref}/hours/{ids['hours']}",
        "owner.special_days": f"/owner/{ref}/special-days",
        "owner.edit_special_day": f"/owner/{ref}/special-days/{ids['special']}",
        "owner.settings": f"/owner/{ref}/settings",
        "owner.staff": f"/owner/{ref}/staff",
        "owner.tokens": f"/owner/{ref}/tokens",
        "owner.webhooks": f"/owner/{ref}/webhooks",
        "owner.share": f"/owner/{ref}/share",
        "owner.calendar_feed": f"/owner/{ref}/calendar-feed",
        "owner.new_restaurant": "/owner/new",
        "owner.guide_restaurant": f"/owner/{ref}/setup-guide/restaurant",
        "owner.guide_tables": f"/owner/{ref}/setup-guide/tables",
        "owner.guide_hours": f"/owner/{ref}/setup-guide/hours",
        "owner.guide_rules": f"/owner/{ref}/setup-guide/rules",
        "owner.guide_publish": f"/owner/{ref}/setup-guide/publish",
    }


def _owner_get_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and (rule.rule.startswith("/owner") or rule.rule == "/account")}


def test_every_owner_page_is_in_the_sweep(app):
    listed = set(_pages("x", {"day": "2030-01-01", "reservation": 1, "table": 1, "hours": 1,
                              "special": 1, "combination": 1}))
    missing = _owner_get_endpoints(app) - listed - NOT_PAGES
    assert not missing, f"add these owner pages to the sweep: {sorted(missing)}"


@pytest.fixture
def seeded(session):
    restaurant = make_restaurant(session, name="Trattoria Sweep", slug="sweep",
                                 tables=[("Napoli", 4), ("Milano", 4), ("A very long table name", 2)],
                                 phone="+49 30 1234567", address="Via Roma 1, Berlin")
    make_owner(session, restaurant, "owner@example.com")
    day = future_day(3)
    booked = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=2, guest=GuestDetails("Ada Lovelace", "ada@example.com",
                                                           "+49 170 1234567", "Window, please"),
                          source="phone")
    special = SpecialDay(restaurant_id=restaurant.id, start_date=future_day(20),
                         end_date=future_day(21), closed=True, reason="Holidays")
    session.add(special)
    session.commit()
    combination = join_tables(session, restaurant, ["Napoli", "A very long table name"], 5, 6)
    table = session.query(DiningTable).filter_by(restaurant_id=restaurant.id).first()
    hours = session.query(OpeningHours).filter_by(restaurant_id=restaurant.id).first()
    return {"day": day.isoformat(), "reservation": booked.reservation.id, "table": table.id,
            "hours": hours.id, "special": special.id, "combination": combination.id}


# The login form's words in each dashboard language (German words are long: every page
# is swept in German too, the language chosen on the login page's menu).
LOGIN = {"en": ("E-mail", "Password", "Log in"), "de": ("E-Mail", "Passwort", "Anmelden")}


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_owner_page_passes_axe_and_fits(live_server, page, seeded, screenshot, language):
    page.goto(live_server.url + f"/login?lang={language}")
    assert page.locator("html").get_attribute("lang") == language
    for width in WIDTHS:  # the login page itself, before logging in
        page.set_viewport_size({"width": width, "height": 900})
        assert horizontal_overflow(page) == 0 and axe_violations(page) == [], width
    email, password, button = LOGIN[language]
    page.get_by_label(email).fill("owner@example.com")
    page.get_by_label(password).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/owner/**")
    findings = []
    for endpoint, path in _pages("sweep", seeded).items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, (endpoint, response)
            assert page.locator("html").get_attribute("lang") == language, endpoint
            violations = axe_violations(page)
            overflow = horizontal_overflow(page)
            if violations or overflow:
                screenshot(page, f"sweep-{language}-{endpoint}-{width}")
                findings.append((endpoint, width, overflow, violations))
    assert not findings, "\n".join(map(str, findings))
