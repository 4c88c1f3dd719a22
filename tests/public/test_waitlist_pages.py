"""The guest's waitlist pages (webapp/public/waitlist.py), on PostgreSQL and SQLite:
the way in from a full day on the booking page, joining through the form (its refusals at
their fields), the private link (place in line, leaving), and the offer's link (GET shows,
one POST books, exactly once; an expired or foreign one books nothing)."""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.factories import future_day, local, make_restaurant
from tests.public.conftest import TOKEN_IN_PAGE, manage_path
from webapp.booking import service, waitlist
from webapp.booking.operations import reservations as owner_ops
from webapp.booking.operations.context import WriteContext
from webapp.models import Hold, OutboxEmail, Reservation, WaitlistEntry

WAITLIST_LINK = re.compile(r"/r/solo/w/[A-Za-z0-9_\-]+")


@pytest.fixture
def solo(session):
    """One table for four, dinner only (18-23, the last start at 21:00)."""
    return make_restaurant(session, slug="solo", name="Solo", tables=[("Solo", 4)],
                           hours=[(day, dt.time(18), dt.time(23), "Dinner") for day in range(7)])


def fill_evening(session, restaurant) -> list[Reservation]:
    """18:00-20:00 and 20:00-22:00: no start left that evening."""
    return [service.book(session, restaurant, starts_at=local(restaurant, future_day(), hour),
                         party_size=2, guest=service.GuestDetails(f"Guest {hour}",
                                                                  f"g{hour}@example.com", ""),
                         ).reservation for hour in (18, 20)]


def join_form(**changes) -> dict:
    return {"date": future_day().isoformat(), "party_size": "2", "window_from": "18:00",
            "window_to": "21:00", "name": "Ada Lovelace", "email": "ada@example.com",
            "phone": "+49 30 1234568", **changes}


def join(client, **changes):
    return client.post_form("/r/solo/waitlist", join_form(**changes))


def joined_path(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = WAITLIST_LINK.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(0)


def entries(session) -> list[WaitlistEntry]:
    session.expire_all()
    return list(session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)))


def reservations(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.status == "booked")) or 0


def cancel(session, restaurant, reservation_id: int) -> None:
    """The owner cancels: the freed table is offered right after the commit."""
    owner_ops.cancel(session, restaurant, WriteContext(actor="owner"), reservation_id,
                     notify_guest=False)


def offer_link(session) -> str:
    """The one-click link of the offer e-mail (the outbox holds it until it is sent)."""
    session.expire_all()
    mail = session.scalars(select(OutboxEmail).where(
        OutboxEmail.kind == waitlist.OFFER_EMAIL)).one()
    match = WAITLIST_LINK.search(mail.body_text)
    assert match, mail.body_text
    return match.group(0)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --------------------------------------------------------------------------- the way in


def test_a_full_evening_links_to_the_waitlist_prefilled(client, session, solo):
    fill_evening(session, solo)
    day = future_day()
    page = text(client.get(f"/r/solo?date={day}&party_size=2"))
    assert "fully booked" in page
    link = f"/r/solo/waitlist?date={day}&party_size=2"
    assert f'href="{link}" role="button"' in page
    form = text(client.get(link))
    assert f'name="date" value="{day}"' in form
    assert re.search(r'<option value="2"\s+selected>', form)
    # The day's (only) service, first to last start: the window asked by default.
    assert 'name="window_from" step="900" value="18:00"' in form
    assert 'name="window_to" step="900" value="21:00"' in form
    assert TOKEN_IN_PAGE.search(form)  # CSRF on the form


def test_free_times_offer_the_waitlist_too_and_a_closed_day_does_not(client, session):
    make_restaurant(session, slug="solo", tables=[("Solo", 4)],
                    hours=[(day, dt.time(18), dt.time(23), "Dinner")
                           for day in range(7) if day != future_day().weekday()])
    day = future_day()
    closed = text(client.get(f"/r/solo?date={day}&party_size=2"))
    assert "We are closed" in closed and "/waitlist" not in closed
    other = day + dt.timedelta(days=1)
    page = text(client.get(f"/r/solo?date={other}&party_size=2&time=19:30"))
    assert "No time that suits you?" in page
    assert f"/r/solo/waitlist?date={other}&party_size=2&time=19:30" in page
    # Around the asked time, inside its service.
    form = text(client.get(f"/r/solo/waitlist?date={other}&party_size=2&time=19:30"))
    assert 'value="18:30"' in form and 'value="20:30"' in form


