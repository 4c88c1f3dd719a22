"""Taking a cancellation back is a booking write under the locks (issue 17): a re-booking
and a new booking of the same table and time, started together on their own
connections, never both hold it. Held at its write point, the re-booking keeps the new
booking waiting on the table's advisory locks (it is refused by the locked re-check,
not by the schema's backstop); with the locks off (the control) both pass their
re-checks and only the exclusion constraint stops the second."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.factories import local, today
from webapp.booking import service
from webapp.booking.errors import BookingError, SlotTaken
from webapp.booking.service import GuestDetails, WritePolicy
from webapp.extensions import db
from webapp.models import ACTIVE_STATUSES, Reservation, Restaurant

from .conftest import table_id


def _cancelled_booking(session, restaurant) -> int:
    rid = service.book(session, restaurant, starts_at=local(restaurant, today(), 19),
                       party_size=2, guest=GuestDetails("First", "first@example.com"),
                       table_id=table_id(restaurant, "T4"), source="phone").reservation.id
    service.set_status(session, restaurant, rid, "cancelled")
    return rid


def _race(app, restaurant_id: int, rid: int, table: int, policy: WritePolicy
          ) -> dict[str, object]:
    """The re-booking and a new booking at 19:30 on ``table``, started together. Each
    writer, once past its re-check, waits at its write point (a second and a half at
    most) for the other to get there too: without the locks both do, and both write;
    with them the other is still waiting for the table's locks."""
    db.session.remove()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    barrier = threading.Barrier(2, timeout=30)
    at_write = {"reinstate": threading.Event(), "book": threading.Event()}
    outcome: dict[str, object] = {}

    def hold(session, table_id_, starts_at, ends_at) -> None:
        mine = threading.current_thread().name
        other = "book" if mine == "reinstate" else "reinstate"
        at_write[mine].set()
        at_write[other].wait(1.5)

    def reinstate() -> None:
        with Session(engine) as session:
            restaurant = session.get(Restaurant, restaurant_id)
            barrier.wait()
            try:
                service.reinstate(session, restaurant, rid, "booked", policy=policy)
                outcome["reinstate"] = "ok"
            except BookingError as error:
                outcome["reinstate"] = error

    def book() -> None:
        with Session(engine) as session:
            restaurant = session.get(Restaurant, restaurant_id)
            barrier.wait()
            try:
                service.book(session, restaurant, starts_at=local(restaurant, today(), 19, 30),
                             party_size=2, guest=GuestDetails("Second", "second@example.com"),
                             table_id=table, source="phone", policy=policy)
                outcome["book"] = "ok"
            except BookingError as error:
                outcome["book"] = error

    threads = [threading.Thread(target=reinstate, name="reinstate"),
               threading.Thread(target=book, name="book")]
    service.BEFORE_WRITE_HOOKS.append(hold)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        service.BEFORE_WRITE_HOOKS.remove(hold)
        engine.dispose()
    return outcome


def _active_on(session, table: int) -> list[int]:
    session.rollback()
    return list(session.scalars(select(Reservation.id).where(
        Reservation.table_id == table, Reservation.status.in_(ACTIVE_STATUSES))))


@pytest.mark.postgres_only
def test_a_re_booking_and_a_new_booking_never_both_hold_the_table(app, session, restaurant):
    rid = _cancelled_booking(session, restaurant)
    t4 = table_id(restaurant, "T4")
    outcome = _race(app, restaurant.id, rid, t4, WritePolicy())
    winners = [name for name, result in outcome.items() if result == "ok"]
    assert len(winners) == 1, outcome
    loser = outcome["book" if winners == ["reinstate"] else "reinstate"]
    assert isinstance(loser, SlotTaken) and not loser.by_constraint, outcome
    assert len(_active_on(session, t4)) == 1


@pytest.mark.postgres_only
def test_control_without_the_locks_only_the_backstop_stops_the_second(app, session,
                                                                      restaurant):
    rid = _cancelled_booking(session, restaurant)
    t4 = table_id(restaurant, "T4")
    outcome = _race(app, restaurant.id, rid, t4, WritePolicy(advisory_locks=False))
    winners = [name for name, result in outcome.items() if result == "ok"]
    assert len(winners) == 1, outcome
    loser = outcome["book" if winners == ["reinstate"] else "reinstate"]
    # Both passed their re-checks: the exclusion constraint refused the later write.
    assert isinstance(loser, SlotTaken) and loser.by_constraint, outcome
    assert len(_active_on(session, t4)) == 1
