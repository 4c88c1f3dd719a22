"""The booking service on PostgreSQL and SQLite: rules, assignment, errors, history."""

import datetime as dt

import pytest
from sqlalchemy import select, text

from tests.factories import future_day, local, make_restaurant
from webapp.booking import service
from webapp.booking.errors import (
    GuestAlreadyBooked,
    InvalidTransition,
    NoSuitableTable,
    NotChangeable,
    OutsideOpeningHours,
    PartyTooLarge,
    SlotTaken,
    StaleReservation,
    TooFarAhead,
    TooLate,
)
from webapp.models import Reservation, ReservationEvent

GUEST = service.GuestDetails("Ada Lovelace", "ada@example.com", "+44 20 1234", "window please")


def guest(n: int) -> service.GuestDetails:
    return service.GuestDetails(f"Guest {n}", f"g{n}@example.com", "")


def test_book_assigns_best_fit_and_returns_manage_token(session):
    restaurant = make_restaurant(session, tables=[("Big", 6), ("Small", 2), ("Mid", 4)])
    day = future_day()
    result = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=2, guest=GUEST)
    reservation = result.reservation
    assert reservation.table.name == "Small"
    assert reservation.ends_at - reservation.starts_at == dt.timedelta(minutes=120)
    assert reservation.guest_email == "ada@example.com"
    assert reservation.guest_phone == "+44201234"
    assert service.find_by_token(session, result.manage_token).id == reservation.id
    assert reservation.manage_token_hash != result.manage_token
    events = session.scalars(select(ReservationEvent)).all()
    assert [e.action for e in events] == ["created"]


def test_next_table_is_used_when_best_fit_is_taken(session):
    restaurant = make_restaurant(session, tables=[("Small", 2), ("Mid", 4)])
    start = local(restaurant, future_day(), 19)
    first = service.book(session, restaurant, starts_at=start, party_size=2, guest=guest(1))
    second = service.book(session, restaurant, starts_at=start, party_size=2, guest=guest(2))
    assert {first.reservation.table.name, second.reservation.table.name} == {"Small", "Mid"}
    with pytest.raises(SlotTaken) as taken:
        service.book(session, restaurant, starts_at=start, party_size=2, guest=guest(3))
    assert taken.value.alternatives, "a refused guest is offered nearby times"
    assert all(a != start for a in taken.value.alternatives)
    assert not getattr(taken.value, "by_constraint", False)


def test_explicit_table_is_honoured_or_refused(session):
    restaurant = make_restaurant(session, tables=[("Monaco", 2), ("Roma", 2)])
    roma = restaurant.tables[1]
    start = local(restaurant, future_day(), 20)
    booked = service.book(session, restaurant, starts_at=start, party_size=2, guest=guest(1),
                          table_id=roma.id)
    assert booked.reservation.table_id == roma.id
    with pytest.raises(SlotTaken) as taken:
        service.book(session, restaurant, starts_at=start + dt.timedelta(minutes=30),
                     party_size=2, guest=guest(2), table_id=roma.id)
    assert taken.value.free_tables == ["Monaco"]


def test_overlapping_but_different_stays_conflict(session):
    restaurant = make_restaurant(session, tables=[("Only", 4)])
    day = future_day()
    service.book(session, restaurant, starts_at=local(restaurant, day, 18), party_size=2,
                 guest=guest(1))
    with pytest.raises(SlotTaken):
        service.book(session, restaurant, starts_at=local(restaurant, day, 19, 45),
                     party_size=2, guest=guest(2))
    after = service.book(session, restaurant, starts_at=local(restaurant, day, 20),
                         party_size=2, guest=guest(3))
    assert after.reservation.table.name == "Only"


@pytest.mark.parametrize("hour, minute, error", [
    (16, 0, OutsideOpeningHours),  # between lunch and dinner
    (21, 30, OutsideOpeningHours),  # after last seating (23:00 - 120 min)
    (19, 7, OutsideOpeningHours),  # off the 15-minute grid
])
def test_online_rules_refuse_times_outside_the_slots(session, hour, minute, error):
    restaurant = make_restaurant(session)
    with pytest.raises(error):
        service.book(session, restaurant, starts_at=local(restaurant, future_day(), hour, minute),
                     party_size=2, guest=GUEST)
    assert session.scalar(select(Reservation.id)) is None


def test_lead_time_horizon_and_party_limit(session):
    restaurant = make_restaurant(session, lead_time_minutes=24 * 60, horizon_days=10,
                                 max_online_party=6)
    with pytest.raises(TooLate):
        service.book(session, restaurant,
                     starts_at=local(restaurant, dt.date.today() - dt.timedelta(days=1), 19),
                     party_size=2, guest=GUEST)
    with pytest.raises(TooFarAhead):
        service.book(session, restaurant, starts_at=local(restaurant, future_day(30), 19),
                     party_size=2, guest=GUEST)
    with pytest.raises(PartyTooLarge):
        service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                     party_size=7, guest=GUEST)


