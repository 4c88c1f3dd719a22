"""Pacing (booking/pacing.py) and the guests' cancellation cut-off, on PostgreSQL and
SQLite: which slot a start counts in, the locked re-count of book / change / reinstate,
the owner's override in the history, online availability hiding full times, special
days' services, the pace key taken with the table keys, and the schema's CHECKs."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from tests.factories import future_day, local, make_restaurant
from webapp.booking import locks, pacing, service
from webapp.booking.availability import bookable_times, load_schedule
from webapp.booking.errors import CancelCutoffPassed, NotChangeable, PaceExceeded
from webapp.booking.operations import reservations as owner_ops
from webapp.booking.operations.context import WriteContext
from webapp.models import (
    OpeningHours,
    Reservation,
    ReservationEvent,
    SpecialDay,
    SpecialDayService,
)

TWENTY_TABLES = [(f"T{i}", 4) for i in range(1, 21)]


def guest(n: int) -> service.GuestDetails:
    return service.GuestDetails(f"Guest {n}", f"p{n}@example.com")


def paced(session, *, pace: int | None = 4, max_covers: int | None = None, **kwargs):
    """A restaurant whose dinner (18-23, every day) keeps ``pace`` covers per 15 minutes
    and at most ``max_covers`` for the service; lunch stays unpaced."""
    restaurant = make_restaurant(session, tables=kwargs.pop("tables", TWENTY_TABLES), **kwargs)
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id,
                                               OpeningHours.name == "Dinner")
                    .values(pace_covers=pace, max_covers=max_covers))
    session.commit()
    return restaurant


def book(session, restaurant, start, party=2, n=0, **kwargs):
    return service.book(session, restaurant, starts_at=start, party_size=party, guest=guest(n),
                        **kwargs).reservation


# --------------------------------------------------------------------------- the window


def test_a_start_counts_in_its_services_grid_slot(session):
    restaurant = paced(session)
    schedule = load_schedule(session, restaurant)
    day = future_day()
    window = pacing.window_for(schedule, local(restaurant, day, 19, 10))  # off the grid
    assert window is not None
    assert (window.slot_start, window.slot_end) == (local(restaurant, day, 19),
                                                   local(restaurant, day, 19, 15))
    assert window.service == "Dinner" and window.service_date == day
    assert window.pace_covers == 4 and window.max_covers is None
    assert pacing.window_for(schedule, local(restaurant, day, 12)) is None  # lunch: no pace
    assert pacing.window_for(schedule, local(restaurant, day, 17)) is None  # no service
    assert pacing.window_for(schedule, local(restaurant, day, 23)) is None  # closed


def test_lock_keys_are_restaurant_level_and_sort_before_every_table_key(session):
    restaurant = paced(session, max_covers=40)
    schedule = load_schedule(session, restaurant)
    start = local(restaurant, future_day(), 19)
    window = pacing.window_for(schedule, start)
    keys = window.lock_keys(restaurant.id)
    minute = int(start.timestamp() // 60)
    opens = int(local(restaurant, future_day(), 18).timestamp() // 60)
    assert keys == [(-restaurant.id, minute), (-restaurant.id, -opens)]
    table_keys = locks.slot_lock_keys(1, start, start + dt.timedelta(hours=2))
    assert sorted(keys + table_keys)[:2] == sorted(keys)


def test_a_service_past_midnight_counts_its_early_hours(session):
    restaurant = make_restaurant(session, hours=[(d, dt.time(20), dt.time(2), "Late")
                                                 for d in range(7)])
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id)
                    .values(pace_covers=6))
    session.commit()
    schedule = load_schedule(session, restaurant)
    day = future_day()
    window = pacing.window_for(schedule, local(restaurant, day + dt.timedelta(days=1), 0, 40))
    assert window is not None and window.service_date == day
    assert window.slot_start == local(restaurant, day + dt.timedelta(days=1), 0, 30)


# --------------------------------------------------------------------------- the write


def test_the_pace_refuses_the_covers_over_it_and_offers_other_times(session):
    restaurant = paced(session, pace=4)
    start = local(restaurant, future_day(), 19)
    book(session, restaurant, start, 2, 1)
    book(session, restaurant, start + dt.timedelta(minutes=10), 2, 2, source="phone")  # off grid
    with pytest.raises(PaceExceeded) as refused:
        book(session, restaurant, start, 1, 3)
    error = refused.value
    # A guest is offered other times; only the restaurant's own writes may go over.
    assert error.http_status == 409 and error.code == "pace_exceeded" and not error.may_override
    assert error.message == "19:00–19:15 already has 4 of its 4 covers."
    assert error.alternatives and start not in error.alternatives
    with pytest.raises(PaceExceeded) as by_phone:
        book(session, restaurant, start, 1, 3, source="phone")
    assert by_phone.value.may_override and not by_phone.value.free_tables
    # The next slot has its own pace.
    book(session, restaurant, start + dt.timedelta(minutes=15), 4, 4)
    assert session.scalar(select(Reservation.id).where(Reservation.guest_name == "Guest 3")) \
        is None


def test_the_whole_services_covers(session):
    restaurant = paced(session, pace=None, max_covers=6)
    day = future_day()
    book(session, restaurant, local(restaurant, day, 18), 4, 1)
    book(session, restaurant, local(restaurant, day, 21), 2, 2)
    with pytest.raises(PaceExceeded) as refused:
        book(session, restaurant, local(restaurant, day, 20), 1, 3)
    assert refused.value.message == "Dinner already has 6 of its 6 covers."
    book(session, restaurant, local(restaurant, day, 12), 4, 4)  # lunch is another service


def test_cancelled_and_no_show_covers_do_not_count(session):
    restaurant = paced(session, pace=4)
    start = local(restaurant, future_day(), 19)
    first = book(session, restaurant, start, 2, 1)
    second = book(session, restaurant, start, 2, 2)
    service.cancel(session, restaurant, first.id, actor="owner")
    book(session, restaurant, start, 2, 3)
    with pytest.raises(PaceExceeded):
        book(session, restaurant, start, 2, 4)
    # A no-show is marked on its service day (now, here: the booking is a week ahead,
    # so the test clock's day does not matter to service.set_status).
    service.set_status(session, restaurant, second.id, "no_show")
    book(session, restaurant, start, 2, 4)


def test_seated_and_completed_covers_count(session):
    restaurant = paced(session, pace=2)
    start = local(restaurant, future_day(), 19)
    first = book(session, restaurant, start, 2, 1)
    service.set_status(session, restaurant, first.id, "seated")
    service.set_status(session, restaurant, first.id, "completed")
    with pytest.raises(PaceExceeded):
        book(session, restaurant, start, 1, 2)


def test_the_owners_override_is_recorded_only_when_needed(session):
    restaurant = paced(session, pace=2)
    start = local(restaurant, future_day(), 19)
    over = {"pace": owner_ops.OVER_PACE_TEXT}
    within = service.book(session, restaurant, starts_at=start, party_size=2, guest=guest(1),
                          source="phone", actor="owner", overrides=over).reservation
    beyond = service.book(session, restaurant, starts_at=start, party_size=3, guest=guest(2),
                          source="phone", actor="owner", overrides=over).reservation
    created = {e.reservation_id: e.changes for e in session.scalars(
        select(ReservationEvent).where(ReservationEvent.action == "created"))}
    assert "overrides" not in created[within.id]
    assert created[beyond.id]["overrides"] == {
        "pace": "Booked over the pace (19:00–19:15 already has 2 of its 2 covers.)"}
    with pytest.raises(ValueError):  # guests never override
        service.book(session, restaurant, starts_at=start, party_size=1, guest=guest(3),
                     overrides=over)


def test_a_move_counts_where_the_covers_arrive(session):
    restaurant = paced(session, pace=4)
    start = local(restaurant, future_day(), 19)
    later = start + dt.timedelta(minutes=30)
    full = [book(session, restaurant, start, 2, n) for n in (1, 2)]
    mover = book(session, restaurant, later, 2, 3)
    # Into the full slot: refused, it stays where it was.
    with pytest.raises(PaceExceeded):
        service.change(session, restaurant, mover.id, starts_at=start, actor="owner")
    # Within its own slot, or smaller: nothing arrives, even in a full slot.
    service.change(session, restaurant, full[0].id, starts_at=start + dt.timedelta(minutes=5),
                   actor="owner")
    service.change(session, restaurant, full[0].id, party_size=1, actor="owner")
    # Larger in a full slot: refused ...
    with pytest.raises(PaceExceeded):
        service.change(session, restaurant, full[1].id, party_size=4, actor="owner")
    # ... but the one freed cover makes room for a party of 3 (2 + 1 left).
    service.change(session, restaurant, full[1].id, party_size=3, actor="owner")
    # The old start's covers leave: moving one out of the full slot makes room.
    service.change(session, restaurant, full[1].id, starts_at=later + dt.timedelta(minutes=15),
                   actor="owner")
    service.change(session, restaurant, mover.id, starts_at=start, party_size=2,
                   actor="owner")
    session.expire_all()
    assert session.get(Reservation, mover.id).starts_at == start


def test_a_guest_moving_online_meets_the_pace_too(session):
    restaurant = paced(session, pace=2)
    start = local(restaurant, future_day(), 19)
    book(session, restaurant, start, 2, 1)
    mover = book(session, restaurant, start + dt.timedelta(hours=1), 2, 2)
    with pytest.raises(PaceExceeded) as refused:
        service.change(session, restaurant, mover.id, starts_at=start, online=True)
    assert refused.value.alternatives


def test_taking_back_a_cancellation_into_a_full_slot(session):
    restaurant = paced(session, pace=2)
    start = local(restaurant, future_day(), 19)
    gone = book(session, restaurant, start, 2, 1)
    service.cancel(session, restaurant, gone.id, actor="owner")
    other = next(t.id for t in restaurant.tables if t.id != gone.table_id)
    book(session, restaurant, start, 2, 2, table_id=other)
    with pytest.raises(PaceExceeded):
        service.reinstate(session, restaurant, gone.id, "booked")
    service.reinstate(session, restaurant, gone.id, "booked",
                      overrides={"pace": owner_ops.OVER_PACE_TEXT})
    event = session.scalars(select(ReservationEvent).where(
        ReservationEvent.reservation_id == gone.id, ReservationEvent.action == "reinstated")
    ).one()
    assert event.changes["overrides"]["pace"].startswith("Booked over the pace (")


def test_owner_operations_pass_the_override_through(session):
    restaurant = paced(session, pace=2)
    day = future_day()
    book(session, restaurant, local(restaurant, day, 19), 2, 1)
    context = WriteContext(actor="owner@example.com")
    booking = owner_ops.NewBooking(source="phone", party_size=2, guest=guest(2), day=day,
                                   time=dt.time(19), table_id=None)
    with pytest.raises(PaceExceeded) as refused:
        owner_ops.book(session, restaurant, context, booking)
    assert refused.value.message == "19:00–19:15 already has 2 of its 2 covers."
    # A chosen table's refusal still names the pace, not a table's blocker.
    with pytest.raises(PaceExceeded):
        owner_ops.book(session, restaurant, context,
                       owner_ops.NewBooking(**{**booking.__dict__,
                                               "table_id": restaurant.tables[5].id}))
    done = owner_ops.book(session, restaurant, context,
                          owner_ops.NewBooking(**{**booking.__dict__, "allow_over_pace": True}))
    assert done.reservation.party_size == 2


# --------------------------------------------------------------------------- availability


def test_online_availability_hides_full_times_and_owners_see_them(session):
    restaurant = paced(session, pace=4)
    day = future_day()
    start = local(restaurant, day, 19)
    book(session, restaurant, start, 3, 1)

    def starts(party, online=True):
        return {t.starts_at for t in bookable_times(session, restaurant, day, party,
                                                    online=online)}

    assert start in starts(1)
    assert start not in starts(2)  # 3 + 2 > 4
    assert start in starts(2, online=False)
    assert local(restaurant, day, 19, 15) in starts(4)


def test_a_special_days_services_keep_their_own_pace(session):
    restaurant = make_restaurant(session, tables=TWENTY_TABLES)
    day = future_day()
    special = SpecialDay(restaurant_id=restaurant.id, start_date=day, end_date=day,
                         closed=False, reason="Gala")
    special.services = [SpecialDayService(name="Gala", opens=dt.time(19), closes=dt.time(23),
                                          pace_covers=2, max_covers=3)]
    session.add(special)
    session.commit()
    start = local(restaurant, day, 19)
    book(session, restaurant, start, 2, 1)
    with pytest.raises(PaceExceeded):
        book(session, restaurant, start, 1, 2)
    book(session, restaurant, start + dt.timedelta(minutes=15), 1, 3)
    with pytest.raises(PaceExceeded) as refused:
        book(session, restaurant, start + dt.timedelta(hours=1), 1, 4)
    assert refused.value.message == "Gala already has 3 of its 3 covers."
    # The other days keep the week's (unpaced) dinner.
    for n in range(5, 9):
        book(session, restaurant, local(restaurant, day + dt.timedelta(days=1), 19), 2, n)


# --------------------------------------------------------------------------- the key


@pytest.mark.postgres_only
@pytest.mark.parametrize("pace_locks", [True, False], ids=["pace-key", "pace-key-off"])
def test_the_write_holds_the_pace_key_with_its_table_keys(session, pace_locks):
    restaurant = paced(session, pace=4)
    start = local(restaurant, future_day(), 19)
    minute = int(start.timestamp() // 60)
    seen: list[set[tuple[int, int]]] = []

    def look(s, table_id, starts_at, ends_at):
        rows = s.execute(text(
            "SELECT classid::int, objid::int FROM pg_locks WHERE locktype = 'advisory' "
            "AND objsubid = 2 AND pid = pg_backend_pid()")).all()
        # pg_advisory_xact_lock(int4, int4): classid is the first key, objid the second.
        seen.append({(int(a), int(b)) for a, b in rows})

    service.BEFORE_WRITE_HOOKS.append(look)
    try:
        book(session, restaurant, start, 2, 1,
             policy=service.WritePolicy(pace_locks=pace_locks))
    finally:
        service.BEFORE_WRITE_HOOKS.remove(look)
    (held,) = seen
    assert ((-restaurant.id, minute) in held) is pace_locks
    assert any(key[0] > 0 for key in held)  # the table's own keys, in the same write


# --------------------------------------------------------------------------- the cut-off


def test_guests_may_not_change_or_cancel_within_the_cut_off(session, clock):
    restaurant = make_restaurant(session, cancel_cutoff_hours=24, phone="+49 30 1234567")
    start = local(restaurant, future_day(), 19)
    reservation = book(session, restaurant, start)
    clock.set(start - dt.timedelta(hours=24, minutes=1))
    service.change(session, restaurant, reservation.id, party_size=1, online=True)
    clock.set(start - dt.timedelta(hours=24))
    with pytest.raises(CancelCutoffPassed) as refused:
        service.cancel(session, restaurant, reservation.id, online=True)
    error = refused.value
    assert isinstance(error, NotChangeable) and error.http_status == 409
    assert error.code == "cancel_cutoff"
    assert error.message == ("Online changes and cancellations close 24 hours before the "
                             "booking; please call the restaurant on +49 30 1234567.")
    with pytest.raises(CancelCutoffPassed):
        service.change(session, restaurant, reservation.id, party_size=2, online=True)
    # The owner is not bound by it.
    service.change(session, restaurant, reservation.id, party_size=2, actor="owner")
    service.cancel(session, restaurant, reservation.id, actor="owner")


def test_without_a_cut_off_guests_may_cancel_until_the_start(session, clock):
    restaurant = make_restaurant(session)
    assert restaurant.cancel_cutoff_hours == 0
    start = local(restaurant, future_day(), 19)
    reservation = book(session, restaurant, start)
    clock.set(start - dt.timedelta(minutes=1))
    service.cancel(session, restaurant, reservation.id, online=True)


# --------------------------------------------------------------------------- the schema


@pytest.mark.parametrize("statement", [
    "UPDATE opening_hours SET pace_covers = 0 WHERE restaurant_id = :r",
    "UPDATE opening_hours SET max_covers = -1 WHERE restaurant_id = :r",
    "UPDATE restaurants SET cancel_cutoff_hours = -1 WHERE id = :r",
    "UPDATE restaurants SET cancel_cutoff_hours = 721 WHERE id = :r",
])
def test_the_schema_refuses_nonsense_limits(session, statement):
    restaurant = make_restaurant(session)
    with pytest.raises(IntegrityError):
        session.execute(text(statement), {"r": restaurant.id})
        session.flush()
    session.rollback()


def test_a_paced_booking_costs_no_more_statements_than_an_unpaced_one(session):
    """Under its keys a paced write reads the pace's counts and its tables in one
    statement: lunch (unpaced) and dinner (paced) bookings send as many statements."""
    from sqlalchemy import event

    restaurant = paced(session, pace=40)
    day = future_day()
    engine = session.get_bind()

    def statements(start: dt.datetime, n: int) -> list[str]:
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(" ".join(statement.split()))

        event.listen(engine, "before_cursor_execute", record)
        try:
            book(session, restaurant, start, n=n)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return seen

    book(session, restaurant, local(restaurant, day, 12), n=90)  # caches warm on both
    book(session, restaurant, local(restaurant, day, 19), n=91)
    lunch = statements(local(restaurant, day, 13), 1)
    dinner = statements(local(restaurant, day, 20), 2)
    assert len(dinner) == len(lunch), (lunch, dinner)
    counted = [s for s in dinner if "sum(reservations.party_size)" in s]
    assert len(counted) == 1 and "UNION ALL" in counted[0]  # the re-check, with the counts
