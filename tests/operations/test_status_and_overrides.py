"""Issue 17's safe status changes and the owner's explicit overrides, through both doors
(``door``: the dashboard's form posts and the API) on both databases.

Seat / Complete / No-show belong to the booking's service day; an owner may go ahead
on another day, and the history says so. A no-show or a cancellation can be taken
back, the cancellation only while its table is still free (the locked write
re-checks). A stay past closing and the same guest on overlapping bookings are refused
until the owner explicitly chooses; online guests keep the strict rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import DEFAULT_PASSWORD, local, make_owner, today
from webapp.booking import service
from webapp.booking.service import GuestDetails
from webapp.models import ReservationEvent

from .conftest import API, PAGE, emails, stored, table_id

GUEST = {"name": "Grace Hopper", "email": "grace@example.com", "phone": "+49 30 1234567"}


def _book(door, restaurant, day, time="19:00", table="T4", **extra):
    answer = door.book(date=day.isoformat(), time=time, party_size=2,
                       table=table_id(restaurant, table), **{**GUEST, **extra})
    assert answer.reservation_id, (answer.status, answer.text[:300])
    return answer.reservation_id


def _events(session, rid: int) -> list[ReservationEvent]:
    session.expire_all()
    return list(session.scalars(select(ReservationEvent).where(
        ReservationEvent.reservation_id == rid).order_by(ReservationEvent.id)))


def _code(door, answer) -> str | None:
    return answer.body["code"] if door.name == "api" else None


# --------------------------------------------------------------------------- the service day


def test_seating_a_booking_days_ahead_is_refused_then_overridden_and_recorded(
        door, session, restaurant):
    friday = today() + dt.timedelta(days=3)
    rid = _book(door, restaurant, friday)
    refused = door.set_status(rid, "seated", version=1)
    assert refused.status == 409
    words = f"{friday:%A} {friday.day} {friday:%B}"
    assert f"This booking is for {words}. Seat it anyway?" in refused.text
    assert _code(door, refused) in (None, "not_on_service_day")
    if door.name == "api":
        assert refused.body["may_override"] is True
    assert stored(session, rid).status == "booked"

    done = door.set_status(rid, "seated", version=1, off_day=True)
    assert done.status in (200, 303), done.text[:300]
    assert stored(session, rid).status == "seated"
    last = _events(session, rid)[-1]
    assert last.action == "seated"
    assert f"the booking is for {words}" in last.changes["overrides"]["off_day"]


def test_on_the_day_seating_needs_no_override(door, session, restaurant):
    rid = _book(door, restaurant, today())
    assert door.set_status(rid, "seated", version=1).status in (200, 303)
    assert "overrides" not in _events(session, rid)[-1].changes


def test_staff_cannot_override_the_service_day(client, session, restaurant):
    make_owner(session, restaurant, "staff@example.com", role="staff")
    client.login("staff@example.com", DEFAULT_PASSWORD)
    rid = service.book(session, restaurant, starts_at=local(
        restaurant, today() + dt.timedelta(days=2), 19), party_size=2,
        guest=GuestDetails("Ada"), source="phone").reservation.id
    refused = client.post_form(f"{PAGE}/reservations/{rid}/status",
                               {"status": "seated", "version": "1", "allow_off_day": "y"})
    assert refused.status_code == 409
    assert "it can be seated on that day (an owner may override)" in \
        refused.get_data(as_text=True)
    assert stored(session, rid).status == "booked"


# --------------------------------------------------------------------------- taking it back


def test_a_no_show_is_taken_back_on_the_day(door, session, restaurant):
    rid = _book(door, restaurant, today())
    assert door.set_status(rid, "no_show", version=1).status in (200, 303)
    back = door.set_status(rid, "booked", version=2)
    assert back.status in (200, 303), back.text[:300]
    row = stored(session, rid)
    assert (row.status, row.version) == ("booked", 3)
    assert _events(session, rid)[-1].action == "reinstated"
    assert _events(session, rid)[-1].changes["status"] == ["no_show", "booked"]
    # No e-mail for the no-show nor its reversal (the guest never heard of either).
    assert [kind for kind, _ in emails(session, rid)] == ["confirmation"]


def test_a_cancellation_is_taken_back_while_the_table_is_free(door, session, restaurant):
    day = today() + dt.timedelta(days=2)
    rid = _book(door, restaurant, day)
    assert door.set_status(rid, "cancelled", version=1).status in (200, 303)
    back = door.set_status(rid, "booked", version=2)
    assert back.status in (200, 303), back.text[:300]
    assert stored(session, rid).status == "booked"
    # Told of the cancellation, then of the booking again.
    assert [kind for kind, _ in emails(session, rid)] == ["confirmation", "cancellation",
                                                         "change"]


def test_a_cancellation_is_not_taken_back_once_the_table_is_taken(door, session, restaurant):
    day = today() + dt.timedelta(days=2)
    rid = _book(door, restaurant, day)
    assert door.set_status(rid, "cancelled", version=1).status in (200, 303)
    _book(door, restaurant, day, time="19:30", name="Rossi", email="rossi@example.com",
          phone="")
    refused = door.set_status(rid, "booked", version=2)
    assert refused.status == 409
    assert "T4 is taken 19:30–21:00 by Rossi." in refused.text
    row = stored(session, rid)
    assert (row.status, row.version) == ("cancelled", 2)


def test_a_past_no_show_stays(door, session, restaurant, clock):
    rid = _book(door, restaurant, today(), time="12:00")
    assert door.set_status(rid, "no_show", version=1).status in (200, 303)
    clock.advance(hours=6)  # 16:00 local: the 12:00–13:30 stay is over
    refused = door.set_status(rid, "booked", version=2)
    assert refused.status == 409 and "time is over" in refused.text
    assert stored(session, rid).status == "no_show"


# --------------------------------------------------------------------------- confirmations


def test_cancel_on_the_page_asks_first_and_the_api_call_is_the_choice(door, session,
                                                                      restaurant):
    rid = _book(door, restaurant, today())
    asked = door.set_status(rid, "cancelled", version=1, confirm=False)
    if door.name == "page":
        assert asked.status == 200
        assert "Cancel Grace Hopper's booking for" in asked.text
        assert "Yes, cancel booking" in asked.text
        assert 'name="confirm" value="y"' in asked.text
        assert stored(session, rid).status == "booked" and emails(session, rid) == [
            ("confirmation", "grace@example.com")]
    else:  # an API client's request is its explicit choice: no question, the change is made
        assert asked.status == 200
        assert stored(session, rid).status == "cancelled"


# --------------------------------------------------------------------------- owner overrides


def test_a_stay_past_closing_is_refused_then_shortened_or_kept(door, session, restaurant):
    day = today() + dt.timedelta(days=2)
    refused = door.book(date=day.isoformat(), time="14:00", party_size=2, name="Late Lunch")
    assert refused.status == 422
    assert "would end after closing at 15:00" in refused.text
    assert _code(door, refused) in (None, "stay_past_closing")
    if door.name == "page":
        assert "End it at 15:00 (60 min)" in refused.text and "Keep it past closing" in \
            refused.text
    else:  # what an API client needs to offer the same choices
        assert refused.body["minutes_to_closing"] == 60
        assert refused.body["closes_at"].startswith(f"{day.isoformat()}T15:00:00")

    short = door.book(date=day.isoformat(), time="14:00", party_size=2, name="Short",
                      shorten_to_closing=True, table=table_id(restaurant, "T2"))
    row = stored(session, short.reservation_id)
    assert row.ends_at == local(restaurant, day, 15)
    assert "overrides" not in _events(session, row.id)[0].changes

    kept = door.book(date=day.isoformat(), time="14:00", party_size=2, name="Kept",
                     allow_past_closing=True, table=table_id(restaurant, "T4"))
    row = stored(session, kept.reservation_id)
    assert row.ends_at == local(restaurant, day, 15, 30)
    assert _events(session, row.id)[0].changes["overrides"] == {
        "past_closing": "Kept past closing: the stay ends 15:30, closing is 15:00."}


def test_the_override_does_not_open_a_closed_time(door, restaurant):
    day = today() + dt.timedelta(days=2)
    answer = door.book(date=day.isoformat(), time="16:00", party_size=2, name="Closed",
                       allow_past_closing=True)
    assert answer.status == 422
    assert "That time is outside the restaurant's services." in answer.text


def test_the_same_guest_is_booked_anyway_when_the_owner_says_so(door, session, restaurant):
    day = today() + dt.timedelta(days=2)
    _book(door, restaurant, day)
    again = dict(date=day.isoformat(), time="19:30", party_size=2,
                 table=table_id(restaurant, "T6"), name="Concierge guest", email="",
                 phone=GUEST["phone"])
    refused = door.book(**again)
    assert refused.status == 409
    assert "There is already a booking with this phone number" in refused.text
    if door.name == "page":
        assert "Book anyway (same guest)" in refused.text
    booked = door.book(**again, allow_same_guest=True)
    assert booked.reservation_id, (booked.status, booked.text[:300])
    assert "same_guest" in _events(session, booked.reservation_id)[0].changes["overrides"]


def test_online_guests_keep_the_strict_rules(client, session, restaurant):
    day = today() + dt.timedelta(days=2)
    with pytest.raises(ValueError):
        service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                     party_size=2, guest=GuestDetails("Ada", phone="+49301234567"),
                     source="online", overrides={"same_guest": "x"})
    # Without an owner's token the override fields are not a guest's to send.
    answer = client.post(f"{API}/reservations", data={
        "date": day.isoformat(), "time": "19:00", "party_size": "2", "name": "Ada",
        "email": "ada@example.com", "allow_same_guest": "y"})
    assert answer.status_code == 401
    assert "allow_same_guest" in answer.get_json()["detail"]
