"""The booking page /r/<slug>: times by date and party size, booking, and every way it can go wrong."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.clock import fixed_now
from tests.factories import future_day, local, make_restaurant, today
from tests.public.conftest import manage_path
from webapp.booking import service
from webapp.models import OutboxEmail, Reservation, SpecialDay

HTMX = {"HX-Request": "true"}


def guest(day: dt.date, time: str = "19:00", party: int = 2, **extra) -> dict:
    return {"date": day.isoformat(), "time": time, "party_size": str(party), "name": "Ada Lovelace",
            "email": "ada@example.com", "phone": "+44 20 7946 0958", "notes": "Window please",
            **extra}


def count(session, model) -> int:
    session.commit()  # fresh read; the app's requests committed in their own sessions
    return session.scalar(select(func.count()).select_from(model))


def times_in(html: str) -> list[str]:
    return re.findall(r'name="time" value="([^"]+)"', html)


# --------------------------------------------------------------------------- browsing times


def test_page_shows_the_restaurant_and_free_times_grouped_by_service(client, restaurant):
    day = future_day()
    response = client.get(f"/r/bistro?date={day}&party_size=2")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("Bistro Blau", "Seasonal cooking by the canal.", "Kanalstraße 1, Berlin",
                 "+49 30 1234567", "<legend>Lunch</legend>", "<legend>Dinner</legend>"):
        assert text in html
    times = times_in(html)
    assert times[0] == "12:00" and "13:00" in times and "19:00" in times and "21:00" in times
    assert "13:15" not in times  # lunch closes at 15:00 and a stay lasts 2 hours
    assert html.index("<legend>Lunch</legend>") < html.index("<legend>Dinner</legend>")
    assert 'name="name"' in html and 'name="email"' in html and 'name="phone"' in html


def test_first_visit_shows_the_first_day_with_times_for_two(client, restaurant, clock):
    html = client.get("/r/bistro").get_data(as_text=True)
    berlin_now = clock.now().astimezone(ZoneInfo("Europe/Berlin"))
    # Open until 23:00 with 2-hour stays: today still has times until 21:00.
    expected = berlin_now.date() if berlin_now.time() <= dt.time(21) else \
        berlin_now.date() + dt.timedelta(days=1)
    assert re.search(rf'<option value="{expected.isoformat()}" selected>', html)
    assert re.search(r'<option value="2" selected>2 guests', html)
    assert times_in(html)


def test_when_today_is_over_the_first_visit_offers_a_later_day(client, session, clock):
    # Its only service is 00:00-00:30 UTC and bookings close an hour ahead: whatever the time
    # now, today has nothing left to offer.
    make_restaurant(session, slug="early", timezone="UTC", lead_time_minutes=60,
                    default_turn_minutes=15,
                    hours=[(d, dt.time(0, 0), dt.time(0, 30), "Midnight snack") for d in range(7)])
    earliest = clock.now() + dt.timedelta(minutes=60)
    html = client.get("/r/early").get_data(as_text=True)
    selected = dt.date.fromisoformat(re.search(r'<option value="([\d-]+)" selected>', html).group(1))
    assert selected > clock.now().date()
    # After 23:00 UTC the lead time also takes tomorrow's first times (or all of them).
    expected = [t for t in ("00:00", "00:15")
                if dt.datetime.combine(selected, dt.time.fromisoformat(t), dt.UTC) >= earliest]
    assert expected and times_in(html) == expected


def test_htmx_gets_only_the_times_fragment(client, restaurant):
    day = future_day()
    response = client.get(f"/r/bistro?date={day}&party_size=4", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<body" not in html
    assert "19:00" in times_in(html)
    assert 'name="shown_party" value="4"' in html  # the times say what they are for
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_history_restore_gets_the_full_page(client, restaurant):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    html = client.get(f"/r/bistro?date={future_day()}&party_size=2", headers=headers).get_data(
        as_text=True)
    assert "<html" in html


def test_date_choices_are_the_open_days_within_the_horizon(client, session):
    make_restaurant(session, slug="weekends", horizon_days=13,
                    hours=[(5, dt.time(18), dt.time(23), "Dinner"), (6, dt.time(18), dt.time(23), "Dinner")])
    html = client.get("/r/weekends").get_data(as_text=True)
    offered = [dt.date.fromisoformat(v) for v in re.findall(r'<option value="(\d{4}-\d\d-\d\d)"', html)]
    assert offered and all(day.weekday() in (5, 6) for day in offered)
    assert len(offered) == 4  # any 14 days in a row hold two Saturdays and two Sundays
    assert max(offered) <= today() + dt.timedelta(days=14)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_unknown_restaurant_is_a_404_page(client, session, headers):
    response = client.get("/r/nowhere", headers=headers)
    assert response.status_code == 404
    assert "There is no restaurant at this address" in response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_closed_day_says_so(client, session, restaurant, headers):
    day = future_day(10)
    session.add(SpecialDay(restaurant_id=restaurant.id, start_date=day, end_date=day, closed=True,
                           reason="private party"))
    session.commit()
    response = client.get(f"/r/bistro?date={day}&party_size=2", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"We are closed on {day:%A} {day.day} {day:%B} (private party)" in html
    assert times_in(html) == []
    # The picker (full page only) names the date the message is about, as not bookable.
    assert f'<option value="{day}" >' not in html
    if headers:
        assert "<option" not in html
    else:
        assert f'<option value="{day}" selected>{day:%a} {day.day} {day:%b %Y} (not bookable)' \
            in html


@pytest.mark.parametrize(("query", "message"), [
    ("date=2020-01-01&party_size=2", "That date has passed"),
    (f"date={fixed_now().date() + dt.timedelta(days=400)}&party_size=2", "Bookings open 365 days ahead"),
    (f"date={fixed_now().date() + dt.timedelta(days=7)}&party_size=9",
     "For parties of more than 8 please call us at +49 30 1234567"),
])
def test_dates_and_parties_a_guest_cannot_book(client, restaurant, query, message):
    for headers in ({}, HTMX):
        response = client.get(f"/r/bistro?{query}", headers=headers)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert message in html and times_in(html) == []


def test_fully_booked_day_says_so(client, session):
    resto = make_restaurant(session, slug="tiny", tables=[("Solo", 2)],
                            hours=[(d, dt.time(18), dt.time(20), "Dinner") for d in range(7)])
    day = future_day()
    service.book(session, resto, starts_at=local(resto, day, 18), party_size=2,
                 guest=service.GuestDetails("Other", "other@example.com"))
    html = client.get(f"/r/tiny?date={day}&party_size=2").get_data(as_text=True)
    assert "fully booked for 2" in html and times_in(html) == []


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_bad_query_is_a_422_with_messages(client, restaurant, headers):
    response = client.get("/r/bistro?date=banana&party_size=0", headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD" in html
    assert "A party is between 1 and 99 guests." in html


# --------------------------------------------------------------------------- booking


def test_booking_redirects_to_the_private_page_and_queues_the_confirmation(client, session,
                                                                           restaurant):
    day = future_day()
    response = client.post_form("/r/bistro/book", guest(day, "19:30", 3))
    assert response.status_code == 303
    path = manage_path(response)
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your table is booked" in html
    assert f"{day:%A} {day.day} {day:%B %Y}" in html and "19:30" in html and "3 guests" in html
    assert f"http://localhost{path}" in html  # the private link, absolute
    # A reload shows the booking again and books nothing more.
    assert "Your table is booked" not in client.get(path).get_data(as_text=True)
    reservation = session.scalars(select(Reservation)).one()
    assert reservation.starts_at == local(restaurant, day, 19, 30)
    assert (reservation.guest_name, reservation.guest_email, reservation.notes, reservation.source) \
        == ("Ada Lovelace", "ada@example.com", "Window please", "online")
    assert reservation.manage_token_hash == service.hash_token(path.rsplit("/", 1)[1])
    mail = session.scalars(select(OutboxEmail)).one()
    assert (mail.kind, mail.to_address, mail.status, mail.reservation_id) == \
        ("confirmation", "ada@example.com", "pending", reservation.id)
    assert f"http://localhost{path}" in mail.body_text and "19:30" in mail.subject


def test_htmx_booking_answers_with_hx_redirect(client, session, restaurant):
    response = client.post_form("/r/bistro/book", guest(future_day()), headers=HTMX)
    assert response.status_code == 204
    assert client.get(manage_path(response)).status_code == 200
    assert count(session, Reservation) == 1


def test_public_base_url_makes_the_link_in_the_email(client, session, restaurant, app):
    before = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://book.example.org/"
    try:
        path = manage_path(client.post_form("/r/bistro/book", guest(future_day())))
    finally:
        app.config["PUBLIC_BASE_URL"] = before
    body = session.scalars(select(OutboxEmail.body_text)).one()
    assert f"https://book.example.org{path}" in body


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_invalid_details_stay_on_the_form_with_messages(client, session, restaurant, headers):
    day = future_day()
    data = guest(day, name="", email="not-an-email", phone="call me", notes="x" * 1001)
    response = client.post_form("/r/bistro/book", data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Tell us the name for the booking.", "This does not look like an e-mail address",
                    "Enter a phone number", "Keep the notes under 1000 characters."):
        assert message in html
    assert 'value="not-an-email"' in html and 'value="call me"' in html
    assert re.search(r'value="19:00" required checked', html)  # the picked time stays picked
    assert ("<html" in html) is (headers == {})
    assert count(session, Reservation) == 0 and count(session, OutboxEmail) == 0


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_time_just_taken_keeps_the_guest_on_the_form_with_alternatives(client, session, headers):
    resto = make_restaurant(session, slug="solo", tables=[("Solo", 2)])
    day = future_day()
    form_html = client.get(f"/r/solo?date={day}&party_size=2").get_data(as_text=True)
    assert "19:00" in times_in(form_html)
    # Someone else takes the only table while our guest is typing.
    service.book(session, resto, starts_at=local(resto, day, 19), party_size=2,
                 guest=service.GuestDetails("Quick", "quick@example.com"))
    response = client.post_form("/r/solo/book", guest(day, "19:00"), headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "that time was just taken" in html
    assert 'value="Ada Lovelace"' in html and 'value="ada@example.com"' in html
    assert "Window please" in html
    offered = times_in(html)
    assert offered and "19:00" not in offered
    assert set(offered) <= {"12:00", "12:15", "12:30", "12:45", "13:00", "21:00"}
    assert "21:00" in offered  # the first time the table is free again
    # The rolled-back booking left nothing behind: one reservation, no e-mail.
    assert count(session, Reservation) == 1 and count(session, OutboxEmail) == 0


def test_guest_with_an_overlapping_booking_sees_it_at_the_email(client, session, restaurant):
    day = future_day()
    assert client.post_form("/r/bistro/book", guest(day, "19:00")).status_code == 303
    response = client.post_form("/r/bistro/book", guest(day, "19:30", phone="+49 170 1111111"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert ('id="email-error">There is already a booking with this e-mail address at an '
            'overlapping time.') in html
    assert 'id="phone-error"' not in html
    assert count(session, Reservation) == 1 and count(session, OutboxEmail) == 1


def test_guest_with_an_overlapping_booking_by_phone_sees_it_at_the_phone(client, session,
                                                                          restaurant):
    day = future_day()
    assert client.post_form("/r/bistro/book", guest(day, "19:00")).status_code == 303
    response = client.post_form("/r/bistro/book", guest(day, "19:30", email="other@example.com"))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert ('id="phone-error">There is already a booking with this phone number at an '
            'overlapping time.') in html
    assert 'id="email-error"' not in html
    assert count(session, Reservation) == 1


@pytest.mark.parametrize(("time", "status", "message"), [
    ("16:00", 422, "The restaurant does not take bookings at that time."),
    ("19:05", 422, "The restaurant does not take bookings at that time."),
])
def test_times_off_the_grid_are_refused(client, session, restaurant, time, status, message):
    response = client.post_form("/r/bistro/book", guest(future_day(), time))
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert count(session, Reservation) == 0


def test_too_many_guests_is_refused_at_the_party_size(client, session, restaurant):
    response = client.post_form("/r/bistro/book", guest(future_day(), party=9))
    assert response.status_code == 422
    assert "Parties of more than 8 cannot book online" in response.get_data(as_text=True)


def test_a_time_already_passed_is_refused(client, session, restaurant):
    yesterday = today() - dt.timedelta(days=1)
    response = client.post_form("/r/bistro/book", guest(yesterday))
    assert response.status_code == 422
    assert "That time has already passed." in response.get_data(as_text=True)


def test_booking_without_csrf_token_is_refused(client, session, restaurant):
    response = client.post("/r/bistro/book", data=guest(future_day()))
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert count(session, Reservation) == 0


def test_unknown_restaurant_cannot_be_booked(client, session):
    assert client.post_form("/r/nowhere/book", guest(future_day())).status_code == 404


def test_public_writes_are_rate_limited(make_app, session, restaurant):
    limited = make_app(RATELIMIT_ENABLED=True, PUBLIC_WRITE_RATE_LIMIT="2 per minute")
    try:
        client = limited.test_client()
        day = future_day()
        statuses = [client.post_form("/r/bistro/book", guest(day, t, email=f"g{i}@example.com")).status_code
                    for i, t in enumerate(["12:00", "19:00", "21:00"])]
        assert statuses == [303, 303, 429]
        page = client.post_form("/r/bistro/book", guest(day, "13:00"))
        assert "Too many booking requests" in page.get_data(as_text=True)
        assert client.get("/r/bistro").status_code == 200  # reading is not limited
    finally:
        make_app()  # the limiter is one object for all apps: switch it off again
    assert count(session, Reservation) == 2


# --------------------------------------------------------------------------- time zones


def night_clocks_go_back() -> dt.date:
    """The next Saturday whose night has the European change back to winter time
    (the last Sunday of October, 03:00 CEST -> 02:00 CET)."""
    now = today()
    for year in (now.year, now.year + 1):
        sunday = dt.date(year, 10, 31)
        sunday -= dt.timedelta(days=(sunday.weekday() + 1) % 7)
        if sunday - dt.timedelta(days=1) > now:
            return sunday - dt.timedelta(days=1)
    raise AssertionError("unreachable")


def test_repeated_wall_time_shows_its_offset_and_books_the_right_instant(client, session):
    resto = make_restaurant(session, slug="nightowl", tables=[("Bar", 2)], horizon_days=400,
                            default_turn_minutes=60,
                            hours=[(5, dt.time(22), dt.time(4), "Late night")])
    day = night_clocks_go_back()
    html = client.get(f"/r/nightowl?date={day}&party_size=2").get_data(as_text=True)
    assert "02:30 (CEST, UTC+02:00)" in html and "02:30 (CET, UTC+01:00)" in html
    assert "02:30+01:00" in times_in(html) and "22:00" in times_in(html)
    assert "01:30" in times_in(html)  # happens once: no offset shown
    response = client.post_form("/r/nightowl/book", guest(day, "02:30+01:00"))
    assert response.status_code == 303
    reservation = session.scalars(select(Reservation)).one()
    sunday = day + dt.timedelta(days=1)
    assert reservation.starts_at == dt.datetime.combine(sunday, dt.time(1, 30), tzinfo=dt.UTC)
    assert "02:30 (CET, UTC+01:00)" in client.get(manage_path(response)).get_data(as_text=True)
    assert resto.id == reservation.restaurant_id


def test_a_locked_up_database_is_a_503_with_a_message_not_a_500(make_app, session, restaurant,
                                                                backend):
    busy = make_app(BOOKING_LOCK_TIMEOUT_MS=200)
    blocker = session.get_bind().raw_connection()  # another connection holding the write lock
    try:
        cursor = blocker.cursor()
        if backend == "postgresql":
            cursor.execute("LOCK TABLE reservations IN EXCLUSIVE MODE")
        else:
            cursor.execute("BEGIN IMMEDIATE")
        response = busy.test_client().post_form("/r/bistro/book", guest(future_day()))
    finally:
        blocker.rollback()
        blocker.close()
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    if backend == "postgresql":  # lock_timeout inside the service's transaction: LockTimeout
        assert "The restaurant is very busy right now" in html
    else:  # SQLite is busy already at BEGIN IMMEDIATE, before the service translates errors
        assert ("The restaurant is very busy right now" in html
                or "The booking database is unavailable right now" in html)
    assert count(session, Reservation) == 0 and count(session, OutboxEmail) == 0
