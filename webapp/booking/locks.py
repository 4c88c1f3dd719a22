"""Advisory locks keyed on (table, slot), taken inside the booking transaction.

The slot grid for locking is fixed: 15-minute buckets of UTC time, independent
of each restaurant's slot interval, so that any two stays on one table that
overlap share at least one bucket (the bucket holding the start of their
overlap) and therefore serialize, whatever their lengths or alignments, and
even across a change of the restaurant's interval.

Only transaction-scoped locks (``pg_advisory_xact_lock``) are used: they are
released by COMMIT or ROLLBACK, also when a client dies mid-transaction, so they
never leak, and they work behind PgBouncer in transaction mode. A transaction
takes them once, late, in sorted order: the guest keys, then the (table, bucket)
keys of ONE table (the booking service tries each candidate table in its own
transaction). So two transactions can never wait on each other in a cycle.

``LOCK_WAIT_OBSERVERS`` are told how long each table-slot lock statement took
(the metrics module records it as a histogram).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

LOCK_BUCKET_MINUTES = 15
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_BUCKET_SECONDS = LOCK_BUCKET_MINUTES * 60

TableSlotKey = tuple[int, int]

# Called with the seconds spent acquiring the (table, bucket) locks of one write, also
# when the wait ended in a lock timeout. Observers must be quick and must not raise.
LOCK_WAIT_OBSERVERS: list[Callable[[float], None]] = []


def bucket_of(instant: dt.datetime) -> int:
    return int((instant - _EPOCH).total_seconds() // _BUCKET_SECONDS)


def slot_lock_keys(table_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> list[TableSlotKey]:
    """Every (table, bucket) that the stay [starts_at, ends_at) touches, sorted."""
    first = bucket_of(starts_at)
    last = bucket_of(ends_at - dt.timedelta(microseconds=1))
    return [(table_id, bucket) for bucket in range(first, last + 1)]


def guest_lock_key(restaurant_id: int, identity: str) -> int:
    """A signed 64-bit key for "this guest at this restaurant" (e-mail or phone), so two
    concurrent bookings of one guest serialize and the overlap rule holds."""
    digest = hashlib.sha256(f"{restaurant_id}:{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# Plain driver SQL (PostgreSQL only, like the locks): these run on every booking, and
# skipping SQLAlchemy's statement machinery saves a noticeable share of its CPU.
_SET_TIMEOUT = "SET LOCAL lock_timeout = '{ms}ms'"
# One round trip for all keys; unnest keeps the array order, which we sort beforehand.
# The arrays travel as text literals ('{1,2}'): the driver's adaptation of a Python list
# cost more than the rest of the statement, and the text stays the same so the
# statement is still prepared once per connection.
_LOCK_GUESTS = "SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%(keys)s::bigint[]) AS k"
_LOCK_TABLE_SLOTS = ("SELECT count(pg_advisory_xact_lock(t, b)) "
                     "FROM unnest(%(tables)s::integer[], %(buckets)s::integer[]) AS k(t, b)")
# The same, setting the transaction's lock timeout first (what SET LOCAL does) in the
# same round trip: the filter sits on the scan of the keys, so the executor runs it on a
# key's row before the aggregate takes that key's lock, and set_config never returns ''.
_WITH_TIMEOUT = " WHERE set_config('lock_timeout', %(lock_timeout)s, true) <> ''"
# session.info: the lock timeout a write transaction has yet to set (see set_lock_timeout).
_PENDING_TIMEOUT = "booking_lock_timeout_pending"


def _array_literal(numbers: Iterable[int]) -> str:
    return "{" + ",".join(str(int(n)) for n in numbers) + "}"


def set_lock_timeout(session: Session, timeout_ms: int, *, with_first_lock: bool = False) -> None:
    """Bound every lock wait of the current transaction (PostgreSQL; SQLite has its busy
    timeout). ``with_first_lock``: the caller's next statement is
    :func:`advisory_xact_lock`, which then sets the timeout in its own round trip; one
    that may not get there calls :func:`settle_lock_timeout` before anything can wait."""
    if session.get_bind().dialect.name != "postgresql":
        return
    if with_first_lock:
        session.info[_PENDING_TIMEOUT] = int(timeout_ms)
    else:
        session.info.pop(_PENDING_TIMEOUT, None)
        session.connection().exec_driver_sql(_SET_TIMEOUT.format(ms=int(timeout_ms)))


def settle_lock_timeout(session: Session) -> None:
    """Set the lock timeout still pending (no lock statement was sent to carry it)."""
    timeout_ms = session.info.pop(_PENDING_TIMEOUT, None)
    if timeout_ms is not None:
        session.connection().exec_driver_sql(_SET_TIMEOUT.format(ms=timeout_ms))


def forget_lock_timeout(session: Session) -> None:
    """The transaction ended: nothing is pending for the next one."""
    session.info.pop(_PENDING_TIMEOUT, None)


def _lock(session: Session, statement: str, params: dict[str, str]) -> None:
    timeout_ms = session.info.pop(_PENDING_TIMEOUT, None)
    if timeout_ms is not None:
        statement, params = statement + _WITH_TIMEOUT, {**params,
                                                        "lock_timeout": f"{timeout_ms}ms"}
    session.connection().exec_driver_sql(statement, params)


def advisory_xact_lock(session: Session, keys: Iterable[TableSlotKey],
                       guest_keys: Iterable[int] = ()) -> None:
    """Take the transaction-scoped locks, guests first, each group in sorted order.

    A no-op on SQLite, where the transaction already holds the database's single
    write lock (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    guests = sorted(set(guest_keys))
    if guests:
        _lock(session, _LOCK_GUESTS, {"keys": _array_literal(guests)})
    ordered = sorted(set(keys))
    if ordered:
        started = time.perf_counter()
        try:
            _lock(session, _LOCK_TABLE_SLOTS, {
                "tables": _array_literal(t for t, _ in ordered),
                "buckets": _array_literal(b for _, b in ordered)})
        finally:
            waited = time.perf_counter() - started
            for observer in LOCK_WAIT_OBSERVERS:
                observer(waited)
