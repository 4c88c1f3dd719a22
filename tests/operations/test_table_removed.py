"""A booking racing the removal of a table that never held one (issue 14).

The booking's INSERT takes its row from the table's row (under FOR KEY SHARE, only while
the table is active), so a table removed under a booking leaves the INSERT nothing to
write: the table the owner asked for is refused with ``table_removed`` (409), a table
the service chose is passed over for the next one. Before, the INSERT hit the foreign
key and the API answered 500.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.factories import local
from webapp.booking import service
from webapp.booking.errors import TableRemoved
from webapp.booking.operations import setup as setup_operations
from webapp.booking.setup import restaurant_setup
from webapp.extensions import db
from webapp.models import DiningTable, Reservation, Restaurant

from .conftest import ApiDoor, table_id

GUEST = service.GuestDetails("Racer", "racer@example.com")


def _reservations(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Reservation))


def test_a_table_removed_after_the_booking_read_the_tables(session, restaurant, day):
    """The booking holds the tables it read (the set-up cache's copy); the owner removes
    one of them before the booking writes. Both backends: on SQLite, one writer at a time
    means the removal can only come before the booking's write transaction."""
    tables = restaurant_setup(session, restaurant).tables
    t2, t4 = table_id(restaurant, "T2"), table_id(restaurant, "T4")
    setup_operations.remove_table(session, restaurant, session.get(DiningTable, t2))
    start = local(restaurant, day, 19)
    with pytest.raises(TableRemoved) as refused:
        service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST,
                     table_id=t2, source="phone", tables=tables)
    assert (refused.value.code, refused.value.http_status, refused.value.field) == (
        "table_removed", 409, "table")
    assert "Table T2 was just removed" in refused.value.message
    assert _reservations(session) == 0
    # The service's own choice: T2 fits a pair best, is gone, and T4 is next.
    booked = service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST,
                          tables=tables)
    assert (booked.reservation.table_id, booked.table_name) == (t4, "T4")


@pytest.mark.postgres_only
@pytest.mark.parametrize("explicit", [True, False], ids=["asked-for", "auto-assigned"])
def test_a_table_removed_under_a_booking_through_the_api(app, client, session, restaurant, day,
                                                         explicit):
    """The worst moment: the booking has its locks and has re-checked T6 (the one table
    that takes five), and the owner removes T6 (committed) right before the INSERT.
    Answered 409 (table_removed when asked for, slot_taken when the service chose it),
    nothing written; the API answered 500 before."""
    door = ApiDoor(client, session, restaurant)
    t6 = table_id(restaurant, "T6")
    restaurant_id = restaurant.id
    db.session.remove()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)

    def remove_t6(_session, chosen, starts_at, ends_at) -> None:
        assert chosen == t6
        with Session(engine) as other:
            setup_operations.remove_table(other, other.get_one(Restaurant, restaurant_id),
                                          other.get_one(DiningTable, t6))

    service.BEFORE_WRITE_HOOKS.append(remove_t6)
    try:
        answer = door.book(date=day.isoformat(), time="19:00", party_size=5, name="Racer",
                           **({"table": t6} if explicit else {}))
    finally:
        service.BEFORE_WRITE_HOOKS.remove(remove_t6)
        engine.dispose()
    assert answer.status == 409, answer
    assert answer.body["code"] == ("table_removed" if explicit else "slot_taken")
    assert session.get(DiningTable, t6) is None
    assert _reservations(session) == 0


@pytest.mark.postgres_only
def test_a_move_onto_a_table_removed_under_it_is_409(app, session, restaurant, day):
    """A move's UPDATE meets the foreign key of a table removed at the worst moment: the
    write transaction answers TableRemoved, the reservation stays where it was."""
    start = local(restaurant, day, 19)
    t2, t4 = table_id(restaurant, "T2"), table_id(restaurant, "T4")
    booked = service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST,
                          table_id=t4, source="phone")
    reservation_id, restaurant_id = booked.reservation.id, restaurant.id
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)

    def remove_t2(_session, chosen, starts_at, ends_at) -> None:
        with Session(engine) as other:
            setup_operations.remove_table(other, other.get_one(Restaurant, restaurant_id),
                                          other.get_one(DiningTable, chosen))

    service.BEFORE_WRITE_HOOKS.append(remove_t2)
    try:
        with pytest.raises(TableRemoved):
            service.change(session, restaurant, reservation_id, table_id=t2, actor="owner")
    finally:
        service.BEFORE_WRITE_HOOKS.remove(remove_t2)
        engine.dispose()
    session.expire_all()
    assert session.get_one(Reservation, reservation_id).table_id == t4
