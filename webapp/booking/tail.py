"""The end of a write transaction on PostgreSQL: the INSERTs nothing waits for go with COMMIT.

A booking's last statements are INSERTs whose answers the write does not need before it
commits: its history row, and its outbox rows (their ids matter only after the commit,
when the e-mails are handed to delivery). Sent one by one, each is a round trip of its
own, and so is the COMMIT after them. Inside a :func:`~.transaction.write_transaction`
that asks for it (``tail_with_commit``: the new booking) on PostgreSQL they are kept
instead, and :func:`send_with_commit` sends them and COMMIT in one pipeline (psycopg's
pipeline mode: one round trip for all of them), as plain driver SQL built once per
shape. The answers of those that asked for rows (``RETURNING``) are handed to their
callbacks once the commit is done.

Nothing changes in what is written or when it becomes visible to others: the rows
commit together with the rest of the transaction, as before. A row that the database
refuses fails the COMMIT, and the whole write rolls back (the error is SQLAlchemy's, as
it would have been from the statement itself). SQLite, and an INSERT made outside such
a write transaction, run the statement at once (:func:`defer_insert` says which it did).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Json
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

# session.info: the INSERTs kept for the commit of the write transaction under way.
_KEPT = "booking_tail"

RowsCallback = Callable[[list[tuple[Any, ...]]], None]

# Told the SQL of each INSERT sent with a commit (tests that follow a write's statements
# listen here as well as to SQLAlchemy's events, which do not see these).
SENT_OBSERVERS: list[Callable[[str], None]] = []


@dataclass(frozen=True)
class _Insert:
    sql: str
    params: dict[str, Any]
    on_rows: RowsCallback | None


def open_tail(session: Session) -> None:
    """A write transaction begins: on PostgreSQL, keep its tail INSERTs for the commit."""
    if session.get_bind().dialect.name == "postgresql":
        session.info[_KEPT] = []


def close_tail(session: Session) -> None:
    """The write transaction ended (committed, or rolled back with what it kept)."""
    session.info.pop(_KEPT, None)


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...], rows: int, returning: tuple[str, ...]
                ) -> str:
    values = ", ".join("(" + ", ".join(f"%({c}_{i})s" for c in columns) + ")"
                       for i in range(rows))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"
    return sql + (f" RETURNING {', '.join(returning)}" if returning else "")


def _adapted(value: Any) -> Any:
    # JSON columns: the driver needs to be told (SQLAlchemy's JSON type did it before).
    return Json(value) if isinstance(value, dict | list) else value


def defer_insert(session: Session, table: str, rows: Sequence[Mapping[str, Any]], *,
                 returning: tuple[str, ...] = (), on_rows: RowsCallback | None = None) -> bool:
    """Keep the INSERT of ``rows`` (each with the same columns, in the same order) for the
    commit of the write transaction under way; ``on_rows`` gets the ``returning`` columns
    of the rows after the commit. False when there is no such transaction to keep it for
    (SQLite, or outside a write): the caller then runs its statement itself."""
    kept: list[_Insert] | None = session.info.get(_KEPT)
    if kept is None:
        return False
    columns = tuple(rows[0])
    params = {f"{column}_{i}": _adapted(row[column])
              for i, row in enumerate(rows) for column in columns}
    kept.append(_Insert(_insert_sql(table, columns, len(rows), returning), params, on_rows))
    return True


def send_with_commit(session: Session) -> None:
    """Flush the session, then send the kept INSERTs and COMMIT in one round trip; the
    caller's ``session.commit()`` after this finds the transaction committed (psycopg
    sends nothing for it) and does SQLAlchemy's part: events, expiry, the pool."""
    kept: list[_Insert] | None = session.info.pop(_KEPT, None)
    if not kept:
        return
    session.flush()
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    cursors = []
    try:
        with driver.pipeline():
            for insert in kept:
                for observer in SENT_OBSERVERS:
                    observer(insert.sql)
                cursors.append((driver.execute(insert.sql, insert.params), insert.on_rows))
            driver.execute("COMMIT")
    except psycopg.Error as error:
        # As SQLAlchemy reports a driver error (IntegrityError, OperationalError...), so the
        # write transaction translates it as it does any other statement's.
        raise sa_exc.DBAPIError.instance(kept[0].sql, kept[0].params, error,
                                         psycopg.Error) from error
    for cursor, on_rows in cursors:
        if on_rows is not None:
            on_rows(cursor.fetchall())
