"""The booking service on PostgreSQL and SQLite: rules, assignment, errors, history,
change semantics, and the order of the write protocol's statements."""

import datetime as dt

import pytest
from sqlalchemy import event, select, text

from tests.factories import future_day, local, make_restaurant, today
from webapp.booking import locks, service
from webapp.booking.availability import active_tables, load_schedule
from webapp.booking.errors import (
    GuestAlreadyBooked,
    InvalidDuration,
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
from webapp.models import MAX_STAY, MAX_STAY_MINUTES, Reservation, ReservationEvent

GUEST = service.GuestDetails("Ada Lovelace", "ada@example.com", "+44 20 7946 0958", "window please")


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
    assert reservation.guest_phone == "+442079460958"  # E.164
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
                     starts_at=local(restaurant, today() - dt.timedelta(days=1), 19),
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
    twin = service.GuestDetails("Someone", "", "+44 (0)20 7946-0958")  # same phone, other format
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


# --------------------------------------------------------------------------- change semantics


def test_owner_move_keeps_the_stay_length(session):
    restaurant = make_restaurant(session, tables=[("T", 4)], turn_times={"1": 90, "3": 120})
    day = future_day()
    walk_in = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                           party_size=2, guest=guest(1), source="walk_in",
                           duration_minutes=45).reservation
    moved = service.change(session, restaurant, walk_in.id, starts_at=local(restaurant, day, 20),
                           actor="owner")
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=45)
    longer = service.change(session, restaurant, walk_in.id, duration_minutes=100, actor="owner")
    assert longer.ends_at - longer.starts_at == dt.timedelta(minutes=100)


def test_party_size_change_recomputes_the_turn_time(session):
    restaurant = make_restaurant(session, tables=[("Six", 6)],
                                 turn_times={"1": 90, "3": 120, "5": 150})
    start = local(restaurant, future_day(), 19)
    r = service.book(session, restaurant, starts_at=start, party_size=2, guest=guest(1)).reservation
    assert r.ends_at - r.starts_at == dt.timedelta(minutes=90)
    bigger = service.change(session, restaurant, r.id, party_size=5, actor="owner")
    assert (bigger.starts_at, bigger.ends_at - bigger.starts_at) == (start,
                                                                       dt.timedelta(minutes=150))
    guest_smaller = service.change(session, restaurant, r.id, party_size=3, online=True)
    assert guest_smaller.ends_at - guest_smaller.starts_at == dt.timedelta(minutes=120)
    with pytest.raises(NoSuitableTable):  # 0 is not "unchanged"
        service.change(session, restaurant, r.id, party_size=0, actor="owner")
    with pytest.raises(PartyTooLarge):
        service.change(session, restaurant, r.id, party_size=9, online=True)


def test_guest_moves_use_the_slot_grid_and_the_turn_time(session):
    restaurant = make_restaurant(session, tables=[("T", 4)])
    day = future_day()
    owner_made = service.book(session, restaurant, starts_at=local(restaurant, day, 19, 10),
                              party_size=2, guest=guest(1), source="phone",
                              duration_minutes=60).reservation
    with pytest.raises(OutsideOpeningHours):
        service.change(session, restaurant, owner_made.id,
                       starts_at=local(restaurant, day, 20, 10), online=True)
    moved = service.change(session, restaurant, owner_made.id,
                           starts_at=local(restaurant, day, 20, 15), online=True)
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=120)  # the turn, not 60
    with pytest.raises(TooLate):
        service.change(session, restaurant, owner_made.id,
                       starts_at=local(restaurant, today() - dt.timedelta(days=2), 19),
                       online=True)


def test_guests_may_only_cancel(session):
    restaurant = make_restaurant(session)
    r = service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                     party_size=2, guest=GUEST).reservation
    with pytest.raises(NotChangeable):
        service.set_status(session, restaurant, r.id, "seated", online=True)
    assert service.cancel(session, restaurant, r.id, online=True).status == "cancelled"


# --------------------------------------------------------------------------- the write protocol


def _statements(session):
    seen: list[str] = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def _first(seen: list[str], prefix: str) -> int:
    return next(i for i, s in enumerate(seen) if s.upper().startswith(prefix.upper()))


