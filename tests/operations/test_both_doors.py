"""Every owner reservation use case gives the same stored result, the same e-mails and
the same refusal through the dashboard and through the API (``door``: see conftest)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import local
from webapp.models import OutboxEmail

from .conftest import emails, stored, table_id

GUEST = {"name": "Grace Hopper", "email": "grace@example.com", "phone": "+49 30 1234567"}


def _book(door, restaurant, day, time="19:00", table="T4", **extra):
    answer = door.book(date=day.isoformat(), time=time, party_size=2,
                       table=table_id(restaurant, table), **{**GUEST, **extra})
    assert answer.reservation_id, (answer.status, answer.text[:300])
    return answer.reservation_id


def test_a_phone_booking_is_stored_and_confirmed_with_the_manage_link(door, session,
                                                                      restaurant, day):
    rid = _book(door, restaurant, day)
    row = stored(session, rid)
    assert (row.starts_at, row.table_id, row.status, row.source, row.guest_phone) == (
        local(restaurant, day, 19), table_id(restaurant, "T4"), "booked", "phone",
        "+49301234567")
    assert emails(session, rid) == [("confirmation", "grace@example.com")]
    mail = session.scalar(select(OutboxEmail))
    assert "http://localhost/r/bistro/b/" in mail.body_text  # the guest's own link


def test_the_owner_may_book_without_telling_the_guest(door, session, restaurant, day):
    rid = _book(door, restaurant, day, notify=False)
    assert stored(session, rid).status == "booked"
    assert emails(session) == []


def test_a_guest_without_an_address_gets_no_e_mail(door, session, restaurant, day):
    rid = _book(door, restaurant, day, email="")
    assert stored(session, rid).guest_email == "" and emails(session) == []


def test_a_walk_in_starts_now_seated(door, session, restaurant, clock):
    answer = door.book(source="walk_in", party_size=2, name="Walk In", duration_minutes=60)
    row = stored(session, answer.reservation_id)
    assert row.status == "seated" and row.starts_at == clock.now().replace(second=0,
                                                                          microsecond=0)


def test_an_edit_is_stored_and_the_guest_told(door, session, restaurant, day):
    rid = _book(door, restaurant, day)
    answer = door.edit(rid, party_size=3, name="Grace B. Hopper", email=GUEST["email"],
                       phone=GUEST["phone"], notes="window", version=1)
    assert answer.status in (200, 303), answer.text[:300]
    row = stored(session, rid)
    assert (row.party_size, row.guest_name, row.notes, row.version) == (3, "Grace B. Hopper",
                                                                        "window", 2)
    assert emails(session, rid) == [("confirmation", "grace@example.com"),
                                    ("change", "grace@example.com")]


def test_a_move_is_stored_and_the_guest_told_unless_the_owner_opts_out(door, session,
                                                                      restaurant, day):
    rid = _book(door, restaurant, day)
    moved = door.move(rid, date=day.isoformat(), time="20:15", party_size=2,
                      table=table_id(restaurant, "T6"), version=1)
    assert moved.status in (200, 303), moved.text[:300]
    row = stored(session, rid)
    assert (row.starts_at, row.table_id) == (local(restaurant, day, 20, 15),
                                             table_id(restaurant, "T6"))
    assert row.ends_at - row.starts_at == dt.timedelta(minutes=90)  # the length is kept
    again = door.move(rid, notify=False, date=day.isoformat(), time="21:00", party_size=2,
                      table=table_id(restaurant, "T6"), version=2)
    assert again.status in (200, 303), again.text[:300]
    assert stored(session, rid).starts_at == local(restaurant, day, 21)
    assert [kind for kind, _ in emails(session, rid)] == ["confirmation", "change"]


def test_status_moves_and_the_cancellation_e_mail(door, session, restaurant, day):
    rid = _book(door, restaurant, day)
    assert door.set_status(rid, "seated", version=1, off_day=True).status in (200, 303)
    assert stored(session, rid).status == "seated"
    assert door.set_status(rid, "cancelled", version=2).status in (200, 303)
    assert stored(session, rid).status == "cancelled"
    assert [kind for kind, _ in emails(session, rid)] == ["confirmation", "cancellation"]


def test_a_cancellation_without_the_e_mail(door, session, restaurant, day):
    rid = _book(door, restaurant, day, notify=False)
    assert door.set_status(rid, "cancelled", version=1, notify=False).status in (200, 303)
    assert stored(session, rid).status == "cancelled" and emails(session) == []


# --------------------------------------------------------------------------- refusals


def test_a_taken_table_is_refused_with_the_same_message(door, session, restaurant, day):
    _book(door, restaurant, day)
    answer = door.book(date=day.isoformat(), time="19:30", party_size=2,
                       table=table_id(restaurant, "T4"), name="Second", email="b@example.com")
    assert answer.status == 409
    assert "T4 is taken 19:00–20:30 by Grace Hopper." in answer.text
    assert [kind for kind, _ in emails(session)] == ["confirmation"]  # none for the refusal


def test_outside_the_hours_is_refused_with_the_same_message(door, restaurant, day):
    answer = door.book(date=day.isoformat(), time="16:00", party_size=2, name="Early")
    assert answer.status == 422
    assert "That time is outside the restaurant's services." in answer.text


def test_a_stale_version_is_refused_with_the_same_message(door, session, restaurant, day):
    rid = _book(door, restaurant, day)
    answer = door.move(rid, date=day.isoformat(), time="20:00", party_size=2,
                       table=table_id(restaurant, "T4"), version=7)
    assert answer.status == 409
    assert "This reservation was changed meanwhile; reload it" in answer.text
    assert stored(session, rid).starts_at == local(restaurant, day, 19)
    assert [kind for kind, _ in emails(session)] == ["confirmation"]


# --------------------------------------------------------------------------- search


def test_one_search_finds_phone_digits_and_takes_wildcards_literally(door, session,
                                                                      restaurant, day):
    rid = _book(door, restaurant, day)
    _book(door, restaurant, day, time="12:00", name="Ada", email="ada@example.com",
          phone="0171 5550123")
    start = day.isoformat()
    assert door.search(q="30 1234", start=start) == [rid]
    assert door.search(q="grace", start=start) == [rid]
    assert door.search(q="%", start=start) == []
    assert door.search(q="_", start=start) == []
