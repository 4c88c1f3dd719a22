"""Bookings on joined tables (table combinations), on PostgreSQL and SQLite: the
auto-assignment order (single tables, then combinations, best fit each), the part row
each further table gets and the database backstop over it, parts following their
booking's time and status, moves on and off joined tables, taking back a cancellation,
availability, and the lists and counts that must see one booking, not one per table."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from tests.factories import future_day, join_tables, local, make_restaurant
from webapp.booking import pacing, service
from webapp.booking.availability import bookable_times
from webapp.booking.errors import NoSuitableTable, SlotTaken, TableNotFound
from webapp.booking.operations import reservations as owner_ops
from webapp.booking.operations.reservations import Filters
from webapp.booking.setup import restaurant_setup
from webapp.models import DiningTable, OpeningHours, Reservation, ReservationEvent, owned_by

TABLES = [("Napoli", 6), ("Milano", 6), ("Roma", 4), ("Torino", 2)]


def guest(n: int) -> service.GuestDetails:
    return service.GuestDetails(f"Guest {n}", f"g{n}@example.com")


@pytest.fixture
def trattoria(session):
    restaurant = make_restaurant(session, tables=TABLES, max_online_party=12)
    join_tables(session, restaurant, ["Napoli", "Milano"], 7, 12)
    return restaurant


def ids(session, restaurant) -> dict[str, int]:
    return dict(session.execute(select(DiningTable.name, DiningTable.id)
                                .where(DiningTable.restaurant_id == restaurant.id)).all())


def rows_of(session, reservation_id: int) -> list[tuple[int, str, object, object]]:
    """(table, status, start, end) of the reservation's row and its parts, first its own."""
    return [tuple(r) for r in session.execute(
        select(Reservation.table_id, Reservation.status, Reservation.starts_at,
               Reservation.ends_at)
        .where((Reservation.id == reservation_id) | (Reservation.part_of == reservation_id))
        .order_by(Reservation.part_of.is_not(None), Reservation.id)).all()]


def book(session, restaurant, hour, party, n=0, **kwargs):
    return service.book(session, restaurant, starts_at=local(restaurant, future_day(), hour),
                        party_size=party, guest=guest(n), **kwargs)


def test_a_party_no_single_table_takes_gets_the_combination(session, trattoria):
    table = ids(session, trattoria)
    result = book(session, trattoria, 19, 10)
    reservation = result.reservation
    assert result.table_name == "Napoli + Milano"
    assert service.tables_of(session, reservation) == (table["Napoli"], table["Milano"])
    part = session.scalars(select(Reservation).where(Reservation.part_of == reservation.id)).one()
    # The part holds its table for the same stay, under the booking's name and party, but
    # carries no contact details and no token: no guest check and no link reaches it.
    assert (part.table_id, part.starts_at, part.ends_at, part.status, part.guest_name,
            part.party_size) == (table["Milano"], reservation.starts_at, reservation.ends_at,
                                 "booked", "Guest 0", 10)
    assert (part.guest_email, part.guest_phone, part.manage_token_hash) == ("", "", None)
    created = session.scalars(select(ReservationEvent.changes)
                              .where(ReservationEvent.reservation_id == reservation.id)).one()
    assert created["table"] == "Napoli + Milano"
    assert created["tables"] == [table["Napoli"], table["Milano"]]


def test_single_tables_come_first_best_fit(session, trattoria):
    assert book(session, trattoria, 19, 6).table_name == "Napoli"
    assert book(session, trattoria, 19, 6, n=1).table_name == "Milano"
    # Both 6-tops taken: a party of 7 finds no single table and the combination busy.
    with pytest.raises(SlotTaken):
        book(session, trattoria, 19, 7, n=2)


