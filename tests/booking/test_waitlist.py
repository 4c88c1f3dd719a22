"""The waitlist (booking/waitlist.py), on PostgreSQL and SQLite: joining, a cancellation
offering the freed table to the first fitting guest (held, e-mailed through a real SMTP
server on loopback), the offer booking, expiry passing the table on, no offer when
nothing fits, and the held table refused to everyone else while the offer lives."""

from __future__ import annotations

import datetime as dt
import email
from email import policy as email_policy

import pytest
from sqlalchemy import event, func, select

from tests.factories import future_day, local, make_restaurant
from tests.public.conftest import smtp_server  # noqa: F401  (the fixture)
from webapp.booking import holds, service, waitlist
from webapp.booking.errors import SlotTaken
from webapp.booking.operations import reservations as owner_ops
from webapp.booking.operations.context import WriteContext
from webapp.extensions import db
from webapp.models import Hold, OutboxEmail, Reservation, WaitlistEntry
from webapp.notifications.outbox import deliver_due


@pytest.fixture
def one_table(session):
    return make_restaurant(session, slug="solo", name="Solo", tables=[("Solo", 4)])


def guest(n: int) -> service.GuestDetails:
    return service.GuestDetails(f"Guest {n}", f"g{n}@example.com", "")


def book(session, restaurant, n: int, hour: int = 19, party: int = 2):
    return service.book(session, restaurant, starts_at=local(restaurant, future_day(), hour),
                        party_size=party, guest=guest(n))


def join(session, restaurant, n: int, earliest=dt.time(18), latest=dt.time(21), party=2):
    return waitlist.join(session, restaurant, day=future_day(), party_size=party, earliest=earliest,
                         latest=latest, guest=guest(n), language="en")


def fill_evening(session, restaurant) -> list[Reservation]:
    """The one table booked 18:00-20:00 and 20:00-22:00 (and the 22:00s are past the
    18-21 windows the tests join with)."""
    return [book(session, restaurant, 100, 18).reservation,
            book(session, restaurant, 101, 20).reservation]


def cancel(session, restaurant, reservation_id: int) -> list[int]:
    """The owner cancels (the operation every page and the API share); the e-mails handed
    to delivery after the commit."""
    handed: list[int] = []
    owner_ops.cancel(session, restaurant, WriteContext(actor="owner", after_commit=handed.extend),
                     reservation_id, notify_guest=False)
    return handed


def entry(session, entry_id: int) -> WaitlistEntry:
    session.expire_all()
    return session.get_one(WaitlistEntry, entry_id)


def offer_emails(session) -> list[OutboxEmail]:
    return list(session.scalars(select(OutboxEmail).where(
        OutboxEmail.kind == waitlist.OFFER_EMAIL).order_by(OutboxEmail.id)))


def test_joining_puts_guests_in_line_with_the_window_in_utc(session, one_table):
    first = join(session, one_table, 1)
    second = join(session, one_table, 2, earliest=dt.time(19), latest=dt.time(19, 30))
    assert (first.entry.position, second.entry.position) == (1, 2)
    assert first.entry.status == "waiting" and first.entry.token_hash != first.token
    assert second.entry.window_start == local(one_table, future_day(), 19)
    assert second.entry.window_end == local(one_table, future_day(), 19, 30)
    assert waitlist.find(session, one_table, first.token) == (first.entry, False)
    with pytest.raises(waitlist.WaitlistRefused):
        join(session, one_table, 3, earliest=dt.time(21), latest=dt.time(19))


def test_a_cancellation_offers_the_freed_table_to_the_first_fitting_guest(session, one_table):
    early, _late = fill_evening(session, one_table)
    too_big = join(session, one_table, 1, party=6)  # the table seats 4: never fits
    first = join(session, one_table, 2)
    second = join(session, one_table, 3)
    assert waitlist.make_offers(session, one_table) == []  # nothing free yet
    queued = cancel(session, one_table, early.id)
    offered = entry(session, first.entry.id)
    assert offered.status == "offered"
    assert offered.offer_starts_at == local(one_table, future_day(), 18)
    assert entry(session, second.entry.id).status == "waiting"
    assert entry(session, too_big.entry.id).status == "waiting"
    (mail,) = offer_emails(session)
    assert mail.to_address == "g2@example.com" and mail.id in queued
    # The offer is a live hold on the table, named by the e-mail's link.
    (hold,) = session.scalars(select(Hold))
    assert hold.token_hash == offered.offer_token_hash
    assert hold.expires_at == offered.offer_expires_at
    assert offered.offer_expires_at - waitlist.clock.now() == dt.timedelta(minutes=15)
    # Another pass offers nothing more: the table is held.
    assert waitlist.make_offers(session, one_table) == []


