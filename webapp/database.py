"""Engine set-up that the booking rules rely on.

SQLite: foreign keys on, WAL so readers never wait for the writer, and Python's
own transaction handling switched off so that we emit BEGIN ourselves: a plain
BEGIN for reads, BEGIN IMMEDIATE where the booking service asks for it, which
takes the database's write lock up front and so serializes writers the way the
advisory locks do on PostgreSQL.

PostgreSQL: a pooled connection that sat idle is pinged before use (a server restart
or a proxy's idle cut leaves dead ones behind), but a connection that went back to
the pool moments ago is not: SQLAlchemy's ``pool_pre_ping`` would add a round trip to
every transaction, a fifth of a booking's under load. A connection that dies between
two close uses fails that one request (503, retryable) and the pool is invalidated.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Final

from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

# Execution option the booking service sets on its connection before the transaction begins.
BEGIN_IMMEDIATE: Final = "booking_begin_immediate"


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # we send BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


# True while serving a request that means to write (a POST...; set by the app per request).
# SQLite cannot turn a transaction that has read into a writer once another connection
# has written since its read began: it fails at once with "database is locked", busy
# timeout or not. A page that reads and then writes therefore takes the write lock up
# front (BEGIN IMMEDIATE), waiting its turn like the booking service does.
WRITE_INTENT: ContextVar[bool] = ContextVar("booking_write_intent", default=False)


def _on_sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(BEGIN_IMMEDIATE, False) or WRITE_INTENT.get()
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# A connection returned to the pool longer ago than this is pinged before its next use.
IDLE_PING_SECONDS = 1.0
_CHECKED_IN_AT = "booking_checked_in_at"


def _remember_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _idle_pinger(engine: Engine) -> Callable[[Any, Any, Any], None]:
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_SECONDS:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping opened a transaction; start clean
        except engine.dialect.loaded_dbapi.Error as error:
            # Dead (server restarted?): so are its elders. The pool reconnects and retries.
            raise exc.InvalidatePoolError() from error
    return ping_if_idle


def configure_engine(engine: Engine) -> Engine:
    """Install the per-dialect hooks; safe to call more than once."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _on_sqlite_connect):
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    if engine.dialect.name == "postgresql" and not event.contains(engine, "checkin", _remember_checkin):
        event.listen(engine, "checkin", _remember_checkin)
        event.listen(engine, "checkout", _idle_pinger(engine))
    return engine


# --------------------------------------------------------------------------- session writes

# session.info: how many flushes / DML statements the current transaction has run. The
# booking service and the set-up cache ask whether a transaction has only read so far.
#
# Core statements sent with ``session.connection().execute(...)`` are not seen here, on
# purpose: counting them at the Connection (an Engine ``before_execute`` listener) puts
# every statement of the app on SQLAlchemy's event path, +6 % of a booking's CPU
# instructions (measured with valgrind). The rule that makes it unnecessary: Core
# writes on a session's connection are made only inside the booking service's write
# transaction (its INSERTs, the outbox row its ``after_write`` queues) or inside a
# flush (which is counted); a caller never holds uncounted writes when a write begins.
# tests/booking/test_transaction.py asserts that rule over the whole of webapp/.
_WRITES = "booking_writes"


@event.listens_for(Session, "after_flush")
def _count_flush(session: Session, _context: Any) -> None:
    session.info[_WRITES] = session.info.get(_WRITES, 0) + 1


@event.listens_for(Session, "do_orm_execute")
def _count_statement(state: Any) -> None:
    if not state.is_select:  # DML, and any text(): counted as a write, to be safe
        state.session.info[_WRITES] = state.session.info.get(_WRITES, 0) + 1


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WRITES, None)


def writes_in_transaction(session: Session) -> int:
    """Flushes and non-SELECT statements the session's current transaction has run
    (ORM ones; see the rule above for Core statements on its connection)."""
    count: int = session.info.get(_WRITES, 0)
    return count
