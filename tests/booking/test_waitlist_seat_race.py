"""Seating from the list under real concurrency (separate processes on one PostgreSQL
database; the harness of test_concurrency): a guest offered a freed table clicks the
offer's link while owners seat the same guest from the waitlist page, all at the same
instant. Exactly one of them books: one reservation for the guest, the entry booked with
it, the offer's hold gone; every other attempt is refused (the entry no longer in line,
the offer gone, the guest already booked), none crashes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.booking.test_concurrency import compete, kinds
from tests.factories import future_day, local, make_restaurant
from webapp.booking import service, waitlist
from webapp.booking.operations import waitlist as ops
from webapp.booking.operations.context import WriteContext
from webapp.models import Hold, OutboxEmail, Reservation, WaitlistEntry

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

OWNERS, GUEST_CLICKS = 3, 3


def test_the_guest_and_the_owners_seating_at_once_book_once(app, session):
    restaurant = make_restaurant(session, slug="solo", tables=[("Solo", 4)])
    day = future_day()
    early = service.book(session, restaurant, starts_at=local(restaurant, day, 18),
                         party_size=2, guest=service.GuestDetails("A", "a@example.com"))
    service.book(session, restaurant, starts_at=local(restaurant, day, 20), party_size=2,
                 guest=service.GuestDetails("B", "b@example.com"))
    entry = waitlist.join(session, restaurant, day=day, party_size=2, earliest=dt.time(18),
                          latest=dt.time(21),
                          guest=service.GuestDetails("Wanda", "wanda@example.com")).entry
    entry_id = entry.id
    service.cancel(session, restaurant, early.reservation.id)
    with app.app_context():
        (offer,) = waitlist.make_offers(session, restaurant)
    mail = session.scalars(select(OutboxEmail).where(
        OutboxEmail.kind == waitlist.OFFER_EMAIL)).one()
    token = mail.body_text.split("/r/solo/w/")[1].split()[0]

    # The owners book the guest for lunch: no table and no stay of theirs overlaps the
    # offer's, so only the entry itself (booked once, inside each booking's transaction)
    # keeps the guest to one booking.
    def owner_seats(child_session, child_restaurant, index):
        return ops.seat(child_session, child_restaurant, WriteContext(actor="owner:race"),
                        entry_id, ops.Seat(time=dt.time(13))).booked

    def guest_takes(child_session, child_restaurant, index):
        return waitlist.take_offer(child_session, child_restaurant, token)

    outcomes = compete(app, restaurant.id, [owner_seats] * OWNERS + [guest_takes] * GUEST_CLICKS)
    counted = kinds(outcomes)
    assert counted["ok"] == 1, outcomes
    # The losers: the entry no longer in line, the offer gone, or (two owners' lunches
    # overlap: the guest's own lock puts one after the other) the guest already booked.
    assert set(counted) - {"ok"} <= {"NotInLine", "OfferGone", "GuestAlreadyBooked"}, outcomes

    session.expire_all()
    booked = session.get_one(WaitlistEntry, entry_id)
    theirs = session.scalars(select(Reservation).where(Reservation.guest_name == "Wanda")).all()
    assert len(theirs) == 1 and booked.status == "booked"
    assert booked.reservation_id == theirs[0].id
    assert theirs[0].starts_at in (offer.starts_at, local(restaurant, day, 13))
    assert session.scalars(select(Hold)).all() == []
