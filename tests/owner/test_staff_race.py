"""Two owners demote each other at the same moment: the restaurant keeps one owner.

Each demotion counts the owners (two) and then writes. Both writers are held right after
their count (staff.AFTER_OWNER_CHECK) until the other has counted too, or a second has
passed. With the lock on the restaurant's row the second writer cannot count before the
first has committed, so it counts one owner and is refused; the control run without the
lock lets both counts see two owners, and the restaurant is left with none. Real
commits from two sessions on two connections (PostgreSQL: SQLite serializes writers at
BEGIN IMMEDIATE, which tests/owner/test_staff.py covers through the pages)."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import make_owner
from webapp.booking.operations import staff as staff_ops
from webapp.extensions import db
from webapp.models import Membership, Restaurant

pytestmark = pytest.mark.postgres_only


def _demote_each_other(app, restaurant_id: int, first_id: int, second_id: int, *,
                       lock: bool) -> list[str]:
    barrier = threading.Barrier(2, timeout=1.0)

    def hold() -> None:
        # Broken after a second: the other writer waits on the lock, go on alone.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    outcomes: list[str] = []
    start = threading.Barrier(2)

    def demote(actor_demotes: int) -> None:
        with app.app_context():
            engine = db.engine
            with Session(engine) as session:
                restaurant = session.get_one(Restaurant, restaurant_id)
                start.wait()
                try:
                    staff_ops.change_role(session, restaurant, actor_demotes, "staff",
                                          lock=lock)
                    outcomes.append("demoted")
                except staff_ops.StaffRefused:
                    outcomes.append("refused")

    staff_ops.AFTER_OWNER_CHECK.append(hold)
    try:
        threads = [threading.Thread(target=demote, args=(user_id,))
                   for user_id in (second_id, first_id)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        staff_ops.AFTER_OWNER_CHECK.remove(hold)
    return sorted(outcomes)


def _owners(session, restaurant_id: int) -> int:
    session.expire_all()
    session.rollback()
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.restaurant_id == restaurant_id, Membership.role == "owner"))


def test_two_owners_demoting_each_other_leave_one_owner(app, session, restaurant):
    first = make_owner(session, restaurant, "first@example.com")
    second = make_owner(session, restaurant, "second@example.com")
    outcomes = _demote_each_other(app, restaurant.id, first.id, second.id, lock=True)
    assert outcomes == ["demoted", "refused"]
    assert _owners(session, restaurant.id) == 1


def test_control_without_the_lock_the_race_leaves_no_owner(app, session, restaurant):
    first = make_owner(session, restaurant, "first@example.com")
    second = make_owner(session, restaurant, "second@example.com")
    outcomes = _demote_each_other(app, restaurant.id, first.id, second.id, lock=False)
    assert outcomes == ["demoted", "demoted"]
    assert _owners(session, restaurant.id) == 0