@pytest.mark.parametrize("query", ["date=9999-12-31&party_size=2", "date=0001-01-01",
                                   "date=nope&party=x&time=25:99", "party_size=500"])
def test_odd_queries_open_the_form_with_defaults(client, session, solo, query):
    response = client.get(f"/r/solo/waitlist?{query}")
    assert response.status_code == 200
    assert 'name="window_from" step="900" value="18:00"' in text(response)


# --------------------------------------------------------------------------- joining


def test_joining_redirects_to_the_private_page_with_the_place_in_line(client, session, solo):
    first = joined_path(join(client))
    second = joined_path(join(client, name="Grace Hopper", email="grace@example.com",
                              window_from="19:00", window_to="20:00"))
    page = text(client.get(second))
    assert "Grace Hopper" in page and "19:00 to 20:00" in page
    assert re.search(r'<dd class="place">2</dd>', page)
    assert "We will e-mail you when a table frees up" in page
    assert re.search(r'<dd class="place">1</dd>', text(client.get(first)))
    assert f'class="manage-url">http://localhost{first}</a>' in text(client.get(first))
    response = client.get(first)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    (ada, grace) = entries(session)
    assert (ada.status, ada.position, grace.position) == ("waiting", 1, 2)
    assert ada.window_start == local(solo, future_day(), 18)
    assert grace.window_end == local(solo, future_day(), 20)
    # The guest's "you are on the waitlist" note carries the private link.
    session.expire_all()
    notes = list(session.scalars(select(OutboxEmail).where(
        OutboxEmail.kind == "waitlist_joined").order_by(OutboxEmail.id)))
    assert [n.to_address for n in notes] == ["ada@example.com", "grace@example.com"]
    assert first in notes[0].body_text and "Solo" in notes[0].subject


def test_the_form_needs_its_csrf_token(client, session, solo):
    response = client.post("/r/solo/waitlist", data=join_form())
    assert response.status_code == 400
    assert entries(session) == []


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"window_from": "21:00", "window_to": "19:00"}, "window_to",
     "The latest time is before the earliest."),
    ({"party_size": "9"}, "party_size", "Parties of more than 8 cannot join the waitlist"),
    ({"date": (future_day() - dt.timedelta(days=30)).isoformat()}, "date",
     "Pick a date from today within the booking horizon."),
    ({"phone": "12"}, "phone", ""),
    ({"email": "not-an-address"}, "email", "This does not look like an e-mail address"),
    ({"window_from": "7pm"}, "window_from", "Give a time as HH:MM"),
    ({"name": ""}, "name", "Tell us the name"),
], ids=["window-reversed", "party-too-big", "past-date", "bad-phone", "bad-email",
        "bad-time", "no-name"])
def test_refusals_show_at_their_field(client, session, solo, changes, field, message):
    response = join(client, **changes)
    page = text(response)
    assert response.status_code == 422
    error = re.search(rf'<small class="field-error" id="{field}-error">([^<]+)</small>', page)
    assert error, page
    assert message in error.group(1)
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page
    assert entries(session) == []


def test_a_window_already_past_is_refused(client, session, solo, clock):
    # Late in the evening of the test day: 18:00-19:00 is over.
    clock.set(local(solo, future_day(0), 20))
    response = join(client, date=future_day(0).isoformat(), window_from="18:00",
                    window_to="19:00")
    assert response.status_code == 422
    assert "That window has already passed." in text(response)
    assert entries(session) == []


def test_the_pages_and_emails_speak_the_guests_language(client, session, solo):
    page = text(client.get("/r/solo/waitlist?lang=de"))
    assert "Auf die Warteliste" in page
    response = join(client, window_from="21:00", window_to="19:00")
    assert "Die späteste Zeit liegt vor der frühesten." in text(response)
    early, _late = fill_evening(session, solo)
    path = joined_path(join(client))
    assert "Sie stehen auf der Warteliste" in text(client.get(path))
    cancel(session, solo, early.id)
    session.expire_all()
    subjects = dict(session.execute(select(OutboxEmail.kind, OutboxEmail.subject).where(
        OutboxEmail.kind.in_(["waitlist_joined", waitlist.OFFER_EMAIL]))).all())
    assert subjects == {"waitlist_joined": "Sie stehen auf der Warteliste von Solo",
                        waitlist.OFFER_EMAIL: subjects[waitlist.OFFER_EMAIL]}
    assert subjects[waitlist.OFFER_EMAIL].startswith("Bei Solo ist ein Tisch für Sie frei")
    offer = text(client.get(offer_link(session)))
    assert "Diesen Tisch buchen" in offer


