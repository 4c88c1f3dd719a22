"""Holds (booking/holds.py), on PostgreSQL and SQLite: the table a guest picked is theirs
for a few minutes, others do not see it free and cannot book it, the holder's booking
converts it, it expires by the clock alone, one hold per holder, combinations, the
pace, and the database backstop behind the lock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tests.factories import future_day, join_tables, local, make_restaurant
from webapp.booking import holds, service
from webapp.booking.availability import bookable_times
from webapp.booking.errors import PaceExceeded, SlotTaken
from webapp.models import DiningTable, Hold, OpeningHours, Reservation, Restaurant


def guest(n: int) -> service.GuestDetails:
    return service.GuestDetails(f"Guest {n}", f"h{n}@example.com")


@pytest.fixture
def one_table(session):
    return make_restaurant(session, tables=[("Solo", 4)])


def at(restaurant, hour=19):
    return local(restaurant, future_day(), hour)


def hold(session, restaurant, holder="browser-a", hour=19, party=2, **kwargs):
    return holds.place(session, restaurant, starts_at=at(restaurant, hour), party_size=party,
                       holder=holder, **kwargs)


def times(session, restaurant, holder="", party=2):
    return {t.starts_at for t in bookable_times(session, restaurant, future_day(), party,
                                                 holder=holder)}


def holds_minutes(restaurant):
    return dt.timedelta(minutes=restaurant.hold_minutes)


def test_a_held_table_is_taken_for_others_and_free_for_its_holder(session, clock, one_table):
    placed = hold(session, one_table)
    assert placed.expires_at == clock.now() + holds_minutes(one_table)
    assert placed.table_name == "Solo"
    assert at(one_table) not in times(session, one_table)
    assert at(one_table) in times(session, one_table, holder=holds.holder_hash("browser-a"))
    with pytest.raises(SlotTaken):
        service.book(session, one_table, starts_at=at(one_table), party_size=2, guest=guest(1))
    # The owner's phone booking meets the hold too: the guest picked it first.
    with pytest.raises(SlotTaken):
        service.book(session, one_table, starts_at=at(one_table), party_size=2,
                     guest=guest(2), source="phone", actor="owner")


def test_the_holders_booking_converts_the_hold(session, one_table):
    placed = hold(session, one_table)
    booked = service.book(session, one_table, starts_at=at(one_table), party_size=2,
                          guest=guest(0), hold=placed.token)
    assert booked.table_name == "Solo"
    assert session.scalar(select(func.count()).select_from(Hold)) == 0


def test_others_get_another_table_while_one_is_held(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    placed = hold(session, restaurant)
    other = service.book(session, restaurant, starts_at=at(restaurant), party_size=2,
                         guest=guest(1))
    assert {other.table_name, placed.table_name} == {"A", "B"}


def test_a_hold_expires_by_the_clock_alone(session, clock, one_table):
    placed = hold(session, one_table)
    clock.advance(minutes=one_table.hold_minutes, seconds=1)
    # Nothing deleted it, and nothing needs to: it blocks nobody now.
    assert session.scalar(select(func.count()).select_from(Hold)) == 1
    assert at(one_table) in times(session, one_table)
    service.book(session, one_table, starts_at=at(one_table), party_size=2, guest=guest(1))
    # The late holder is refused, with other times to pick from.
    with pytest.raises(SlotTaken) as refused:
        service.book(session, one_table, starts_at=at(one_table), party_size=2,
                     guest=guest(0), hold=placed.token)
    assert refused.value.alternatives


def test_an_expired_hold_still_books_when_nobody_took_the_table(session, clock, one_table):
    placed = hold(session, one_table)
    clock.advance(minutes=30)
    booked = service.book(session, one_table, starts_at=at(one_table), party_size=2,
                          guest=guest(0), hold=placed.token)
    assert booked.table_name == "Solo"


def test_two_guests_never_hold_the_same_table(session, one_table):
    hold(session, one_table, holder="browser-a")
    with pytest.raises(SlotTaken):
        hold(session, one_table, holder="browser-b")


def test_one_hold_per_holder_at_a_time(session, one_table):
    first = hold(session, one_table, hour=13)
    second = hold(session, one_table, hour=19)
    assert session.scalars(select(Hold.starts_at)).all() == [second.starts_at]
    assert at(one_table, 13) in times(session, one_table)
    assert first.token != second.token
    # Picking the same time again keeps it theirs (their own hold does not block them).
    hold(session, one_table, hour=19)


def test_a_combination_is_held_on_every_table(session):
    restaurant = make_restaurant(session, tables=[("Napoli", 6), ("Milano", 6)],
                                 max_online_party=12)
    join_tables(session, restaurant, ["Napoli", "Milano"], 7, 12)
    placed = hold(session, restaurant, party=10)
    assert placed.table_name == "Napoli + Milano" and len(placed.table_ids) == 2
    milano = session.scalar(select(DiningTable.id).where(DiningTable.name == "Milano",
                                                         DiningTable.restaurant_id == restaurant.id))
    with pytest.raises(SlotTaken):
        service.book(session, restaurant, starts_at=at(restaurant), party_size=2,
                     guest=guest(1), table_id=milano, source="phone", actor="owner")
    booked = service.book(session, restaurant, starts_at=at(restaurant), party_size=10,
                          guest=guest(0), hold=placed.token)
    assert service.tables_of(session, booked.reservation) == placed.table_ids


def test_a_full_pace_is_not_held(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id)
                    .values(pace_covers=2))
    session.commit()
    service.book(session, restaurant, starts_at=at(restaurant, 13), party_size=2,
                 guest=guest(1))
    with pytest.raises(PaceExceeded):
        hold(session, restaurant, hour=13)


def test_holds_can_be_switched_off(session, one_table):
    session.execute(update(Restaurant).where(Restaurant.id == one_table.id).values(hold_minutes=0))
    session.commit()
    session.refresh(one_table)
    with pytest.raises(holds.HoldsOff):
        hold(session, one_table)


def test_release_frees_the_table(session, one_table):
    placed = hold(session, one_table)
    assert holds.release(session, one_table, placed.token)
    assert not holds.release(session, one_table, placed.token)
    assert at(one_table) in times(session, one_table)


def test_the_backstop_refuses_a_second_hold_row_on_a_table(session, clock, one_table):
    """A write that skipped the lock path still cannot put a second hold on the table."""
    placed = hold(session, one_table)
    table_id = placed.table_ids[0]
    with pytest.raises(IntegrityError):
        session.execute(insert(Hold).values(
            restaurant_id=one_table.id, table_id=table_id, starts_at=placed.starts_at,
            ends_at=placed.ends_at, party_size=2, expires_at=placed.expires_at,
            token_hash="x" * 64, holder_hash="y" * 64, created_at=clock.now()))
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Reservation)) == 0


def test_the_worker_deletes_only_long_expired_holds(app, session, clock):
    from webapp.worker import JOBS

    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 4)])
    old = hold(session, restaurant, holder="browser-a", hour=13)  # on A
    clock.advance(minutes=restaurant.hold_minutes + 61)
    # On B (a new hold deletes the expired holds of its own tables itself).
    fresh = hold(session, restaurant, holder="browser-b", hour=19, party=3)
    purge = next(job for job in JOBS if job.name == "holds")  # one of the worker's passes
    with app.app_context():
        assert purge.run() == "holds: 1 long expired deleted"
    left = session.scalars(select(Hold.starts_at)).all()
    assert left == [fresh.starts_at] and old.starts_at not in left
