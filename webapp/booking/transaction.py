"""The booking write's transaction: how it begins, commits, and what a refusal means.

:func:`write_transaction` is the one place a booking write begins and ends:

* it begins with the write lock where the backend needs one up front (SQLite's
  ``BEGIN IMMEDIATE``) and the lock timeout set (PostgreSQL's ``SET LOCAL
  lock_timeout``), or, on PostgreSQL, carries on in the caller's transaction when that
  has only read (see :func:`can_continue`);
* it commits, or rolls back, and translates the database's refusals into booking
  errors: the no-overlap backstop into :class:`SlotTaken` (``by_constraint=True``), the
  foreign key of a table removed meanwhile into :class:`TableRemoved`, a lock that was
  not granted in time into :class:`LockTimeout`. Never a 500.

The locks the write takes are transaction-scoped, so they go with its COMMIT or
ROLLBACK, also when the code in between raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, scoped_session

from ..database import BEGIN_IMMEDIATE, writes_in_transaction
from . import locks, tail
from .errors import LockTimeout, SlotTaken, TableRemoved


@dataclass(frozen=True)
class WritePolicy:
    lock_timeout_ms: int = 3000
    # Off only in the control test that shows the race reaching the database backstop.
    advisory_locks: bool = True
    # The restaurant-level pace keys (booking/pacing.py); off only in the control test
    # that shows the pace race they prevent.
    pace_locks: bool = True
    # The keys of a joined booking's further tables (all sorted with the first's); off
    # only in the control test that shows the race between a combination and its tables.
    joined_table_locks: bool = True


DEFAULT_POLICY = WritePolicy()


def is_overlap_violation(error: sa_exc.DBAPIError) -> bool:
    """The no-overlap backstop refused the write: PostgreSQL's exclusion constraint
    (23P01), or SQLite's trigger, which names the constraint in its message."""
    orig = error.orig
    # 23P01: reservations_no_overlap or holds_no_overlap; SQLite's triggers name theirs.
    return (getattr(orig, "sqlstate", None) == "23P01" or "reservations_no_overlap" in str(orig)
            or "holds_no_overlap" in str(orig))


def is_table_gone(error: sa_exc.DBAPIError) -> bool:
    """The foreign key to the reservation's table refused the write: the table was removed
    while the write was under way (PostgreSQL 23503 on that key; SQLite names no
    constraint, and a booking write refers to nothing else that can go: its restaurant
    goes with the owner's whole account)."""
    orig = error.orig
    if getattr(orig, "sqlstate", None) == "23503":
        constraint = getattr(getattr(orig, "diag", None), "constraint_name", None) or ""
        return "table_id" in constraint
    return "FOREIGN KEY constraint failed" in str(orig)


def is_lock_failure(error: sa_exc.DBAPIError) -> bool:
    # 55P03 lock_not_available (lock_timeout), 40P01 deadlock_detected; SQLite: busy.
    return (getattr(error.orig, "sqlstate", None) in ("55P03", "40P01")
            or "database is locked" in str(error.orig))


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring the objects in the session: what was just read or written
    stays usable without a reload (a round trip per object otherwise)."""
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def can_continue(session: Session) -> bool:
    """Whether the caller's transaction can simply go on as the write transaction:
    on PostgreSQL, when it has only read. Every statement at READ COMMITTED sees what
    was committed before it began, so the re-check after the locks is exactly as fresh
    as in a new transaction, and nothing was locked yet; this saves a COMMIT and a
    BEGIN per booking. SQLite needs its fresh BEGIN IMMEDIATE; a transaction that wrote
    is committed first, so a retry's rollback cannot take the caller's writes with it.
    "Wrote" counts ORM flushes and non-SELECT statements (``database.writes_in_transaction``);
    Core writes on the session's connection happen only inside a write transaction or a
    flush (asserted by tests/booking/test_transaction.py), so none can be missed here."""
    return (session.in_transaction() and writes_in_transaction(session) == 0
            and session.get_bind().dialect.name == "postgresql")


@contextmanager
def write_transaction(session: Session, policy: WritePolicy = DEFAULT_POLICY, *,
                      keep_loaded: bool = False,
                      timeout_with_first_lock: bool = False,
                      tail_with_commit: bool = False) -> Iterator[None]:
    """One write transaction with the lock timeout set; commits, or rolls back and
    translates the database's refusals into booking errors.

    ``keep_loaded``: neither the commit that ends the caller's read transaction nor the
    final one expires the session's objects: what the caller read (the restaurant...)
    and what this transaction wrote stay usable without a reload (a round trip each).
    Only for writes that re-read under the locks everything their decision rests on.

    ``timeout_with_first_lock``: the write's first statement is an advisory lock, which
    sets the lock timeout in its own round trip (``locks.set_lock_timeout``).
    ``tail_with_commit``: on PostgreSQL the write's history and outbox INSERTs go with
    its COMMIT, in one round trip (booking/tail.py). Only for the new booking, the hot
    path: there a client that dies after the tail went out leaves the whole booking or
    nothing, never part of it, as always; the owner's writes keep a point between their
    changes and their COMMIT where the fault tests stop and kill them."""
    if isinstance(session, scoped_session):
        session = session()  # the proxy lacks in_transaction(); use the real session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("the booking service owns its transaction: flush or discard "
                           "pending changes before calling it")
    go_on = can_continue(session)
    if session.in_transaction() and not go_on:
        # End the caller's transaction; our writes start fresh.
        if keep_loaded:
            commit_keeping_loaded(session)
        else:
            session.commit()
    try:
        if not go_on:
            # On SQLite a writer that waited out the busy timeout fails right here, at
            # BEGIN IMMEDIATE: that is a lock timeout too, not a database outage.
            session.connection(execution_options={BEGIN_IMMEDIATE: True})
        locks.set_lock_timeout(session, policy.lock_timeout_ms,
                               with_first_lock=timeout_with_first_lock)
        if tail_with_commit:
            tail.open_tail(session)
        yield
        tail.send_with_commit(session)  # on PostgreSQL: the kept INSERTs and COMMIT
        if keep_loaded:
            commit_keeping_loaded(session)
        else:
            session.commit()
    except sa_exc.IntegrityError as error:
        session.rollback()
        if is_overlap_violation(error):
            # The backstop caught what the locks and the re-check did not.
            raise SlotTaken(by_constraint=True) from error
        if is_table_gone(error):
            # A move onto a table removed meanwhile (a new booking's INSERT reads its
            # table's row and writes nothing instead: service._insert_on_bookable_table).
            raise TableRemoved() from error
        raise
    except sa_exc.DBAPIError as error:
        session.rollback()
        if is_lock_failure(error):
            raise LockTimeout() from error
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        locks.forget_lock_timeout(session)
        tail.close_tail(session)
