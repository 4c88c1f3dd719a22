"""A new booking's history and outbox rows go with its COMMIT on PostgreSQL, in one round
trip (booking/tail.py): all of it is written, or none of it."""

import pytest
from sqlalchemy import event, select, text

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service, tail
from webapp.booking.errors import LockTimeout
from webapp.extensions import db
from webapp.models import OutboxEmail, Reservation, ReservationEvent
from webapp.notifications import MailWriter

pytestmark = pytest.mark.postgres_only  # SQLite runs each INSERT at once

GUEST = service.GuestDetails("Ada", "ada@example.com", "")


def _writer() -> MailWriter:
    return MailWriter(link_for=lambda token: f"https://x.test/r/b/{token}")


def test_history_and_outbox_rows_go_with_the_commit(session):
    restaurant = make_restaurant(session, tables=[("T", 2)])
    own_statements: list[str] = []
    with_commit: list[str] = []
    record = lambda *args: own_statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", record)
    tail.SENT_OBSERVERS.append(with_commit.append)
    writer = _writer()
    try:
        result = service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                              party_size=2, guest=GUEST, after_write=writer)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        tail.SENT_OBSERVERS.remove(with_commit.append)
    assert [s.split(" (")[0] for s in with_commit] == [
        "INSERT INTO reservation_events", "INSERT INTO outbox_emails"]
    assert not [s for s in own_statements if "reservation_events" in s or "outbox_emails" in s]
    session.expire_all()
    events = session.scalars(select(ReservationEvent).where(
        ReservationEvent.reservation_id == result.reservation.id)).all()
    assert [(e.action, e.changes["source"]) for e in events] == [("created", "online")]
    (mail,) = session.scalars(select(OutboxEmail)).all()
    # The id RETURNING gave after the commit is the row's: delivery is handed that one.
    assert writer.queued_ids == [mail.id] and mail.kind == "confirmation"


def test_a_tail_the_database_refuses_takes_the_whole_booking_back(session):
    restaurant = make_restaurant(session, tables=[("T", 2)])
    start = local(restaurant, future_day(), 19)
    session.commit()
    policy = service.WritePolicy(lock_timeout_ms=300)
    with db.engine.connect() as other:
        # Holds off every INSERT into the history: the booking's waits in its tail, past
        # its lock timeout, after its reservation's INSERT went through.
        other.execute(text("LOCK TABLE reservation_events IN SHARE MODE"))
        with pytest.raises(LockTimeout):
            service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST,
                         after_write=_writer(), policy=policy)
        other.rollback()
    assert session.scalars(select(Reservation)).all() == []
    assert session.scalars(select(OutboxEmail)).all() == []
    # The session and its connection are fine: the same booking goes through now.
    booked = service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST,
                          after_write=_writer(), policy=policy)
    assert session.get(Reservation, booked.reservation.id) is not None


def test_writes_that_do_not_ask_for_it_run_their_inserts_at_once(session):
    """An owner's change keeps a point between its changes and its COMMIT (the fault
    tests kill a worker there): its history row is a statement of its own."""
    restaurant = make_restaurant(session, tables=[("T", 2)])
    booked = service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                          party_size=2, guest=GUEST)
    own_statements: list[str] = []
    with_commit: list[str] = []
    record = lambda *args: own_statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", record)
    tail.SENT_OBSERVERS.append(with_commit.append)
    try:
        service.change(session, restaurant, booked.reservation.id, party_size=1, actor="owner")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        tail.SENT_OBSERVERS.remove(with_commit.append)
    assert with_commit == []
    assert [s for s in own_statements if s.startswith("INSERT INTO reservation_events")]