def test_the_best_fitting_combination_first(session):
    restaurant = make_restaurant(session, tables=TABLES)
    join_tables(session, restaurant, ["Napoli", "Milano"], 7, 12, position=0)
    join_tables(session, restaurant, ["Roma", "Torino"], 5, 6, position=1)
    # A party of 7: no single table (6 seats at most) and Roma + Torino too small.
    assert book(session, restaurant, 19, 7).table_name == "Napoli + Milano"
    # A party of 6 sits at a single 6-top; with both taken, Roma + Torino (6 seats).
    assert book(session, restaurant, 13, 6).table_name == "Napoli"
    assert book(session, restaurant, 13, 6, n=1).table_name == "Milano"
    assert book(session, restaurant, 13, 6, n=2).table_name == "Roma + Torino"


def test_a_combination_is_busy_while_any_of_its_tables_is(session, trattoria):
    table = ids(session, trattoria)
    book(session, trattoria, 19, 2, table_id=table["Milano"])
    with pytest.raises(SlotTaken):
        book(session, trattoria, 20, 10, n=1)
    # ... and a table of a joined booking is taken for anyone else.
    joined = book(session, trattoria, 13, 10, n=2).reservation
    with pytest.raises(SlotTaken):
        book(session, trattoria, 13, 2, n=3, table_id=table["Milano"])
    assert joined.table_id == table["Napoli"]


def test_the_backstop_covers_every_table_of_a_joined_booking(session, trattoria):
    """A write that skipped the lock path still cannot put a stay on the part's table."""
    table = ids(session, trattoria)
    joined = book(session, trattoria, 19, 10).reservation
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(insert(Reservation).values(
            restaurant_id=trattoria.id, table_id=table["Milano"], starts_at=joined.starts_at,
            ends_at=joined.ends_at, party_size=2, guest_name="Sneaky", guest_email="",
            guest_phone="", notes="", status="booked", source="phone", version=1,
            created_at=joined.created_at, updated_at=joined.created_at))
        session.flush()
    session.rollback()


def test_parts_follow_their_booking_whoever_updates_it(session, trattoria):
    table = ids(session, trattoria)
    joined = book(session, trattoria, 19, 10).reservation
    rid = joined.id
    later = local(trattoria, future_day(), 20)
    service.change(session, trattoria, rid, starts_at=later, actor="owner")
    rows = rows_of(session, rid)
    assert [r[0] for r in rows] == [table["Napoli"], table["Milano"]]
    assert {(r[2], r[3]) for r in rows} == {(later, later + (joined.ends_at - joined.starts_at))}
    service.set_status(session, trattoria, rid, "seated", actor="owner")
    assert {r[1] for r in rows_of(session, rid)} == {"seated"}
    # A plain UPDATE from outside the app (an operator's SQL) too: the trigger does it.
    session.execute(update(Reservation).where(Reservation.id == rid).values(status="completed"))
    session.commit()
    assert {r[1] for r in rows_of(session, rid)} == {"completed"}


def test_cancelling_frees_every_table_and_taking_it_back_holds_them_again(session, trattoria):
    table = ids(session, trattoria)
    rid = book(session, trattoria, 19, 10).reservation.id
    service.cancel(session, trattoria, rid, actor="owner")
    assert {r[1] for r in rows_of(session, rid)} == {"cancelled"}
    other = book(session, trattoria, 19, 2, n=1, table_id=table["Milano"]).reservation
    # Milano is taken now: the cancellation cannot come back onto it.
    with pytest.raises(SlotTaken):
        service.reinstate(session, trattoria, rid, "booked", actor="owner")
    service.cancel(session, trattoria, other.id, actor="owner")
    service.reinstate(session, trattoria, rid, "booked", actor="owner")
    assert {r[1] for r in rows_of(session, rid)} == {"booked"}


