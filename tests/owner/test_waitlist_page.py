"""The waitlist page /owner/<slug>/waitlist: the date's line in order, a guest added,
moved up and down, removed (a live offer's hold with it), seated from the list (a
reservation, the entry booked); bad input answered with field messages and nothing
written; staff allowed, other restaurants 404, CSRF; English and German (both backends)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp.booking import service, waitlist
from webapp.models import Hold, Reservation, WaitlistEntry

PAGE = "/owner/chez-test/waitlist"
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def join(session, restaurant, name: str, day: dt.date | None = None, party: int = 2,
         earliest=dt.time(18), latest=dt.time(21)) -> WaitlistEntry:
    return waitlist.join(session, restaurant, day=day or future_day(), party_size=party,
                         earliest=earliest, latest=latest,
                         guest=service.GuestDetails(name, f"{name.lower()}@example.com", ""),
                         language="en").entry


def line(session, restaurant, day: dt.date | None = None) -> list[tuple[str, str]]:
    session.expire_all()
    return [(e.guest_name, e.status) for e in waitlist.line(session, restaurant,
                                                           day or future_day())]


def entry(session, entry_id: int) -> WaitlistEntry:
    session.expire_all()
    return session.get_one(WaitlistEntry, entry_id)


def fill(session, restaurant, day: dt.date, hours: tuple[int, ...] = (18, 20)) -> None:
    """Every table booked at each of ``hours`` for the turn (two hours)."""
    for hour in hours:
        for table in restaurant.tables:
            service.book(session, restaurant, starts_at=local(restaurant, day, hour),
                         party_size=2, table_id=table.id, source="phone",
                         guest=service.GuestDetails(f"Taken {table.name} {hour}", "", ""))


def test_the_nav_links_to_the_page_and_an_empty_date_says_so(owner_client):
    day = future_day()
    page = owner_client.get(f"{PAGE}?date={day.isoformat()}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'href="{PAGE}" aria-current="page"' in text
    assert "Nobody is on the waitlist for this date." in text
    assert f'name="date" value="{day.isoformat()}"' in text
    assert owner_client.get(f"{PAGE}?date=not-a-day").status_code == 404


def test_the_line_in_order_with_window_contact_and_live_offer(owner_client, session, restaurant):
    day = future_day()
    fill(session, restaurant, day)
    first = join(session, restaurant, "Ada", earliest=dt.time(19), latest=dt.time(20, 30))
    join(session, restaurant, "Bob", party=4)
    assert waitlist.make_offers(session, restaurant) == []  # all full: nobody offered
    text = owner_client.get(f"{PAGE}?date={day.isoformat()}").get_data(as_text=True)
    ada = text.split(f'data-entry="{first.id}"')[1].split("</tr>")[0]
    assert ">1<" in ada and "19:00–20:30" in ada and "ada@example.com" in ada
    assert "In line" in ada
    assert text.index("Ada") < text.index("Bob")

    # The 20:00 booking on T1 cancelled: Ada is offered it, held until the offer ends.
    taken = session.scalars(select(Reservation).where(
        Reservation.guest_name == "Taken T1 20")).one()
    service.cancel(session, restaurant, taken.id)
    offers = waitlist.make_offers(session, restaurant)
    assert [o.entry_id for o in offers] == [first.id]
    text = owner_client.get(f"{PAGE}?date={day.isoformat()}").get_data(as_text=True)
    ada = text.split(f'data-entry="{first.id}"')[1].split("</tr>")[0]
    until = offers[0].expires_at.astimezone(restaurant_zone(restaurant)).strftime("%H:%M")
    assert "Offered" in ada and f"Table at 20:00, held until {until}" in ada


def restaurant_zone(restaurant):
    from zoneinfo import ZoneInfo

    return ZoneInfo(restaurant.timezone)


def test_add_a_guest_who_called(owner_client, session, restaurant):
    day = future_day()
    added = owner_client.post_form(PAGE, {
        "date": day.isoformat(), "party_size": "3", "window_from": "19:00",
        "window_to": "21:00", "name": "Clara Phone", "email": "clara@example.com",
        "phone": "030 1234567", "language": "de"})
    assert added.status_code == 303
    assert added.headers["Location"].endswith(f"{PAGE}?date={day.isoformat()}")
    row = session.scalars(select(WaitlistEntry)).one()
    assert (row.guest_name, row.party_size, row.language, row.status) == (
        "Clara Phone", 3, "de", "waiting")
    assert row.window_start == local(restaurant, day, 19)
    assert row.guest_phone.startswith("+49")
    page = owner_client.get(added.headers["Location"]).get_data(as_text=True)
    assert "Clara Phone is on the waitlist (party of 3)." in page


def test_bad_input_is_answered_under_its_field_and_nothing_is_written(owner_client, session,
                                                                     restaurant):
    day = future_day().isoformat()
    good = {"date": day, "party_size": "2", "window_from": "19:00", "window_to": "21:00",
            "name": "Dora", "email": "dora@example.com"}
    missing = owner_client.post_form(PAGE, {**good, "email": ""})
    assert missing.status_code == 422
    assert "Give the guest&#39;s e-mail address: the offer is e-mailed." in \
        missing.get_data(as_text=True)
    reversed_window = owner_client.post_form(PAGE, {**good, "window_from": "21:00",
                                                    "window_to": "19:00"})
    assert reversed_window.status_code == 422
    text = reversed_window.get_data(as_text=True)
    assert 'id="window_to-error"' in text and "The latest time is before the earliest." in text
    too_large = owner_client.post_form(PAGE, {**good, "party_size": "9"})
    assert too_large.status_code == 422
    assert "The waitlist takes parties up to the largest online party" in \
        too_large.get_data(as_text=True)
    past = owner_client.post_form(PAGE, {**good, "date": "2020-01-01"})
    assert past.status_code == 422 and 'id="date-error"' in past.get_data(as_text=True)
    # Without the CSRF token: refused, nothing written.
    assert owner_client.post(PAGE, data=good).status_code == 400
    assert session.scalars(select(WaitlistEntry)).all() == []


def test_up_and_down_reorder_the_line(owner_client, session, restaurant):
    ids = [join(session, restaurant, name).id for name in ("Ada", "Bob", "Cem")]
    up = owner_client.post_form(f"{PAGE}/{ids[2]}/move", {"steps": "-1"})
    assert up.status_code == 303
    assert line(session, restaurant) == [("Ada", "waiting"), ("Cem", "waiting"),
                                         ("Bob", "waiting")]
    owner_client.post_form(f"{PAGE}/{ids[0]}/move", {"steps": "1"})
    assert [n for n, _ in line(session, restaurant)] == ["Cem", "Ada", "Bob"]
    # At the top, up again stays on top; a step that is no number is a field error.
    owner_client.post_form(f"{PAGE}/{ids[2]}/move", {"steps": "-1"})
    assert [n for n, _ in line(session, restaurant)] == ["Cem", "Ada", "Bob"]
    bad = owner_client.post_form(f"{PAGE}/{ids[2]}/move", {"steps": "up"})
    assert bad.status_code == 422 and "whole number" in bad.get_data(as_text=True)
    # With htmx the page answers at once, the message inside the swapped line.
    swapped = owner_client.post_form(f"{PAGE}/{ids[1]}/move", {"steps": "-1"},
                                     headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    assert "Moved Bob up." in swapped.get_data(as_text=True)
    assert [n for n, _ in line(session, restaurant)] == ["Cem", "Bob", "Ada"]


def test_remove_drops_a_live_offers_hold(owner_client, session, restaurant):
    waiting = join(session, restaurant, "Ada")
    offers = waitlist.make_offers(session, restaurant)  # the tables are free: offered
    assert [o.entry_id for o in offers] == [waiting.id]
    assert session.scalars(select(Hold)).all() != []
    removed = owner_client.post_form(f"{PAGE}/{waiting.id}/remove")
    assert removed.status_code == 303
    assert entry(session, waiting.id).status == "removed"
    assert session.scalars(select(Hold)).all() == []
    # Gone from the line: removing it again is refused, and it has no buttons any more.
    again = owner_client.post_form(f"{PAGE}/{waiting.id}/remove")
    assert again.status_code == 409
    assert "This guest is no longer in line on the waitlist." in again.get_data(as_text=True)


def test_seat_at_a_time_books_the_guest_and_marks_the_entry(owner_client, session, restaurant):
    day = future_day()
    waiting = join(session, restaurant, "Ada", party=3)
    page = owner_client.get(f"{PAGE}?date={day.isoformat()}").get_data(as_text=True)
    assert f'id="seat-{waiting.id}"' not in page
    form = owner_client.get(f"{PAGE}?date={day.isoformat()}&seat={waiting.id}"
                            ).get_data(as_text=True)
    assert 'name="time" value="18:00"' in form.split(f'id="seat-{waiting.id}"')[1]
    t2 = next(t for t in restaurant.tables if t.name == "T2")
    seated = owner_client.post_form(f"{PAGE}/{waiting.id}/seat", {
        "time": "19:30", "table": str(t2.id), "notify_guest": "y"})
    assert seated.status_code == 303
    row = entry(session, waiting.id)
    assert row.status == "booked" and row.reservation_id is not None
    booking = session.get_one(Reservation, row.reservation_id)
    assert (booking.guest_name, booking.party_size, booking.table_id, booking.source,
            booking.starts_at) == ("Ada", 3, t2.id, "phone", local(restaurant, day, 19, 30))
    page = owner_client.get(seated.headers["Location"]).get_data(as_text=True)
    assert "Booked: Ada, 3 at T2." in page
    assert f"/owner/chez-test/reservations/{booking.id}" in page


def test_seat_an_offered_guest_uses_their_held_table(owner_client, session, restaurant):
    waiting = join(session, restaurant, "Ada")
    offer = waitlist.make_offers(session, restaurant)[0]
    held = session.scalars(select(Hold.table_id)).all()
    time = offer.starts_at.astimezone(restaurant_zone(restaurant)).strftime("%H:%M")
    seated = owner_client.post_form(f"{PAGE}/{waiting.id}/seat", {"time": time})
    assert seated.status_code == 303, seated.get_data(as_text=True)
    row = entry(session, waiting.id)
    assert row.status == "booked"
    assert session.get_one(Reservation, row.reservation_id).table_id in held
    assert session.scalars(select(Hold)).all() == []


def test_a_refused_seat_keeps_the_guest_in_line(owner_client, session, restaurant):
    day = future_day()
    fill(session, restaurant, day, hours=(19,))
    waiting = join(session, restaurant, "Ada")
    t1 = next(t for t in restaurant.tables if t.name == "T1")
    refused = owner_client.post_form(f"{PAGE}/{waiting.id}/seat",
                                     {"time": "19:30", "table": str(t1.id)})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "T1 is taken 19:00–21:00 by Taken T1 19." in text
    # The seat form again under the entry, the refusal in it.
    seat_row = text.split(f'id="seat-{waiting.id}"')[1].split("</tr>")[0]
    assert "T1 is taken" in seat_row and 'name="time" value="19:30"' in seat_row
    assert entry(session, waiting.id).status == "waiting"
    assert session.scalars(select(Reservation).where(Reservation.guest_name == "Ada")).all() == []


def test_seat_now_seats_a_walk_in_on_the_day(owner_client, session, restaurant, clock):
    today = clock.now().astimezone(restaurant_zone(restaurant)).date()
    clock.set(local(restaurant, today, 18, 30))
    waiting = join(session, restaurant, "Ada", day=today, earliest=dt.time(18, 30))
    seated = owner_client.post_form(f"{PAGE}/{waiting.id}/seat", {"time": "20:00", "now": "y"})
    assert seated.status_code == 303, seated.get_data(as_text=True)
    booking = session.get_one(Reservation, entry(session, waiting.id).reservation_id)
    assert (booking.source, booking.status, booking.starts_at) == (
        "walk_in", "seated", local(restaurant, today, 18, 30))
    # Another date's guest is not seated "now".
    later = join(session, restaurant, "Bob")
    refused = owner_client.post_form(f"{PAGE}/{later.id}/seat", {"now": "y"})
    assert refused.status_code == 422
    assert "Seat now only on the entry&#39;s date" in refused.get_data(as_text=True)
    assert entry(session, later.id).status == "waiting"


def test_staff_may_run_it_other_restaurants_are_404(client, session, restaurant):
    waiting = join(session, restaurant, "Ada")
    other = make_restaurant(session, slug="other-place")
    theirs = join(session, other, "Zoe")
    make_owner(session, restaurant, "staff@example.com", role="staff")
    make_owner(session, other, "rival@example.com")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    assert client.get(PAGE).status_code == 200
    assert client.post_form(f"{PAGE}/{waiting.id}/move", {"steps": "1"}).status_code == 303
    assert client.get("/owner/other-place/waitlist").status_code == 404
    # Their entry through our address: as if it did not exist; it stays as it was.
    assert client.post_form(f"{PAGE}/{theirs.id}/remove").status_code == 404
    assert client.post_form(f"{PAGE}/{theirs.id}/seat", {"time": "19:00"}).status_code == 404
    assert entry(session, theirs.id).status == "waiting"
    # Logged out: to the login page.
    client.post_form("/logout")
    assert client.get(PAGE).status_code == 302


def test_the_page_in_german(owner_client, session, restaurant):
    join(session, restaurant, "Ada")
    text = owner_client.get(f"{PAGE}?date={future_day().isoformat()}",
                            headers=GERMAN).get_data(as_text=True)
    assert "<h1>Warteliste</h1>" in text
    assert "Wartet" in text and "Platzieren" in text and "Gast hinzufügen, der angerufen hat" in text
    refused = owner_client.post_form(PAGE, {
        "date": future_day().isoformat(), "party_size": "2", "window_from": "21:00",
        "window_to": "19:00", "name": "Dora", "email": "dora@example.com"}, headers=GERMAN)
    assert refused.status_code == 422


def test_the_offer_minutes_are_a_setting_on_the_settings_page(owner_client, session, restaurant):
    from tests.owner.test_setup import SETTINGS
    from webapp.models import Restaurant

    page = owner_client.get("/owner/chez-test/settings").get_data(as_text=True)
    assert 'name="waitlist_offer_minutes"' in page and 'value="15"' in page
    refused = owner_client.post_form("/owner/chez-test/settings",
                                     dict(SETTINGS, slug="chez-test", waitlist_offer_minutes="0"))
    assert refused.status_code == 422
    assert "between 1 and 60" in refused.get_data(as_text=True)
    saved = owner_client.post_form("/owner/chez-test/settings",
                                   dict(SETTINGS, slug="chez-test", waitlist_offer_minutes="5"))
    assert saved.status_code == 303
    session.expire_all()
    assert session.get_one(Restaurant, restaurant.id).waitlist_offer_minutes == 5
    assert "kept for them for 5 minutes" in owner_client.get(PAGE).get_data(as_text=True)
