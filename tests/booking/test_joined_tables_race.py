"""Joined tables under real concurrency (separate processes on one PostgreSQL
database; the harness of test_concurrency): a combination and its own tables raced
at once.

* 200 guests for one slot: a third want the combination Napoli + Milano (a party of 10,
  auto-assigned), a third Napoli alone, a third Milano alone. Whatever the order, the
  end is one of the two possible outcomes, the combination alone or both tables alone,
  no table is ever held twice, and the database backstop never has to step in.
* The CONTROL: the keys of a joined booking's further tables switched off
  (``WritePolicy.joined_table_locks``), and the race hook holding every writer after its
  re-check. A combination writer and a Milano writer then both pass their re-checks;
  only the exclusion constraint over the part row keeps Milano to one stay.
* 100 guests pick the same time at a one-table restaurant: one hold; the CONTROL with the
  keys off reaches the holds' constraint."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.booking.test_concurrency import (
    _RACE,
    LOCKED,
    _install_race_hook,
    active_reservations,
    assert_no_overlaps,
    compete,
    guest,
    kinds,
)
from tests.factories import future_day, join_tables, local, make_restaurant
from webapp.booking import holds, service
from webapp.models import Hold

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

JOINED_KEYS_OFF = service.WritePolicy(lock_timeout_ms=60_000, joined_table_locks=False)


def _trattoria(session):
    restaurant = make_restaurant(session, tables=[("Napoli", 6), ("Milano", 6)],
                                 max_online_party=12)
    join_tables(session, restaurant, ["Napoli", "Milano"], 7, 12)
    return restaurant


@pytest.mark.parametrize("policy, competitors", [(LOCKED, 200), (JOINED_KEYS_OFF, 12)],
                         ids=["keys-on", "joined-keys-off-control"])
def test_a_combination_and_its_tables_raced_at_once(app, session, policy, competitors):
    restaurant = _trattoria(session)
    napoli, milano = (t.id for t in sorted(restaurant.tables, key=lambda t: t.position))
    starts_at = local(restaurant, future_day(), 19)
    control = not policy.joined_table_locks
    _RACE.arm(competitors)

    def book(child_session, child_restaurant, index):
        # The control leaves Napoli's own writers out: they share the combination's
        # first table keys, which stay on, so they would only queue.
        wants = index % 2 + 1 if control else index % 3
        if wants == 0:
            return service.book(child_session, child_restaurant, starts_at=starts_at,
                                party_size=2, guest=guest(index), table_id=napoli,
                                policy=policy)
        if wants == 1:
            return service.book(child_session, child_restaurant, starts_at=starts_at,
                                party_size=10, guest=guest(index), policy=policy)
        return service.book(child_session, child_restaurant, starts_at=starts_at,
                            party_size=2, guest=guest(index), table_id=milano, policy=policy)

    outcomes = compete(app, restaurant.id, [book] * competitors,
                       before=_install_race_hook if control else None)
    counted = kinds(outcomes)
    assert set(counted) <= {"ok", "SlotTaken"}, outcomes
    booked = active_reservations(session, restaurant.id)  # with the parts' rows
    assert_no_overlaps(booked)
    bookings = [r for r in booked if r.part_of is None]
    if len(bookings) == 1 and bookings[0].party_size == 10:  # the combination won
        assert sorted(r.table_id for r in booked) == sorted([napoli, milano])
        assert counted["ok"] == 1
    else:  # the tables went one by one
        assert sorted(r.table_id for r in bookings) == sorted([napoli, milano]) or control
        assert all(r.party_size == 2 for r in bookings)
        assert counted["ok"] == len(bookings)
    caught_by_backstop = sum(o.by_constraint for o in outcomes)
    if control:
        # Two writers (a combination's and Milano's) passed their re-checks at once, and
        # only the constraint on the part's (or Milano's) row refused the second.
        assert _RACE.arrived.value >= 2
        assert caught_by_backstop >= 1, outcomes
    else:
        assert caught_by_backstop == 0, outcomes


UNLOCKED = service.WritePolicy(lock_timeout_ms=60_000, advisory_locks=False)


@pytest.mark.parametrize("policy, competitors", [(LOCKED, 100), (UNLOCKED, 12)],
                         ids=["keys-on", "keys-off-control"])
def test_two_guests_never_hold_the_same_table(app, session, policy, competitors):
    """Guests (each their own browser) pick the same time at a restaurant with one table:
    exactly one hold. The CONTROL with the keys off, every writer held after its re-check
    by the race hook: all pass it, and only the holds' exclusion constraint keeps the
    table to one hold."""
    restaurant = make_restaurant(session, tables=[("Solo", 4)])
    starts_at = local(restaurant, future_day(), 19)
    control = not policy.advisory_locks
    _RACE.arm(competitors)

    def hold(child_session, child_restaurant, index):
        return holds.place(child_session, child_restaurant, starts_at=starts_at, party_size=2,
                           holder=f"browser-{index}", policy=policy)

    outcomes = compete(app, restaurant.id, [hold] * competitors,
                       before=_install_race_hook if control else None)
    assert kinds(outcomes) == {"ok": 1, "SlotTaken": competitors - 1}, outcomes
    assert session.scalar(select(func.count()).select_from(Hold)) == 1
    caught_by_backstop = sum(o.by_constraint for o in outcomes)
    if control:
        assert _RACE.arrived.value == competitors  # every writer passed the re-check
        assert caught_by_backstop == competitors - 1
    else:
        assert caught_by_backstop == 0
