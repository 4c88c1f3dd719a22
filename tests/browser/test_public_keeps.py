"""The booking page in real Chromium, JavaScript on and off, desktop and phone widths:
a new party keeps the details and the time, and a date changed without asking for its
times re-shows them instead of booking the old date."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import future_day, local, make_restaurant
from webapp.models import Reservation

WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture
def bistro(session):
    return make_restaurant(session, slug="bistro", name="Bistro Blau", phone="+49 30 1234567",
                           address="Kanalstraße 1, Berlin", tables=[("T1", 2), ("T2", 4)])


@pytest.fixture(params=[(js, width) for js in (True, False) for width in WIDTHS],
                ids=lambda p: f"{'js' if p[0] else 'no-js'}-{p[1]}")
def guest_page(request, browser):
    js, width = request.param
    w, h = WIDTHS[width]
    context = browser.new_context(java_script_enabled=js, viewport={"width": w, "height": h})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.js, page.label = js, f"{'js' if js else 'no-js'}-{width}"
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda msg: problems.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.problems = problems
    yield page
    context.close()


def details(page) -> dict[str, str]:
    return {label: page.get_by_label(label).input_value()
            for label in ("Name", "E-mail", "Phone", "Notes (optional)")}


TYPED = {"Name": "Ada Lovelace", "E-mail": "ada@example.com", "Phone": "+44 20 7946 0958",
         "Notes (optional)": "A high chair, please"}


def type_details(page) -> None:
    for label, value in TYPED.items():
        page.get_by_label(label).fill(value)


def change_choice(page, select_id: str, value: str, heading: str) -> None:
    """Choose in a dropdown; without JavaScript the guest then presses 'Show free times'."""
    page.locator(f"#{select_id}").select_option(value)
    if not page.js:
        page.get_by_role("button", name="Show free times").click()
    page.locator(".times-heading", has_text=heading).wait_for()


def no_horizontal_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def booked(session) -> list[Reservation]:
    session.commit()
    return list(session.scalars(select(Reservation)))


def test_a_new_party_or_date_keeps_the_details_and_the_time(live_server, guest_page, session, bistro,
                                                    screenshot):
    page, day = guest_page, future_day()
    page.goto(f"{live_server.url}/r/bistro?date={day}&party_size=2")
    page.locator("label.time-choice", has_text="19:00").first.click()
    type_details(page)
    change_choice(page, "party_size", "4", "4 guests")
    assert details(page) == TYPED
    assert page.locator('input[name="time"][value="19:00"]').is_checked()
    no_horizontal_overflow(page)
    screenshot(page, f"public-kept-after-party-change-{page.label}")
    new_day = future_day(9)  # and a new date: still everything kept
    change_choice(page, "date", new_day.isoformat(), f"{new_day.day} {new_day:%B %Y}")
    assert details(page) == TYPED
    assert page.locator('input[name="time"][value="19:00"]').is_checked()

    page.get_by_role("button", name="Confirm booking").click()
    page.wait_for_url("**/r/bistro/b/**")
    (reservation,) = booked(session)
    assert (reservation.starts_at, reservation.party_size) == (local(bistro, new_day, 19), 4)
    assert reservation.guest_name == "Ada Lovelace" and reservation.notes == TYPED["Notes (optional)"]
    assert page.problems == []


def test_a_date_changed_without_its_times_is_not_booked(live_server, guest_page, session,
                                                        bistro, screenshot):
    page, shown, chosen = guest_page, future_day(), future_day(5)
    page.goto(f"{live_server.url}/r/bistro?date={shown}&party_size=2")
    page.locator("label.time-choice", has_text="18:45").first.click()
    type_details(page)
    if page.js:
        # With htmx the times follow the dropdown at once; a confirm sent before they
        # arrive is the same case as no JavaScript: the shown date is put back as it was.
        page.evaluate("(day) => document.querySelector('input[name=shown_date]').value = day",
                      shown.isoformat())
        page.evaluate("(day) => { const s = document.getElementById('date');"
                      " s.value = day; }", chosen.isoformat())
    else:
        page.locator("#date").select_option(chosen.isoformat())  # no "Show free times"
    page.get_by_role("button", name="Confirm booking").click()
    notice = page.locator(".notice-warning", has_text="You changed the date")
    notice.wait_for()
    assert page.locator(".times-heading").inner_text().startswith(
        f"{chosen:%A} {chosen.day} {chosen:%B %Y}")
    assert details(page) == TYPED
    assert booked(session) == []
    no_horizontal_overflow(page)
    screenshot(page, f"public-stale-date-{page.label}")

    page.get_by_role("button", name="Confirm booking").click()  # 18:45 is free then too
    page.wait_for_url("**/r/bistro/b/**")
    (reservation,) = booked(session)
    assert reservation.starts_at == local(bistro, chosen, 18, 45)
    assert page.problems == []


@pytest.mark.parametrize("width", [1366, 1024, 390])
def test_the_page_states_fit_every_width(live_server, browser, session, clock, width,
                                         screenshot):
    """The messages this page can show, looked at (screenshots) and free of sideways
    scrolling: a party above the online limit, online booking closed for today, a
    sold-out dinner's alternatives with other days."""
    import datetime as dt

    from webapp.booking import service

    clock.set(dt.datetime(2030, 6, 12, 8, 0, tzinfo=dt.UTC))  # 10:00 in Berlin
    make_restaurant(session, slug="late", name="Spät", phone="+49 30 7654321",
                    lead_time_minutes=14 * 60)
    big = make_restaurant(session, slug="big", name="Long Table", phone="+49 30 5550000",
                          tables=[("Big", 8)])
    day = future_day()
    service.book(session, big, starts_at=local(big, day, 19), party_size=8,
                 guest=service.GuestDetails("Party", "party@example.com"))
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/r/big?date={day}&party_size=12")
        page.get_by_text("For parties of more than 8 please call us").wait_for()
        assert page.locator("#party_size").input_value() == "12"
        no_horizontal_overflow(page)
        screenshot(page, f"public-party-too-large-{width}")

        page.goto(f"{live_server.url}/r/late?date=2030-06-12&party_size=2")
        page.get_by_text("Online booking has closed for today.").wait_for()
        no_horizontal_overflow(page)
        screenshot(page, f"public-closed-for-today-{width}")

        page.goto(f"{live_server.url}/r/big?date={day}&party_size=8")
        page.locator("label.time-choice", has_text="21:00").first.wait_for()
        # Taken between showing and confirming: the guest's form still offers 19:00.
        page.evaluate("""() => { const i = document.querySelector('input[name=time]');
                                 i.value = '19:00'; i.checked = true; }""")
        type_details(page)
        page.get_by_role("button", name="Confirm booking").click()
        page.locator(".notice-warning", has_text="that time was just taken").wait_for()
        later = page.locator(".other-day-list button")
        assert later.count() == 3
        no_horizontal_overflow(page)
        screenshot(page, f"public-alternatives-{width}")
        later.first.click()  # shows that day, the time picked, the details kept
        next_day = day + dt.timedelta(days=1)
        page.locator(".times-heading", has_text=f"{next_day.day} {next_day:%B %Y}").wait_for()
        assert page.locator('input[name="time"][value="19:00"]').is_checked()
        assert details(page) == TYPED
        assert page.locator("#date").input_value() == next_day.isoformat()
    finally:
        context.close()