def test_owner_phone_booking_skips_lead_time_but_needs_a_table(session):
    restaurant = make_restaurant(session, lead_time_minutes=600, tables=[("T", 4)])
    soon = local(restaurant, future_day(), 19, 10)  # off-grid is fine for the owner
    result = service.book(session, restaurant, starts_at=soon, party_size=3, guest=GUEST,
                          source="phone", actor="owner:1")
    assert result.reservation.source == "phone"
    with pytest.raises(NoSuitableTable):
        service.book(session, restaurant, starts_at=soon, party_size=9, guest=guest(2),
                     source="phone")


def test_same_guest_cannot_hold_two_overlapping_bookings(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    day = future_day()
    service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=2,
                 guest=GUEST)
    twin = service.GuestDetails("Someone", "", "+44 (20) 1234")  # same phone, other format
    with pytest.raises(GuestAlreadyBooked):
        service.book(session, restaurant, starts_at=local(restaurant, day, 20), party_size=2,
                     guest=twin)
    service.book(session, restaurant, starts_at=local(restaurant, day, 12), party_size=2,
                 guest=GUEST)  # lunch the same day does not overlap


def test_change_time_keeps_table_when_free_and_records_history(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    day = future_day()
    booked = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=2, guest=GUEST).reservation
    table = booked.table_id
    moved = service.change(session, restaurant, booked.id,
                           starts_at=local(restaurant, day, 20), online=True)
    assert moved.starts_at == local(restaurant, day, 20)
    assert moved.table_id == table
    assert moved.version == 2
    changes = [e.changes for e in moved.events if e.action == "changed"]
    assert "starts_at" in changes[0]


def test_change_to_a_taken_table_is_refused_and_nothing_changes(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    day = future_day()
    first = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                         party_size=2, guest=guest(1)).reservation
    second = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                          party_size=2, guest=guest(2)).reservation
    with pytest.raises(SlotTaken):
        service.change(session, restaurant, second.id, table_id=first.table_id)
    session.expire_all()
    assert session.get(Reservation, second.id).table_id != first.table_id


def test_stale_version_is_refused(session):
    restaurant = make_restaurant(session)
    booked = service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                          party_size=2, guest=GUEST).reservation
    service.set_status(session, restaurant, booked.id, "seated")
    with pytest.raises(StaleReservation):
        service.change(session, restaurant, booked.id, party_size=3, expected_version=1)


def test_status_transitions(session):
    restaurant = make_restaurant(session)
    day = future_day()
    r = service.book(session, restaurant, starts_at=local(restaurant, day, 19), party_size=2,
                     guest=GUEST).reservation
    assert service.set_status(session, restaurant, r.id, "seated").status == "seated"
    with pytest.raises(InvalidTransition):
        service.set_status(session, restaurant, r.id, "no_show")
    assert service.set_status(session, restaurant, r.id, "completed").status == "completed"
    with pytest.raises(InvalidTransition):
        service.cancel(session, restaurant, r.id)


def test_cancel_frees_the_table_and_guest_cannot_change_a_cancelled_booking(session):
    restaurant = make_restaurant(session, tables=[("Only", 2)])
    start = local(restaurant, future_day(), 19)
    r = service.book(session, restaurant, starts_at=start, party_size=2,
                     guest=guest(1)).reservation
    service.cancel(session, restaurant, r.id, online=True)
    with pytest.raises(NotChangeable):
        service.change(session, restaurant, r.id, party_size=1, online=True)
    again = service.book(session, restaurant, starts_at=start, party_size=2, guest=guest(2))
    assert again.reservation.table.name == "Only"


def test_database_backstop_refuses_overlap_written_around_the_service(session, backend):
    restaurant = make_restaurant(session, tables=[("Only", 2)])
    start = local(restaurant, future_day(), 19)
    first = service.book(session, restaurant, starts_at=start, party_size=2,
                         guest=guest(1)).reservation
    session.add(Reservation(restaurant_id=restaurant.id, table_id=first.table_id,
                            starts_at=start + dt.timedelta(minutes=60),
                            ends_at=start + dt.timedelta(minutes=180), party_size=2,
                            guest_name="Sneaky", status="booked", source="phone"))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="reservations_no_overlap"):
        session.commit()
    session.rollback()
    # cancelled rows may overlap: the rule is for active reservations only
    session.execute(text("UPDATE reservations SET status = 'cancelled'"))
    session.commit()
    service.book(session, restaurant, starts_at=start + dt.timedelta(minutes=60), party_size=2,
                 guest=guest(2))
