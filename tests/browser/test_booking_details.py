"""In Chromium, with JavaScript on and off, at 1366 and 390 px: the guest's booking page
states the booking and "Add to calendar" downloads a valid .ics; the development mailbox
shows the e-mail and its manage link opens the booking."""

from __future__ import annotations

import icalendar
import pytest

from tests.factories import future_day, local
from tests.public.conftest import MANAGE_PATH
from webapp.booking import service
from webapp.notifications.outbox import MailWriter

WIDTHS = [1366, 390]


@pytest.fixture
def bistro(session):
    from tests.factories import make_restaurant

    return make_restaurant(session, slug="bistro", name="Bistro Blau",
                           address="Kanalstraße 1, Berlin", phone="+49 30 1234567",
                           tables=[("T1", 2), ("T2", 4)])


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - "
                         "document.documentElement.clientWidth")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
def test_booking_page_facts_and_calendar_download(live_server, browser, session, bistro,
                                                  screenshot, width, javascript):
    day = future_day()
    mail = MailWriter(link_for=lambda token: f"{live_server.url}/r/bistro/b/{token}")
    service.book(session, bistro, starts_at=local(bistro, day, 19), party_size=2,
                 guest=service.GuestDetails("Ada Lovelace", "ada@example.com", "",
                                            "A quiet corner, please"), after_write=mail)
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  java_script_enabled=javascript, accept_downloads=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/r/bistro/b/{mail.manage_token}")
        summary = page.locator(".booking-summary").inner_text()
        for fact in (f"{day:%A} {day.day} {day:%B %Y}", "19:00", "until 21:00 (2 h)",
                     "2 guests", "A quiet corner, please", "Kanalstraße 1, Berlin",
                     "+49 30 1234567"):
            assert fact in summary, fact
        assert overflow(page) == 0
        screenshot(page, f"public-manage-details-{width}-{'js' if javascript else 'nojs'}")
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Add to calendar (.ics)").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".ics")
        with open(download.path(), "rb") as handle:
            event = icalendar.Calendar.from_ical(handle.read()).walk("VEVENT")[0]
        assert event.decoded("dtstart") == local(bistro, day, 19)
        assert event.decoded("dtend") == local(bistro, day, 21)
        assert str(event["location"]) == "Kanalstraße 1, Berlin"
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_dev_mailbox_link_opens_the_booking(live_server, browser, session, bistro, screenshot,
                                            width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/r/bistro")
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        day = future_day().isoformat()
        answer = page.request.post(f"{live_server.url}/r/bistro/book", max_redirects=0, form={
            "csrf_token": csrf, "date": day, "party_size": "2", "time": "19:00",
            "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958"})
        assert answer.status == 303, answer.text()[:500]
        path = MANAGE_PATH.search(answer.headers["location"]).group(0)
        page.goto(f"{live_server.url}/dev/mail")
        assert overflow(page) == 0
        screenshot(page, f"dev-mailbox-{width}")
        page.locator(".dev-mail-body a", has_text=path).first.click()
        page.wait_for_url(f"**{path}")
        page.locator(".booking-summary", has_text="Ada Lovelace").wait_for()
    finally:
        context.close()
