"""Confirm from a reminder, in real Chromium with JavaScript on and off, at 1366 and 390 px:
the reminder planned with the booking is delivered through a real SMTP server on
loopback by the outbox's own delivery pass; its Confirm link, opened in the browser,
shows the booking and a button; pressing it confirms, and the owner's day grid and the
API show the booking confirmed."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from tests.public.conftest import smtp_server  # noqa: F401  (the SMTP server fixture)
from webapp.auth.tokens import create_token
from webapp.booking import service
from webapp.models import OutboxEmail, Reservation
from webapp.notifications import MailWriter, deliver_due

WIDTHS = {1366: 900, 390: 844}


@pytest.fixture
def bistro(session):
    return make_restaurant(session, slug="bistro", name="Bistro Blau", phone="+49 30 1234567",
                           address="Kanalstraße 1, Berlin", tables=[("T1", 2), ("T2", 4)],
                           reminder_hours=24)


def delivered_reminder(app, session, server, restaurant, starts_at) -> str:
    """The reminder's Confirm link, as the guest's mail program shows it: the outbox's
    delivery pass at the reminder's due time, through the SMTP server on loopback."""
    (row,) = session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "reminder")).all()
    assert row.next_attempt_at == starts_at - dt.timedelta(hours=24)
    session.commit()
    config = {**app.config, "MAIL_SERVER": server.host, "MAIL_PORT": server.port,
              "MAIL_USE_TLS": False, "MAIL_DEFAULT_SENDER": "bistro@example.org"}
    report = deliver_due(session, config, now=row.next_attempt_at)
    assert report.sent >= 1, report
    parsed = [email.message_from_bytes(raw, policy=policy.default) for raw in server.messages]
    (reminder,) = [m for m in parsed if m["Subject"].strip().startswith("Reminder")]
    assert reminder["To"] == "ada@example.com"
    text = reminder.get_body(("plain",)).get_content()
    return re.search(r"Confirm: +(\S+)", text)[1]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_confirm_from_the_reminder_link(app, live_server, browser, session, bistro,
                                        smtp_server, screenshot, width, javascript):  # noqa: F811
    day = future_day()
    starts_at = local(bistro, day, 19)
    reservation_id = service.book(
        session, bistro, starts_at=starts_at, party_size=2,
        guest=service.GuestDetails("Ada Lovelace", "ada@example.com", "+44 20 7946 0958"),
        after_write=MailWriter(link_for=lambda t: f"{live_server.url}/r/bistro/b/{t}")
    ).reservation.id
    link = delivered_reminder(app, session, smtp_server, bistro, starts_at)
    assert link.startswith(f"{live_server.url}/r/bistro/b/") and link.endswith("/confirm")
    make_owner(session, bistro, "owner@example.com")
    _, api_token = create_token(session, bistro.id, "browser test")
    session.commit()

    label = f"{width}-{'js' if javascript else 'no-js'}"
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]},
                                  java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(link)
        page.get_by_role("heading", name="Are you coming?").wait_for()
        facts = page.locator(".confirm-facts").inner_text()
        assert f"{day:%A} {day.day} {day:%B %Y} at 19:00, 2 guests" in facts
        session.commit()  # a new read: SQLite keeps a transaction's first snapshot
        assert session.get(Reservation, reservation_id).confirmed_at is None  # GET: nothing
        screenshot(page, f"guest-reminder-confirm-{label}")

        page.get_by_role("button", name="Yes, I am coming").click()
        page.get_by_text("Thank you, your booking is confirmed.").wait_for()
        page.get_by_role("heading", name="You are expected").wait_for()
        # The answer is a new page: its heading can be found before its stylesheets apply
        # (unstyled, the manage link overflowed by 10 px on a loaded CI machine).
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.scrollWidth"
                             " - document.documentElement.clientWidth") == 0
        screenshot(page, f"guest-reminder-confirmed-{label}")
        session.commit()  # a new read: SQLite keeps a transaction's first snapshot
        assert session.get(Reservation, reservation_id).confirmed_at is not None

        # The owner sees it: the API's reservation and the day grid.
        answer = page.request.get(
            f"{live_server.url}/api/v1/restaurants/bistro/reservations/{reservation_id}",
            headers={"Authorization": f"Bearer {api_token}"})
        assert answer.status == 200, answer.text()[:300]
        assert answer.json()["confirmed_at"] is not None
        page.goto(f"{live_server.url}/login")
        page.get_by_label("E-mail").fill("owner@example.com")
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/owner/**")
        page.goto(f"{live_server.url}/owner/bistro/day/{day.isoformat()}")
        cell = page.locator(f"#booking-{reservation_id}")  # the grid's booking (a phone
        assert cell.get_attribute("data-confirmed") == "yes"  # opens on the list view)
        assert "✓ confirmed" in (cell.text_content() or "")
        arrival = page.locator(f"#arrival-{reservation_id}")
        if arrival.count():  # the list view of the day, where there is one
            assert "✓ confirmed" in (arrival.text_content() or "")
        assert problems == []
    finally:
        context.close()
