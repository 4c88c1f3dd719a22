"""The locked write under real concurrency: separate processes, separate connections,
one PostgreSQL database, started together by a barrier, outcomes counted.

* 100 guests race for one table and slot: one booking, 99 clean SlotTaken, and the
  exclusion constraint never has to step in (the advisory lock did the work).
* The CONTROL: the same race with the advisory locks switched off. A test-only hook
  (``service.BEFORE_WRITE_HOOKS``) holds every writer between its re-check and its
  INSERT until all competitors are there, so the race is certain: every writer
  passes the re-check, and only the database backstop keeps it to one booking.
* 100 auto-assigned guests for a slot with four tables: exactly four bookings.
* Guests swapping or chaining moves at once: no deadlock, no lost booking, and the
  end state is what the successful moves say.
* A held (table, bucket) lock makes a booking give up after its lock timeout.
* A pace of 20 covers per slot holds under 200 guests over 20 tables; the CONTROL with
  the pace key off (and the same hook) shows the pace exceeded.

Children are forked (the app is imported once, in the parent); each opens its own
engine on the test database. The parent disposes its pool before forking so that
no connection is shared.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.factories import future_day, local, make_restaurant, today
from webapp.booking import locks, service
from webapp.booking.availability import bookable_times
from webapp.booking.errors import BookingError, LockTimeout
from webapp.extensions import db
from webapp.models import ACTIVE_STATUSES, OpeningHours, Reservation, Restaurant

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]  # real processes racing

CTX = multiprocessing.get_context("fork")
# Upper bounds only (nothing waits for them unless something is wrong): generous, so the
# tests stay reliable on a loaded machine, where 100 processes queue for CPU.
PATIENT = 60.0  # seconds any wait may take before the test fails instead of hanging
LOCKED = service.WritePolicy(lock_timeout_ms=60_000, advisory_locks=True)
UNLOCKED = service.WritePolicy(lock_timeout_ms=60_000, advisory_locks=False)

Job = Callable[[Session, Restaurant, int], object]


@dataclass(frozen=True)
class Outcome:
    index: int
    kind: str  # "ok", or the error's class name
    table_id: int | None = None
    by_constraint: bool = False
    detail: str = ""


def guest(n: int) -> service.GuestDetails:
    return service.GuestDetails(f"Racer {n}", f"racer{n}@example.com")


# --------------------------------------------------------------------------- harness


def _child(engine: Engine, restaurant_id: int, index: int, job: Job, start: object,
           results: object, before: Callable[[], None] | None) -> None:
    try:
        with Session(engine) as session:
            restaurant = session.get(Restaurant, restaurant_id)  # connect before the start
            if before:
                before()
            start.wait(PATIENT)
            try:
                value = job(session, restaurant, index)
                table_id = getattr(value, "table_id", None) or getattr(
                    getattr(value, "reservation", None), "table_id", None)
                outcome = Outcome(index, "ok", table_id)
            except BookingError as error:
                outcome = Outcome(index, type(error).__name__,
                                  by_constraint=getattr(error, "by_constraint", False),
                                  detail=error.message)
            finally:
                _RACE.finished()
        results.put(outcome)
    except BaseException as error:  # a crash is an outcome too: the test reports it
        results.put(Outcome(index, "crash", detail=repr(error)))


def compete(app, restaurant_id: int, jobs: list[Job],
            before: Callable[[], None] | None = None) -> list[Outcome]:
    """Run each job in its own forked process, all released at once; their outcomes."""
    db.session.remove()
    db.engine.dispose()  # no pooled connection may be inherited by a child
    # One engine without a pool, made ready here so that every child inherits its
    # initialised dialect and compiled statements instead of redoing them; each child
    # still opens its own connection.
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    with Session(engine) as warm:
        restaurant = warm.get(Restaurant, restaurant_id)
        bookable_times(warm, restaurant, today(), 2, online=False)
    start = CTX.Barrier(len(jobs))
    results = CTX.Queue()
    processes = [CTX.Process(target=_child, args=(engine, restaurant_id, i, job, start, results,
                                                  before), daemon=True)
                 for i, job in enumerate(jobs)]
    try:
        for process in processes:
            process.start()
        deadline = time.monotonic() + 2 * PATIENT
        outcomes = [results.get(timeout=max(0.1, deadline - time.monotonic()))
                    for _ in processes]
        for process in processes:
            process.join(PATIENT)
        return sorted(outcomes, key=lambda o: o.index)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        engine.dispose()


def kinds(outcomes: list[Outcome]) -> Counter:
    return Counter(o.kind for o in outcomes)


def active_reservations(session, restaurant_id: int) -> list[Reservation]:
    session.expire_all()
    return list(session.scalars(select(Reservation).where(
        Reservation.restaurant_id == restaurant_id,
        Reservation.status.in_(ACTIVE_STATUSES)).order_by(Reservation.id)))


def assert_no_overlaps(reservations: list[Reservation]) -> None:
    for a in reservations:
        for b in reservations:
            if a.id < b.id and a.table_id == b.table_id:
                assert a.ends_at <= b.starts_at or b.ends_at <= a.starts_at, (a, b)


# --------------------------------------------------------------------------- the race hook


class _Race:
    """Shared state (forked into every child) for the hook that holds writers between
    their re-check and their write.

    A writer that reaches the hook has passed the re-check. It waits until every other
    competitor has either reached the hook too or is queued on an advisory lock (seen
    in pg_locks), so the race window is as wide as it can be. Then writers go one at a
    time, in arrival order: PostgreSQL can deadlock two *uncommitted* inserts that
    violate an exclusion constraint against each other, and we want every loser to meet
    the backstop as a clean violation of a committed row, not as a deadlock."""

    def __init__(self) -> None:
        self.competitors = 0
        self.arrived = None
        self.done: list = []
        self.rank: int | None = None  # per process: this writer's arrival rank

    def arm(self, competitors: int) -> None:
        self.competitors = competitors
        self.arrived = CTX.Value("i", 0)
        self.done = [CTX.Event() for _ in range(competitors)]

    def hook(self, session, table_id, starts_at, ends_at) -> None:
        with self.arrived.get_lock():
            self.rank = self.arrived.value
            self.arrived.value += 1
        deadline = time.monotonic() + PATIENT
        while self.arrived.value + _advisory_waiters(session) < self.competitors:
            assert time.monotonic() < deadline, "the other competitors never showed up"
            time.sleep(0.005)  # polling a condition, not waiting for luck
        if self.rank > 0:
            assert self.done[self.rank - 1].wait(PATIENT), "the previous writer never finished"

    def finished(self) -> None:
        if self.rank is not None:
            self.done[self.rank].set()


_RACE = _Race()


def _advisory_waiters(session) -> int:
    return session.execute(text(
        "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )).scalar_one()


def _install_race_hook() -> None:
    service.BEFORE_WRITE_HOOKS.append(_RACE.hook)  # in the child only (after the fork)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("policy, competitors", [(LOCKED, 100), (UNLOCKED, 12)],
                         ids=["locks-on", "locks-off-control"])
def test_race_for_one_table_and_slot(app, session, policy, competitors):
    restaurant = make_restaurant(session, tables=[("Wanted", 2), ("Other", 2)])
    wanted = restaurant.tables[0].id
    starts_at = local(restaurant, future_day(), 19)
    _RACE.arm(competitors)

    def book(child_session, child_restaurant, index):
        return service.book(child_session, child_restaurant, starts_at=starts_at, party_size=2,
                            guest=guest(index), table_id=wanted, policy=policy)

    outcomes = compete(app, restaurant.id, [book] * competitors, before=_install_race_hook)
    assert kinds(outcomes) == {"ok": 1, "SlotTaken": competitors - 1}, outcomes
    caught_by_backstop = sum(o.by_constraint for o in outcomes)
    passed_recheck = _RACE.arrived.value
    if policy.advisory_locks:
        # Everyone else queued at the lock while the winner sat between re-check and write;
        # each then re-checked, saw the booking, and left cleanly.
        assert passed_recheck == 1
        assert caught_by_backstop == 0
    else:
        # Without the lock every writer passed the re-check: the race really happened,
        # and only the exclusion constraint kept it to one booking.
        assert passed_recheck == competitors
        assert caught_by_backstop == competitors - 1
    (booking,) = active_reservations(session, restaurant.id)
    assert booking.table_id == wanted and booking.starts_at == starts_at
    assert all(o.kind == "ok" or o.detail == "That time was just taken." for o in outcomes)


def test_hundred_auto_assigned_guests_fill_exactly_four_tables(app, session):
    restaurant = make_restaurant(session, tables=[(f"T{i}", 4) for i in range(4)])
    table_ids = sorted(t.id for t in restaurant.tables)
    starts_at = local(restaurant, future_day(), 20)

    def book(child_session, child_restaurant, index):
        return service.book(child_session, child_restaurant, starts_at=starts_at,
                            party_size=1 + index % 4, guest=guest(index), policy=LOCKED)

    outcomes = compete(app, restaurant.id, [book] * 100)
    assert kinds(outcomes) == {"ok": 4, "SlotTaken": 96}, kinds(outcomes)
    assert not any(o.by_constraint for o in outcomes)
    winners = [o for o in outcomes if o.kind == "ok"]
    booked = active_reservations(session, restaurant.id)
    assert sorted(r.table_id for r in booked) == sorted(o.table_id for o in winners) == table_ids
    assert all(r.starts_at == starts_at for r in booked)


def _move(reservation_id: int, to: dt.datetime) -> Job:
    def job(child_session, child_restaurant, index):
        return service.change(child_session, child_restaurant, reservation_id, starts_at=to,
                              actor="owner", policy=LOCKED)
    return job


@pytest.mark.parametrize("round_", range(3))
def test_moves_into_each_others_slots_end_consistent(app, session, round_):
    """X (18:00) and Y (20:00) share one table. Swap: each moves into the other's slot,
    which neither can have while the other is there. Chain: X moves to 19:00, which is
    free only once Y has moved on to 21:00. Both pairs run at once, on two tables."""
    restaurant = make_restaurant(session, tables=[("Swap", 2), ("Chain", 2)])
    swap_table, chain_table = (t.id for t in restaurant.tables)
    day = future_day(5 + round_)
    at = {h: local(restaurant, day, h) for h in (18, 19, 20, 21)}

    def phone(hour, table, n):
        return service.book(session, restaurant, starts_at=at[hour], party_size=2,
                            guest=guest(n), table_id=table, source="phone").reservation.id

    swap_x, swap_y = phone(18, swap_table, 1), phone(20, swap_table, 2)
    chain_x, chain_y = phone(18, chain_table, 3), phone(20, chain_table, 4)
    jobs = [_move(swap_x, at[20]), _move(swap_y, at[18]), _move(chain_x, at[19]),
            _move(chain_y, at[21])]
    outcomes = compete(app, restaurant.id, jobs)
    assert [o.kind for o in outcomes[:2]] == ["SlotTaken", "SlotTaken"], outcomes
    assert outcomes[3].kind == "ok", outcomes  # 21:00 is free whatever X does
    assert outcomes[2].kind in ("ok", "SlotTaken"), outcomes  # depends on who went first
    booked = {r.id: r for r in active_reservations(session, restaurant.id)}
    assert set(booked) == {swap_x, swap_y, chain_x, chain_y}, "no booking may get lost"
    assert_no_overlaps(list(booked.values()))
    assert (booked[swap_x].starts_at, booked[swap_y].starts_at) == (at[18], at[20])
    assert booked[chain_y].starts_at == at[21]
    assert booked[chain_x].starts_at == (at[19] if outcomes[2].kind == "ok" else at[18])
    assert {r.table_id for r in booked.values() if r.id in (chain_x, chain_y)} == {chain_table}
    assert all(r.ends_at - r.starts_at == dt.timedelta(hours=2) for r in booked.values())


def test_a_held_slot_lock_times_out_quickly(app, session):
    restaurant = make_restaurant(session, tables=[("Only", 2)])
    table_id = restaurant.tables[0].id
    starts_at = local(restaurant, future_day(), 19)
    ends_at = starts_at + dt.timedelta(hours=2)
    waits: list[float] = []
    locks.LOCK_WAIT_OBSERVERS.append(waits.append)
    holder = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with holder.connect() as conn, conn.begin():
            # Another transaction holds ONE bucket in the middle of the stay.
            held_table, held_bucket = locks.slot_lock_keys(table_id, starts_at, ends_at)[3]
            conn.execute(text("SELECT pg_advisory_xact_lock(:t, :b)"),
                         {"t": held_table, "b": held_bucket})
            began = time.monotonic()
            with pytest.raises(LockTimeout) as timed_out:
                service.book(session, restaurant, starts_at=starts_at, party_size=2,
                             guest=guest(1), policy=service.WritePolicy(lock_timeout_ms=300))
            took = time.monotonic() - began
            assert timed_out.value.http_status == 503
            # It gave up after its own 300 ms, not the default 3 s; measured around the lock
            # statement alone (what LOCK_WAIT_OBSERVERS report), so machine load cannot
            # blur it much.
            assert len(waits) == 1 and 0.29 <= waits[0] < 2.5, waits
            assert took < 15, took
        # Lock released with the holder's transaction: the same booking now goes through.
        booked = service.book(session, restaurant, starts_at=starts_at, party_size=2,
                              guest=guest(1)).reservation
        assert booked.table_id == table_id
        assert len(waits) == 2  # observers hear successful waits too
    finally:
        locks.LOCK_WAIT_OBSERVERS.remove(waits.append)
        holder.dispose()
    assert [r.id for r in active_reservations(session, restaurant.id)] == [booked.id]


# --------------------------------------------------------------------------- pacing


PACE = 20  # covers per 15-minute slot
PACE_OFF = service.WritePolicy(lock_timeout_ms=60_000, advisory_locks=True, pace_locks=False)


def _paced_restaurant(session) -> Restaurant:
    restaurant = make_restaurant(session, tables=[(f"T{i}", 4) for i in range(1, 21)])
    session.execute(update(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id,
                                               OpeningHours.name == "Dinner")
                    .values(pace_covers=PACE))
    session.commit()
    return restaurant


def _covers_at(session, restaurant_id: int, starts_at: dt.datetime) -> int:
    return sum(r.party_size for r in active_reservations(session, restaurant_id)
               if r.starts_at == starts_at)


@pytest.mark.parametrize("policy, competitors", [(LOCKED, 200), (PACE_OFF, 20)],
                         ids=["pace-key-on", "pace-key-off-control"])
def test_a_pace_of_twenty_covers_under_concurrent_bookings(app, session, policy, competitors):
    """Guests of 2 race for 19:00 over 20 tables (each asks for table index % 20, so
    the writers really are on different tables and only the pace key can order them).
    With the key: exactly 10 bookings (20 covers), the rest PaceExceeded or (their
    table taken) SlotTaken, the backstop never involved. The CONTROL, pace key off:
    the race hook holds every writer after its re-count until all 20 have counted, so
    all see room and all write: 40 covers, twice the pace. The table keys and the
    exclusion constraint have nothing to stop (every writer is on its own table)."""
    restaurant = _paced_restaurant(session)
    table_ids = [t.id for t in restaurant.tables]
    starts_at = local(restaurant, future_day(), 19)
    _RACE.arm(competitors)

    def book(child_session, child_restaurant, index):
        return service.book(child_session, child_restaurant, starts_at=starts_at, party_size=2,
                            guest=guest(index), table_id=table_ids[index % 20], policy=policy)

    control = not policy.pace_locks
    outcomes = compete(app, restaurant.id, [book] * competitors,
                       before=_install_race_hook if control else None)
    assert not any(o.by_constraint for o in outcomes)
    if control:
        assert kinds(outcomes) == {"ok": competitors}, outcomes
        assert _RACE.arrived.value == competitors  # every writer passed the re-count
        assert _covers_at(session, restaurant.id, starts_at) == 2 * competitors > PACE
    else:
        counted = kinds(outcomes)
        assert counted["ok"] == PACE // 2, counted
        assert set(counted) <= {"ok", "PaceExceeded", "SlotTaken"}, counted
        assert counted["PaceExceeded"] > 0
        assert _covers_at(session, restaurant.id, starts_at) == PACE
        booked = active_reservations(session, restaurant.id)
        assert len({r.table_id for r in booked}) == len(booked)
        assert_no_overlaps(booked)