def test_write_protocol_order(session, backend):
    restaurant = make_restaurant(session, tables=[("T", 2)])
    start = local(restaurant, future_day(), 19)
    seen, stop = _statements(session)
    try:
        service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST)
    finally:
        stop()
    insert = _first(seen, "INSERT INTO reservations")
    if backend == "postgresql":
        guest_lock = _first(seen, "SELECT count(pg_advisory_xact_lock(k))")
        table_lock = _first(seen, "SELECT count(pg_advisory_xact_lock(t, b))")
        recheck = next(i for i, s in enumerate(seen) if i > table_lock
                       and s.startswith("SELECT reservations.id FROM reservations"))
        assert guest_lock < table_lock < recheck < insert
        # The lock timeout rides the first lock statement, no round trip of its own.
        assert [i for i, s in enumerate(seen) if "lock_timeout" in s] == [guest_lock]
        assert "set_config('lock_timeout'" in seen[guest_lock]
    else:
        assert _first(seen, "BEGIN IMMEDIATE") < insert


@pytest.mark.postgres_only  # lock_timeout is PostgreSQL's (SQLite waits its busy timeout)
@pytest.mark.parametrize("case", ["guest", "walk-in", "locks-off"])
def test_the_lock_timeout_is_in_force_before_the_write(session, case):
    """Whichever statement sets it (the guest's lock; the tables' lock for a guest
    without contact details; a SET LOCAL of its own when no lock is taken), the timeout
    is the policy's from the tables' lock on, and gone with the transaction."""
    restaurant = make_restaurant(session, tables=[("T", 2)])
    start = local(restaurant, future_day(), 19)
    seen: list[str] = []

    def show(hook_session, table_id, starts_at, ends_at):
        seen.append(hook_session.connection().exec_driver_sql("SHOW lock_timeout").scalar())

    policy = service.WritePolicy(lock_timeout_ms=1234, advisory_locks=case != "locks-off")
    guest_ = service.GuestDetails("Walk-in", "", "") if case == "walk-in" else GUEST
    service.BEFORE_WRITE_HOOKS.append(show)
    try:
        service.book(session, restaurant, starts_at=start, party_size=2, guest=guest_,
                     policy=policy, actor="owner", source="walk_in")
    finally:
        service.BEFORE_WRITE_HOOKS.remove(show)
    assert seen == ["1234ms"]
    assert session.connection().exec_driver_sql("SHOW lock_timeout").scalar() != "1234ms"


@pytest.mark.parametrize("explicit", [True, False], ids=["explicit-table", "auto-assigned"])
def test_a_backstop_violation_is_slot_taken_or_the_next_table(session, explicit):
    """A test-only hook writes a clashing row inside the booking's own transaction, after
    the re-check: the database refuses the booking's INSERT, which becomes SlotTaken
    (by_constraint) for an explicit table, or moves on to the next table."""
    restaurant = make_restaurant(session, tables=[("First", 2), ("Second", 2)])
    first, second = (t.id for t in restaurant.tables)
    start = local(restaurant, future_day(), 19)
    poisoned: list[int] = []

    def clash(hook_session, table_id, starts_at, ends_at):
        if not poisoned:
            poisoned.append(table_id)
            hook_session.add(Reservation(
                restaurant_id=restaurant.id, table_id=table_id, starts_at=starts_at,
                ends_at=ends_at, party_size=1, guest_name="Ghost", status="booked",
                source="phone"))
            hook_session.flush()

    service.BEFORE_WRITE_HOOKS.append(clash)
    try:
        if explicit:
            with pytest.raises(SlotTaken) as taken:
                service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST,
                             table_id=first)
            assert taken.value.by_constraint
            assert taken.value.http_status == 409
        else:
            booked = service.book(session, restaurant, starts_at=start, party_size=2,
                                  guest=GUEST).reservation
            assert booked.table_id == second
    finally:
        service.BEFORE_WRITE_HOOKS.remove(clash)
    assert poisoned == [first]
    session.expire_all()
    names = [r.guest_name for r in session.scalars(select(Reservation))]
    assert "Ghost" not in names, "the clashing row went down with its transaction"
    assert names == ([] if explicit else [GUEST.name])


def test_lock_wait_observers_hear_every_table_lock(session, backend):
    restaurant = make_restaurant(session, tables=[("T", 2)])
    waits: list[float] = []
    locks.LOCK_WAIT_OBSERVERS.append(waits.append)
    try:
        service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                     party_size=2, guest=GUEST)
    finally:
        locks.LOCK_WAIT_OBSERVERS.remove(waits.append)
    # SQLite has no advisory locks: its writers queue at BEGIN IMMEDIATE instead.
    assert len(waits) == (1 if backend == "postgresql" else 0)
    assert all(0 <= w < 5 for w in waits)


