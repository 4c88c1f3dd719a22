"""The staff calendar feed (/owner/<ref>/calendar-feed, /calendar/<token>.ics): one secret
address per member, shown once and stored hashed; a new one or "Stop the feed" ends the
old; the feed holds this restaurant's upcoming active bookings as they are now, without
the guests' e-mail and phone unless the owner allows them. On PostgreSQL and SQLite."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from icalendar import Calendar
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, future_day, local, make_owner, make_restaurant
from webapp.booking import service
from webapp.booking.calendar_feed import FEED_DAYS
from webapp.booking.service import GuestDetails
from webapp.models import Membership, User

FEED_URL = re.compile(r'id="feed-url"[^>]*>(http://localhost(/calendar/[^<]+\.ics))</textarea>')
PAGE = "/owner/chez-test/calendar-feed"


def new_address(client) -> str:
    """Make (or replace) the logged-in member's address; the feed's path."""
    response = client.post_form(PAGE, {"action": "new"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    match = FEED_URL.search(html)
    assert match, html
    # One click for the calendar apps that take webcal:// (Apple, Outlook).
    assert f'href="webcal://localhost{match.group(2)}"' in html
    return match.group(2)


def events(client, path: str) -> list:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/calendar"
    return list(Calendar.from_ical(response.get_data()).walk("VEVENT"))


def test_a_member_makes_an_address_shown_once_and_stored_hashed(owner_client, session, owner,
                                                               restaurant, book):
    booking = book(19, 30, party=3, name="Ada Guest", email="ada@example.org",
                   phone="+49 30 555 0101")
    first = owner_client.get(PAGE)
    assert first.status_code == 200
    assert "Make my calendar address" in first.get_data(as_text=True)
    assert 'aria-current="page">Calendar feed</a>' in first.get_data(as_text=True)

    path = new_address(owner_client)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    session.expire_all()
    stored = session.get(Membership, (owner.id, restaurant.id)).calendar_token_hash
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    # Not shown again: the page only says there is one.
    again = owner_client.get(PAGE).get_data(as_text=True)
    assert token not in again and "It is not shown again" in again

    response = owner_client.get(path)
    assert response.headers["Cache-Control"] == "private, max-age=300"
    [event] = events(owner_client, path)
    assert str(event["summary"]) == "Ada Guest, party of 3, table T2"
    assert event.decoded("dtstart") == booking.starts_at.astimezone(dt.UTC)
    assert event.decoded("dtend") == booking.ends_at.astimezone(dt.UTC)
    assert str(event["status"]) == "CONFIRMED"
    # No contact details by default.
    body = response.get_data(as_text=True)
    assert "ada@example.org" not in body and "555" not in body
    # The feed needs no login: the token is the key (a calendar app has no session).
    owner_client.post_form("/logout")
    assert owner_client.get(path).status_code == 200


def test_contacts_appear_only_when_the_owner_allows_them(owner_client, session, restaurant,
                                                        book):
    book(19, party=2, name="Ada Guest", email="ada@example.org", phone="+49 30 5550101")
    path = new_address(owner_client)
    assert "ada@example.org" not in owner_client.get(path).get_data(as_text=True)
    restaurant.calendar_feed_contact = True
    session.commit()
    [event] = events(owner_client, path)
    description = str(event["description"])
    assert "E-mail: ada@example.org" in description
    assert "Phone: +49305550101" in description
    assert "no e-mail or phone" not in owner_client.get(PAGE).get_data(as_text=True)


def test_a_new_address_or_stopping_ends_the_old_one(owner_client, book):
    book(19)
    old = new_address(owner_client)
    new = new_address(owner_client)
    assert old != new
    assert owner_client.get(old).status_code == 404
    assert len(events(owner_client, new)) == 1
    stopped = owner_client.post_form(PAGE, {"action": "revoke"})
    assert stopped.status_code == 200
    assert "Make my calendar address" in stopped.get_data(as_text=True)
    assert owner_client.get(new).status_code == 404
    for unknown in ("/calendar/nope.ics", "/calendar/" + "x" * 200 + ".ics"):
        assert owner_client.get(unknown).status_code == 404


def test_the_feed_follows_the_bookings_and_holds_only_this_restaurants(
        owner_client, session, restaurant, book, day):
    other = make_restaurant(session, slug="elsewhere", tables=[("X1", 4)])
    service.book(session, other, starts_at=local(other, day, 19), party_size=2,
                 guest=GuestDetails("Other Guest", "other@example.org", ""), source="online")
    moved = book(12, name="Moved Guest")
    cancelled = book(13, name="Cancelled Guest")
    book(19, name="Kept Guest", when=future_day(FEED_DAYS - 1))
    book(19, name="Too Far Guest", when=future_day(FEED_DAYS + 1))
    path = new_address(owner_client)
    names = {str(e["summary"]).split(",")[0] for e in events(owner_client, path)}
    assert names == {"Moved Guest", "Cancelled Guest", "Kept Guest"}

    service.change(session, restaurant, moved.id, starts_at=local(restaurant, day, 20))
    service.cancel(session, restaurant, cancelled.id)
    now = {str(e["summary"]).split(",")[0]: e for e in events(owner_client, path)}
    assert set(now) == {"Moved Guest", "Kept Guest"}
    assert now["Moved Guest"].decoded("dtstart") == local(restaurant, day, 20)
    assert now["Moved Guest"].decoded("sequence") > 0  # calendars take the newer version


def test_each_member_has_their_own_feed_and_a_leaver_takes_it_along(owner_client, client,
                                                                    session, restaurant, book):
    book(19)
    owner_path = new_address(owner_client)
    owner_client.post_form("/logout")
    staff = make_owner(session, restaurant, "host@example.com", role="staff")
    client.login("host@example.com", DEFAULT_PASSWORD)
    staff_path = new_address(client)
    assert staff_path != owner_path
    assert len(events(client, staff_path)) == 1
    # A member who leaves: their address answers 404, the others' still work.
    session.delete(session.get(Membership, (staff.id, restaurant.id)))
    session.commit()
    assert client.get(staff_path).status_code == 404
    assert client.get(owner_path).status_code == 200
    assert session.scalar(select(User).where(User.email == "host@example.com")) is not None


def test_the_page_needs_a_login_and_its_form_a_csrf_token(client, owner, session):
    assert client.get(PAGE).status_code in (302, 303)
    client.login("owner@example.com", DEFAULT_PASSWORD)
    refused = client.post(PAGE, data={"action": "new"})
    assert refused.status_code == 400
    session.expire_all()
    assert session.scalars(select(Membership.calendar_token_hash)).one() is None



def test_the_feeds_token_stays_out_of_the_request_log(owner_client, caplog):
    import logging

    from webapp.logsafe import redact_secrets
    from webapp.observability import ACCESS_LOGGER, TextFormatter

    path = new_address(owner_client)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        assert owner_client.get(path).status_code == 200
    lines = "".join(TextFormatter().format(r) for r in caplog.records
                    if r.name == ACCESS_LOGGER)
    assert token not in lines and "/calendar/<token>" in lines
    # gunicorn's access log goes through the same function; the page's own path is kept.
    assert redact_secrets(f"GET {path} HTTP/1.1") == "GET /calendar/<token> HTTP/1.1"
    assert redact_secrets(PAGE) == PAGE


def test_the_feed_answers_304_while_it_is_unchanged(owner_client, session, restaurant, book,
                                                    day, clock):
    """A strong ETag from the feed's bytes: the same bookings give the same bytes (a later
    request too: each event's DTSTAMP is its last change, not the request's time), and a
    calendar that sends its ETag back gets 304 without the body until a booking changes."""
    booked = book(19, name="Etag Guest")
    path = new_address(owner_client)
    first = owner_client.get(path)
    etag = first.headers["ETag"]
    assert etag == '"' + hashlib.sha256(first.get_data()).hexdigest() + '"'  # strong
    clock.advance(minutes=3)
    again = owner_client.get(path)
    assert again.get_data() == first.get_data() and again.headers["ETag"] == etag

    unchanged = owner_client.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["ETag"] == etag
    assert unchanged.headers["Cache-Control"] == "private, max-age=300"
    assert owner_client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200

    service.change(session, restaurant, booked.id, starts_at=local(restaurant, day, 20))
    changed = owner_client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [e.decoded("dtstart") for e in Calendar.from_ical(changed.get_data()).walk(
        "VEVENT")] == [local(restaurant, day, 20)]
    # An unknown address stays unknown, whatever the ETag.
    assert owner_client.get("/calendar/nope.ics",
                            headers={"If-None-Match": etag}).status_code == 404