def test_the_offer_email_goes_out_and_its_link_books_the_table(app, session, one_table,
                                                               smtp_server):  # noqa: F811
    early, _late = fill_evening(session, one_table)
    joined = join(session, one_table, 2)
    cancel(session, one_table, early.id)
    config = {**app.config, "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port,
              "MAIL_USE_TLS": False, "MAIL_DEFAULT_SENDER": "solo@example.org"}
    report = deliver_due(session, config, now=waitlist.clock.now() + dt.timedelta(seconds=1))
    assert report.sent == 1
    (message,) = (email.message_from_bytes(m, policy=email_policy.default)
                  for m in smtp_server.messages)
    assert message["To"] == "g2@example.com" and "Solo" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    link = next(line for line in body.splitlines() if "/r/solo/w/" in line)
    token = link.rsplit("/", 1)[1]
    # The stored copy of a sent e-mail has the link redacted.
    assert token not in offer_emails(session)[0].body_text
    booked = waitlist.take_offer(session, one_table, token)
    assert booked.reservation.starts_at == local(one_table, future_day(), 18)
    assert booked.reservation.guest_email == "g2@example.com"
    done = entry(session, joined.entry.id)
    assert (done.status, done.reservation_id) == ("booked", booked.reservation.id)
    assert session.scalar(select(func.count()).select_from(Hold)) == 0
    with pytest.raises(waitlist.OfferGone):  # a second click books nothing more
        waitlist.take_offer(session, one_table, token)
    # The private link from joining is no offer link.
    with pytest.raises(waitlist.OfferGone):
        waitlist.take_offer(session, one_table, joined.token)


def test_an_expired_offer_passes_the_table_to_the_next_guest(session, clock, one_table):
    early, _late = fill_evening(session, one_table)
    first = join(session, one_table, 1)
    second = join(session, one_table, 2)
    cancel(session, one_table, early.id)
    assert entry(session, first.entry.id).status == "offered"
    clock.advance(minutes=one_table.waitlist_offer_minutes, seconds=1)
    (offer,) = waitlist.make_offers(session, one_table)
    assert offer.entry_id == second.entry.id
    assert entry(session, first.entry.id).status == "expired"
    assert entry(session, second.entry.id).status == "offered"
    assert [m.to_address for m in offer_emails(session)] == ["g1@example.com",
                                                             "g2@example.com"]
    # The first guest's link books nothing now: their offer is over.
    first_hash = entry(session, first.entry.id).offer_token_hash
    assert first_hash is not None
    clock.advance(minutes=one_table.waitlist_offer_minutes, seconds=1)
    assert waitlist.make_offers(session, one_table) == []  # nobody left to offer
    assert entry(session, second.entry.id).status == "expired"


def test_no_offer_when_nothing_fits_the_window(session, one_table):
    early, _late = fill_evening(session, one_table)
    joined = join(session, one_table, 1, earliest=dt.time(20, 30), latest=dt.time(21))
    cancel(session, one_table, early.id)  # frees 18:00-20:00: before the window ends
    # 18:00 and 18:30 are free now, but the guest wants 20:30-21:00: still taken.
    assert entry(session, joined.entry.id).status == "waiting"
    assert offer_emails(session) == []
    assert session.scalar(select(func.count()).select_from(Hold)) == 0


def test_nobody_else_can_book_the_offered_table_while_the_offer_lives(session, clock,
                                                                      one_table):
    early, _late = fill_evening(session, one_table)
    join(session, one_table, 1)
    cancel(session, one_table, early.id)
    with pytest.raises(SlotTaken):
        book(session, one_table, 7, 18)
    with pytest.raises(SlotTaken):  # the owner's phone booking too
        service.book(session, one_table, starts_at=local(one_table, future_day(), 18), party_size=2,
                     guest=guest(8), source="phone", actor="owner")
    with pytest.raises(SlotTaken):
        holds.place(session, one_table, starts_at=local(one_table, future_day(), 18), party_size=2,
                    holder="browser")


def test_taking_an_offer_after_it_expired_books_nothing(session, clock, one_table):
    early, _late = fill_evening(session, one_table)
    join(session, one_table, 1)
    cancel(session, one_table, early.id)
    (mail,) = offer_emails(session)
    token = mail.body_text.split("/r/solo/w/")[1].split()[0]
    clock.advance(minutes=one_table.waitlist_offer_minutes, seconds=1)
    with pytest.raises(waitlist.OfferGone):
        waitlist.take_offer(session, one_table, token)
    assert session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.status == "booked")) == 1


def test_leaving_the_list_releases_an_offers_hold(session, one_table):
    early, _late = fill_evening(session, one_table)
    first = join(session, one_table, 1)
    second = join(session, one_table, 2)
    cancel(session, one_table, early.id)
    assert waitlist.leave(session, one_table, first.entry.id)
    assert session.scalar(select(func.count()).select_from(Hold)) == 0
    assert not waitlist.leave(session, one_table, first.entry.id)  # already gone
    (offer,) = waitlist.make_offers(session, one_table)
    assert offer.entry_id == second.entry.id


def test_owners_reorder_the_line(session, one_table):
    entries = [join(session, one_table, n).entry.id for n in range(3)]
    assert waitlist.move(session, one_table, entries[2], -1)
    assert [e.id for e in waitlist.line(session, one_table, future_day())] == [
        entries[0], entries[2], entries[1]]
    assert waitlist.move(session, one_table, entries[0], 5)  # past the end: last
    assert [e.id for e in waitlist.line(session, one_table, future_day())] == [
        entries[2], entries[1], entries[0]]


def test_an_empty_waitlist_costs_a_cancellation_one_query(session, one_table):
    fill_evening(session, one_table)
    session.rollback()
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        waitlist.offer_after_write(session, [one_table.id])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    selects = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 and "waitlist_entries" in selects[0], seen