def test_owner_stay_length_is_checked(session):
    restaurant = make_restaurant(session, tables=[("T", 2)])
    with pytest.raises(InvalidDuration) as bad:
        service.book(session, restaurant, starts_at=local(restaurant, future_day(), 19),
                     party_size=2, guest=GUEST, source="walk_in", duration_minutes=3)
    assert bad.value.http_status == 422 and bad.value.field == "duration"


def test_overlap_checks_see_a_day_long_stay_that_began_almost_a_day_before(session):
    """The overlap queries look back only as far as the longest stay the schema allows
    (models.MAX_STAY): a stay of exactly that length, begun just inside it, still
    blocks its table and its guest; one that ended does not. A shorter look-back fails
    here."""
    restaurant = make_restaurant(session, tables=[("T", 4), ("U", 4)])
    day = future_day()
    long_stay = service.book(session, restaurant, starts_at=local(restaurant, day, 19),
                             party_size=2, guest=GUEST, source="walk_in",
                             duration_minutes=MAX_STAY_MINUTES).reservation
    almost_a_day_later = long_stay.starts_at + MAX_STAY - dt.timedelta(minutes=5)
    with pytest.raises(SlotTaken):
        service.book(session, restaurant, starts_at=almost_a_day_later, party_size=2,
                     guest=guest(1), table_id=long_stay.table_id, source="walk_in",
                     duration_minutes=60)
    with pytest.raises(GuestAlreadyBooked):
        service.book(session, restaurant, starts_at=almost_a_day_later, party_size=2,
                     guest=GUEST, source="walk_in", duration_minutes=60)
    after = service.book(session, restaurant, starts_at=long_stay.ends_at, party_size=2,
                         guest=GUEST, table_id=long_stay.table_id, source="walk_in",
                         duration_minutes=60)
    assert after.reservation.table_id == long_stay.table_id
    with pytest.raises(InvalidDuration):
        service.book(session, restaurant, starts_at=local(restaurant, day + dt.timedelta(days=3), 19),
                     party_size=2, guest=guest(2), source="walk_in",
                     duration_minutes=MAX_STAY_MINUTES + 1)


def test_a_booking_reuses_the_callers_schedule_and_tables(session, backend):
    """The caller's schedule and tables are not read again; the guest check and the
    busy-table read are one statement; the reservation comes back loaded, its table too."""
    restaurant = make_restaurant(session, tables=[("T", 2)])
    schedule = load_schedule(session, restaurant)
    tables = active_tables(session, restaurant.id)
    start = local(restaurant, future_day(), 19)
    seen, stop = _statements(session)
    try:
        result = service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST,
                              schedule=schedule, tables=tables)
        assert (result.reservation.table.name, result.reservation.party_size) == ("T", 2)
    finally:
        stop()
    # No read of hours or tables; the INSERT takes its row from its own table's (FOR KEY
    # SHARE, only while the table is active) in the same statement.
    assert not [s for s in seen if ("opening_hours" in s or "dining_tables" in s)
                and not s.startswith("INSERT INTO reservations")]
    reads = [s for s in seen if s.startswith("SELECT reservations.")]
    assert len(reads) == 2  # guest check with the busy tables, then the locked re-check
    # PostgreSQL: lock timeout, 2 lock statements, 2 reads, 2 inserts; nothing after the commit.
    assert len(seen) <= (7 if backend == "postgresql" else 6)


def test_a_guest_overlap_is_still_refused_with_the_folded_check(session):
    restaurant = make_restaurant(session, tables=[("A", 2), ("B", 2)])
    start = local(restaurant, future_day(), 19)
    service.book(session, restaurant, starts_at=start, party_size=2, guest=GUEST)
    phone_only = service.GuestDetails("Ada", phone=GUEST.phone)
    with pytest.raises(GuestAlreadyBooked):
        service.book(session, restaurant, starts_at=start + dt.timedelta(minutes=30),
                     party_size=2, guest=phone_only)
    other = service.GuestDetails("Bob", "bob@example.com")
    assert service.book(session, restaurant, starts_at=start, party_size=2,
                        guest=other).reservation.table.name == "B"
