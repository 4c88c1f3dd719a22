"""Engine set-up that the booking rules rely on.

SQLite: foreign keys on, WAL so readers never wait for the writer, and Python's
own transaction handling switched off so that we emit BEGIN ourselves: a plain
BEGIN for reads, BEGIN IMMEDIATE where the booking service asks for it, which
takes the database's write lock up front and so serializes writers the way the
advisory locks do on PostgreSQL.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Execution option the booking service sets on its connection before the transaction begins.
BEGIN_IMMEDIATE = "booking_begin_immediate"


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # we send BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(BEGIN_IMMEDIATE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def configure_engine(engine: Engine) -> Engine:
    """Install the per-dialect hooks; safe to call more than once."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _on_sqlite_connect):
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    return engine
