"""The write transaction's bookkeeping and the after_write contract, on both backends.

* Every write of a transaction is counted (``database.writes_in_transaction``), also a
  Core statement sent with ``session.connection().execute``: the booking service goes
  on in the caller's transaction only when it has written nothing, so that a refused
  booking's rollback can never take the caller's writes with it.
* ``after_write`` gets the guest's clear manage token on "created" (the one in the
  result), None otherwise; nothing is left on the ORM object.
"""

import pytest
from sqlalchemy import select, update

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.booking.errors import GuestAlreadyBooked
from webapp.database import writes_in_transaction
from webapp.extensions import db
from webapp.models import Reservation, Restaurant
from webapp.notifications.outbox import MailWriter

GUEST = service.GuestDetails("Ada Lovelace", "ada@example.com")


def _rename(restaurant_id: int, name: str):
    return update(Restaurant).where(Restaurant.id == restaurant_id).values(name=name)


def test_every_write_of_the_transaction_is_counted(session):
    restaurant = make_restaurant(session, tables=[("T", 2)])
    restaurant_id = restaurant.id
    session.commit()
    session.execute(select(Restaurant.name))
    session.connection().execute(select(Restaurant.name))
    assert writes_in_transaction(session) == 0, "reads are not writes"
    session.connection().execute(_rename(restaurant_id, "Core"))
    assert writes_in_transaction(session) == 1, "a Core write on the session's connection"
    session.execute(_rename(restaurant_id, "ORM"))
    assert writes_in_transaction(session) == 2
    session.get(Restaurant, restaurant_id).name = "Flushed"
    session.flush()
    assert writes_in_transaction(session) == 3
    session.commit()
    assert writes_in_transaction(session) == 0, "a new transaction starts from nothing"
    # The pooled connection the session used, written on outside the session, counts
    # for nobody: not for the session's next transaction.
    with db.engine.begin() as connection:
        connection.execute(_rename(restaurant_id, "Elsewhere"))
    session.execute(select(Restaurant.name))
    assert writes_in_transaction(session) == 0


def test_a_callers_core_write_survives_a_refused_booking(session):
    """The caller wrote through the connection, then the booking is refused (the guest
    already holds that evening): the rename stays. Before such writes were counted, the
    service carried on in the caller's transaction on PostgreSQL and its rollback took
    the rename with it."""
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    restaurant_id = restaurant.id
    start = local(restaurant, future_day(), 19)
    service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST)
    session.connection().execute(_rename(restaurant_id, "Renamed"))
    with pytest.raises(GuestAlreadyBooked):
        service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST)
    session.expire_all()
    assert session.scalar(select(Restaurant.name).where(Restaurant.id == restaurant_id)) \
        == "Renamed"


def test_after_write_gets_the_manage_token_on_created_only(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    day = future_day()
    calls: list[tuple[str, str | None]] = []

    def after_write(session_, reservation, action, *, manage_token):
        calls.append((action, manage_token))

    booked = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=2, guest=GUEST, after_write=after_write)
    reservation = booked.reservation
    assert calls == [("created", booked.manage_token)]
    assert not hasattr(reservation, "issued_manage_token"), "nothing stuck on the ORM object"
    service.change(session, restaurant, reservation.id, starts_at=local(restaurant, day, 20),
                   actor="owner", after_write=after_write)
    service.set_status(session, restaurant, reservation.id, "seated", after_write=after_write)
    assert calls[1:] == [("changed", None), ("seated", None)]


def test_the_mail_writer_uses_the_token_of_the_result(session):
    """The e-mail's link is the result's token: the writer issues no second one."""
    restaurant = make_restaurant(session, tables=[("A", 2)])
    mail = MailWriter(link_for=lambda token: f"https://x.test/b/{token}")
    booked = service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                          party_size=2, guest=GUEST, after_write=mail)
    assert mail.manage_token == booked.manage_token
    session.expire_all()
    found = service.find_by_token(session, booked.manage_token)
    assert found is not None and found.id == booked.reservation.id
    assert session.scalars(select(Reservation)).one().id == found.id