# --------------------------------------------------------------------------- the private link


def test_leaving_takes_the_guest_off_the_line(client, session, solo):
    path = joined_path(join(client))
    response = client.post_form(f"{path}/leave")
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    page = text(client.get(path))
    assert "You have left the waitlist." in page
    assert "You are no longer on the waitlist" in page and "Leave the waitlist" not in page
    assert entries(session)[0].status == "removed"
    assert client.post(f"{path}/leave").status_code == 400  # no CSRF token: nothing


def test_unknown_and_foreign_tokens_are_404(client, session, solo):
    path = joined_path(join(client))
    make_restaurant(session, slug="other")
    assert client.get("/r/solo/w/not-a-token").status_code == 404
    assert client.get(path.replace("/r/solo/", "/r/other/")).status_code == 404
    assert client.post_form(path.replace("/r/solo/", "/r/other/") + "/leave").status_code == 404
    assert client.post_form("/r/solo/w/nope/book").status_code == 404
    assert entries(session)[0].status == "waiting"


# --------------------------------------------------------------------------- the offer


def offered(client, session, solo) -> tuple[str, str]:
    """A full evening, a guest in line, a cancellation: (private path, offer path)."""
    early, _late = fill_evening(session, solo)
    path = joined_path(join(client))
    cancel(session, solo, early.id)
    return path, offer_link(session)


def test_the_offer_link_shows_the_offer_and_its_get_books_nothing(client, session, solo):
    path, offer = offered(client, session, solo)
    before = reservations(session)
    response = client.get(offer)
    page = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    held = waitlist.clock.now() + dt.timedelta(minutes=solo.waitlist_offer_minutes)
    assert "A table is free for you" in page and "18:00" in page
    assert f"until {held.astimezone(ZoneInfo('Europe/Berlin')):%H:%M}" in page
    assert page.count('type="submit"') == 1 and "Book this table" in page
    assert reservations(session) == before  # opening the link (a mail scanner) books nothing
    assert entries(session)[0].status == "offered"
    # The private link from joining says the offer is out.
    assert "we have sent you an e-mail with a link to book it" in text(client.get(path))


def test_the_offer_books_exactly_once(client, session, solo):
    _path, offer = offered(client, session, solo)
    before = reservations(session)
    response = client.post_form(f"{offer}/book")
    manage = manage_path(response)
    assert response.status_code == 303
    assert reservations(session) == before + 1
    page = text(client.get(manage))
    assert "Ada Lovelace" in page and "18:00" in page
    (entry,) = entries(session)
    assert entry.status == "booked" and entry.reservation_id is not None
    assert session.scalar(select(func.count()).select_from(Hold)) == 0
    # The usual confirmation e-mail, with the booking's own private link.
    confirmation = session.scalars(select(OutboxEmail).where(
        OutboxEmail.reservation_id == entry.reservation_id)).first()
    assert confirmation is not None and confirmation.to_address == "ada@example.com"
    again = client.post_form(f"{offer}/book")
    assert again.status_code == 409
    assert "You have booked this table" in text(again) and "Book this table" not in text(again)
    assert reservations(session) == before + 1


def test_an_expired_offer_is_a_409_page_with_a_way_to_book(client, session, solo, clock):
    path, offer = offered(client, session, solo)
    before = reservations(session)
    clock.advance(minutes=solo.waitlist_offer_minutes, seconds=1)
    shown = client.get(offer)
    assert shown.status_code == 409
    page = text(shown)
    assert "This offer is no longer open" in page and "Book this table" not in page
    assert f"/r/solo?date={future_day()}&party_size=2" in page
    response = client.post_form(f"{offer}/book")
    assert response.status_code == 409 and "This offer is no longer open" in text(response)
    assert reservations(session) == before
    # The private link no longer promises the offer (before the worker marks it expired).
    private = text(client.get(path))
    assert "This waitlist request has ended" in private and "Leave the waitlist" not in private


def test_the_offer_of_another_restaurant_is_404(client, session, solo):
    _path, offer = offered(client, session, solo)
    make_restaurant(session, slug="other")
    foreign = offer.replace("/r/solo/", "/r/other/")
    assert client.get(foreign).status_code == 404
    assert client.post_form(f"{foreign}/book").status_code == 404
    assert entries(session)[0].status == "offered"

