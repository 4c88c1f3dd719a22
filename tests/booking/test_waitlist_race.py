"""The waitlist under real concurrency (separate processes on one PostgreSQL database; the
harness of test_concurrency): a freed table, several guests waiting, many workers running
``make_offers`` at the same instant.

* Keys on: exactly one guest is offered the table (one live hold, one offer e-mail); the
  others stay waiting, and nobody met the backstop.
* The CONTROL: the hold's keys switched off (``WritePolicy.advisory_locks``) and the race
  hook holding every writer after its re-check: every worker passes the re-check for the
  same table, and only the holds' exclusion constraint (``holds_no_overlap``) keeps the
  table to one offer."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.booking.test_concurrency import (
    _RACE,
    LOCKED,
    UNLOCKED,
    _install_race_hook,
    compete,
    kinds,
)
from tests.factories import future_day, local, make_restaurant
from webapp.booking import service, waitlist
from webapp.models import Hold, OutboxEmail, WaitlistEntry

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

WAITING = 5


@pytest.mark.parametrize("policy, competitors", [(LOCKED, 40), (UNLOCKED, 10)],
                         ids=["keys-on", "keys-off-control"])
def test_a_freed_table_is_offered_to_exactly_one_waiting_guest(app, session, policy,
                                                               competitors):
    restaurant = make_restaurant(session, tables=[("Solo", 4)])
    day = future_day()
    early = service.book(session, restaurant, starts_at=local(restaurant, day, 18),
                         party_size=2, guest=service.GuestDetails("A", "a@example.com"))
    service.book(session, restaurant, starts_at=local(restaurant, day, 20), party_size=2,
                 guest=service.GuestDetails("B", "b@example.com"))
    for n in range(WAITING):
        waitlist.join(session, restaurant, day=day, party_size=2, earliest=dt.time(18),
                      latest=dt.time(21), guest=service.GuestDetails(f"W{n}", f"w{n}@example.com"))
    # Freed without the after-commit offer (the service alone): the workers race for it.
    service.cancel(session, restaurant, early.reservation.id)
    control = not policy.advisory_locks
    _RACE.arm(competitors)

    def offer(child_session, child_restaurant, index):
        with app.app_context():  # the e-mail's language and dates
            return waitlist.make_offers(child_session, child_restaurant.id, policy=policy)

    outcomes = compete(app, restaurant.id, [offer] * competitors,
                       before=_install_race_hook if control else None)
    assert kinds(outcomes) == {"ok": competitors}, outcomes
    session.expire_all()
    statuses = list(session.scalars(select(WaitlistEntry.status).order_by(WaitlistEntry.id)))
    assert statuses.count("offered") == 1 and statuses.count("waiting") == WAITING - 1
    assert session.scalar(select(func.count()).select_from(Hold)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.kind == waitlist.OFFER_EMAIL)) == 1
    if control:
        # Every worker passed the re-check for the one table at once; the constraint
        # refused all holds but the first.
        assert _RACE.arrived.value == competitors
    else:
        assert statuses[0] == "offered"  # the first in line