def test_a_change_to_a_date_without_its_times_is_not_made(live_server, guest_page, session,
                                                          bistro, screenshot):
    """The manage page's change form: a date changed without "Show free times" (or, with
    JavaScript, a confirm sent before the new times arrived) re-shows the times for the
    new date with a message; the booking stays until the guest confirms again."""
    from webapp.booking import service

    page, day, chosen = guest_page, future_day(), future_day(5)
    result = service.book(session, bistro, starts_at=local(bistro, day, 19), party_size=2,
                          guest=service.GuestDetails("Ada Lovelace", "ada@example.com"))
    page.goto(f"{live_server.url}/r/bistro/b/{result.manage_token}")
    page.locator("label.time-choice", has_text="20:15").first.click()
    if page.js:
        page.evaluate("(day) => { document.getElementById('date').value = day; }",
                      chosen.isoformat())  # no change event: the times stay the old date's
    else:
        page.locator("#date").select_option(chosen.isoformat())  # no "Show free times"
    page.get_by_role("button", name="Change my booking").click()
    page.locator(".notice-warning", has_text="You changed the date").wait_for()
    assert page.locator(".times-heading").inner_text().startswith(
        f"{chosen:%A} {chosen.day} {chosen:%B %Y}")
    assert page.locator('input[name="time"][value="20:15"]').is_checked()
    (reservation,) = booked(session)
    assert reservation.starts_at == local(bistro, day, 19) and reservation.version == 1
    no_horizontal_overflow(page)
    screenshot(page, f"public-change-stale-date-{page.label}")

    page.get_by_role("button", name="Change my booking").click()
    page.get_by_text("Your booking is changed").wait_for()
    session.expire_all()
    (reservation,) = booked(session)
    assert reservation.starts_at == local(bistro, chosen, 20, 15)
    assert page.problems == []


def test_show_free_times_on_the_change_form(live_server, guest_page, session, bistro):
    """A new party on the change form shows its times (htmx, or "Show free times"), the
    booking's time kept picked while it is free."""
    from webapp.booking import service

    page, day = guest_page, future_day()
    result = service.book(session, bistro, starts_at=local(bistro, day, 19), party_size=2,
                          guest=service.GuestDetails("Ada Lovelace", "ada@example.com"))
    page.goto(f"{live_server.url}/r/bistro/b/{result.manage_token}")
    assert page.locator('input[name="time"][value="19:00"]').is_checked()
    change_choice(page, "party_size", "4", "4 guests")
    assert page.locator('input[name="time"][value="19:00"]').is_checked()
    (reservation,) = booked(session)
    assert reservation.party_size == 2  # showing times writes nothing
    page.get_by_role("button", name="Change my booking").click()
    page.get_by_text("Your booking is changed").wait_for()
    session.expire_all()
    (reservation,) = booked(session)
    assert (reservation.starts_at, reservation.party_size) == (local(bistro, day, 19), 4)
    assert page.problems == []