def test_moving_a_joined_booking_to_one_table_and_back(session, trattoria):
    table = ids(session, trattoria)
    rid = book(session, trattoria, 19, 8).reservation.id
    service.change(session, trattoria, rid, party_size=4, table_id=table["Roma"], actor="owner")
    assert [r[0] for r in rows_of(session, rid)] == [table["Roma"]]
    # Napoli and Milano are free again at that time.
    napoli = book(session, trattoria, 19, 6, n=1)
    assert napoli.table_name == "Napoli"
    with pytest.raises(SlotTaken):  # 8 again, no table asked: only the combination takes them
        service.change(session, trattoria, rid, party_size=8, actor="owner")
    service.cancel(session, trattoria, napoli.reservation.id, actor="owner")
    service.change(session, trattoria, rid, party_size=8, actor="owner")
    assert [r[0] for r in rows_of(session, rid)] == [table["Napoli"], table["Milano"]]


def test_a_joined_booking_moved_in_time_keeps_its_tables(session, trattoria):
    table = ids(session, trattoria)
    # The owner's own set (no combination of these): Roma + Torino for 5.
    rid = book(session, trattoria, 19, 5, table_ids=[table["Torino"], table["Roma"]],
               source="phone", actor="owner").reservation.id
    assert [r[0] for r in rows_of(session, rid)] == [table["Roma"], table["Torino"]]
    service.change(session, trattoria, rid, starts_at=local(trattoria, future_day(), 20),
                   actor="owner")
    assert [r[0] for r in rows_of(session, rid)] == [table["Roma"], table["Torino"]]


def test_the_owners_own_set_of_tables(session, trattoria):
    table = ids(session, trattoria)
    with pytest.raises(NoSuitableTable, match="Roma \\+ Torino together take parties of up to 6"):
        book(session, trattoria, 19, 7, table_ids=[table["Roma"], table["Torino"]],
             source="phone")
    with pytest.raises(NoSuitableTable, match="Napoli \\+ Milano takes parties of 7 to 12"):
        book(session, trattoria, 19, 4, table_ids=[table["Napoli"], table["Milano"]],
             source="phone")
    with pytest.raises(TableNotFound):
        book(session, trattoria, 19, 4, table_ids=[table["Roma"], 999_999], source="phone")
    with pytest.raises(ValueError):
        book(session, trattoria, 19, 4, table_ids=[table["Roma"], table["Torino"]])  # a guest


def test_a_combination_with_a_table_out_of_service_is_not_offered(session, trattoria):
    session.execute(update(DiningTable).where(DiningTable.name == "Milano",
                                              DiningTable.restaurant_id == trattoria.id)
                    .values(active=False))
    session.commit()
    assert restaurant_setup(session, trattoria).combinations == ()
    with pytest.raises(NoSuitableTable):
        book(session, trattoria, 19, 10)


def test_availability_offers_a_time_when_the_combination_is_free(session, trattoria):
    table = ids(session, trattoria)
    day = future_day()
    times = {t.starts_at: t for t in bookable_times(session, trattoria, day, 10)}
    at_seven = local(trattoria, day, 19)
    assert times[at_seven].free_table_ids == (table["Napoli"], table["Milano"])
    book(session, trattoria, 19, 2, table_id=table["Milano"])
    assert at_seven not in {t.starts_at for t in bookable_times(session, trattoria, day, 10)}


def test_one_booking_in_the_lists_and_the_counts(session, trattoria):
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == trattoria.id)
                    .values(pace_covers=40))
    session.commit()
    joined = book(session, trattoria, 19, 10).reservation
    day = future_day()
    found = owner_ops.search(session, trattoria, Filters(first=day, last=day))
    assert [r.id for r in found.rows] == [joined.id]
    windows = pacing.window_for(restaurant_setup(session, trattoria).schedule, joined.starts_at)
    assert windows is not None
    assert pacing.covers(session, trattoria.id, windows) == (10, 10)
    part_id = session.scalar(select(Reservation.id).where(Reservation.part_of == joined.id))
    # A part's id opens nothing: it looks like an id that does not exist.
    assert owned_by(session, Reservation, part_id, trattoria.id) is None
    assert session.scalar(select(func.count()).select_from(Reservation)
                          .where(Reservation.restaurant_id == trattoria.id)) == 2
