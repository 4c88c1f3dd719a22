"""Reads from a streaming replica, when one is configured (``DATABASE_REPLICA_URL``).

Only the pages and API reads marked ``@replica_reads`` (the guest's restaurant page, its
free-times fragment, the API's availability) may read from the replica, and only while
their transaction has written nothing; every write, and every read inside a write,
stays on the primary. So the replica can only ever make a guest *see* a time that was
taken a moment ago: the booking itself runs on the primary under the locks and answers
the usual 409 with alternatives.

A replica that lags more than ``REPLICA_MAX_LAG_SECONDS`` (or cannot be reached) is not
used: reads fall back to the primary until it catches up. The lag is asked at most once
a second per process; /readyz reports it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, has_app_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text
from sqlalchemy.engine import Engine

from .database import writes_in_transaction

log = logging.getLogger(__name__)

BIND_KEY = "replica"
READS_FROM_REPLICA: ContextVar[bool] = ContextVar("booking_reads_from_replica", default=False)
LAG_CHECK_SECONDS = 1.0

# Seconds behind the primary: 0 while everything received is replayed, else the age of
# the last transaction replayed (it grows while replay is paused or slow).
_LAG = text("""
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN 0
        WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    END
""")

_checked: dict[int, tuple[float, float | None]] = {}  # engine id -> (checked at, lag or None)

V = TypeVar("V", bound=Callable[..., Any])


def replica_reads(view: V) -> V:
    """The view's reads may go to the replica (GET and HEAD only)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        token = READS_FROM_REPLICA.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            READS_FROM_REPLICA.reset(token)

    return wrapper  # type: ignore[return-value]


def replica_lag(engine: Engine, *, fresh: bool = False) -> float | None:
    """The replica's lag in seconds (None: unreachable), asked at most once a second."""
    now = time.monotonic()
    cached = _checked.get(id(engine))
    if cached is not None and not fresh and now - cached[0] < LAG_CHECK_SECONDS:
        return cached[1]
    lag: float | None
    try:
        with engine.connect() as conn:
            lag = float(conn.execute(_LAG).scalar_one())
    except Exception as exc:  # down, restarting, refusing: read from the primary
        log.warning("replica unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
        lag = None
    _checked[id(engine)] = (now, lag)
    return lag


def usable_replica(engines: Mapping[Any, Engine]) -> Engine | None:
    engine = engines.get(BIND_KEY)
    if engine is None:
        return None
    lag = replica_lag(engine)
    if lag is None or lag > float(current_app.config.get("REPLICA_MAX_LAG_SECONDS", 5)):
        return None
    return engine


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, sending a replica-read view's reads to the replica."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None,
                 **kwargs: Any) -> Any:
        if (bind is None and READS_FROM_REPLICA.get() and not self._flushing
                and has_app_context() and writes_in_transaction(self) == 0):
            engine = usable_replica(self._db.engines)
            if engine is not None:
                return engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
