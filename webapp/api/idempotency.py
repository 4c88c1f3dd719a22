"""``Idempotency-Key`` on POST (draft-ietf-httpapi-idempotency-key-header).

A client that retries a POST with the same key gets the first answer (status and
body) again instead of a second booking. The key is claimed BEFORE the work is
done, by inserting its row in a transaction of its own: the unique constraint on
(scope, key) decides which of two simultaneous retries does the work; the other
sees the claim and is told the first is still running (409), or, once it has
finished, gets its answer replayed.

* scope: the API token (or, for anonymous callers, the client address) plus the
  method and path, so keys of different callers or endpoints never meet;
* same key, different body: 422, as the draft says;
* answers that are not an outcome (5xx, auth or body refusals, rate limits)
  release the key, so the client can fix the request and retry with it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, make_response, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy import exc as sa_exc

from ..booking.errors import BookingError
from ..extensions import db
from ..models import IdempotencyKey
from .auth import current_token
from .errors import ApiError, booking_problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
IN_PROGRESS = 0  # status_code of a claimed key whose request has not finished
REPLAYED_HEADER = "Idempotent-Replayed"


def _kept(status: int) -> bool:
    """Answers worth replaying: successes and business conflicts (slot taken...)."""
    return 200 <= status < 300 or status in (404, 409)


def _scope() -> str:
    token = current_token()
    who = f"token:{token.id}" if token is not None else f"client:{request.remote_addr or '-'}"
    return f"{who} {request.method} {request.path}"[:200]


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.mimetype.encode() + b"\n")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(scope: str, key: str, fingerprint: str) -> Any | None:
    """Insert the key as in progress; None when we own it, else the existing row.

    Both statements run on a connection of their own, outside the request's session:
    the claim must commit at once, and the read must not see an older snapshot."""
    table = IdempotencyKey.__table__
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(table).values(
                scope=scope, key=key, request_hash=fingerprint, status_code=IN_PROGRESS,
                response_body="", created_at=dt.datetime.now(dt.UTC)))
        return None
    except sa_exc.IntegrityError:
        with db.engine.connect() as conn:
            row = conn.execute(select(table.c.request_hash, table.c.status_code,
                                      table.c.response_body)
                               .where(table.c.scope == scope, table.c.key == key)).first()
        if row is None:  # released between our insert and our read: the caller may retry
            raise ApiError(409, "A request with this Idempotency-Key was just abandoned; retry.",
                           code="idempotency_key_in_use", headers={"Retry-After": "1"}) from None
        return row


def _record(scope: str, key: str, response: Response) -> None:
    with db.engine.begin() as conn:
        where = (IdempotencyKey.scope == scope) & (IdempotencyKey.key == key)
        if _kept(response.status_code):
            conn.execute(update(IdempotencyKey).where(where).values(
                status_code=response.status_code, response_body=response.get_data(as_text=True)))
        else:
            conn.execute(delete(IdempotencyKey).where(where))


def _replay(row: Any) -> Response:
    response = make_response(row.response_body, row.status_code)
    response.mimetype = "application/problem+json" if row.status_code >= 400 else "application/json"
    response.headers[REPLAYED_HEADER] = "true"
    try:
        location = json.loads(row.response_body).get("links", {}).get("self")
    except (ValueError, AttributeError):
        location = None
    if row.status_code == 201 and location:
        response.headers["Location"] = location
    return response


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make a POST view safe to retry with an Idempotency-Key header."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        key = key.strip().strip('"')  # the draft sends it as a structured-field string
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ApiError(400, f"The {HEADER} header must be 1 to {MAX_KEY_LENGTH} printable "
                           "characters.", code="bad_idempotency_key")
        scope, fingerprint = _scope(), _fingerprint()
        # The claim commits on a connection of its own: end the session's transaction
        # first. It would hold an older snapshot, which SQLite could not write from, or
        # (a request that writes, database.WRITE_INTENT) SQLite's write lock, which the
        # claim would wait for in vain.
        db.session.rollback()
        existing = _claim(scope, key, fingerprint)
        if existing is not None:
            if existing.request_hash != fingerprint:
                raise ApiError(422, f"This {HEADER} was already used with a different request "
                               "body; use a new key for a new request.",
                               code="idempotency_key_reused")
            if existing.status_code == IN_PROGRESS:
                raise ApiError(409, f"A request with this {HEADER} is still being processed; "
                               "retry shortly.", code="idempotency_key_in_use",
                               headers={"Retry-After": "1"})
            return _replay(existing)
        try:
            response = make_response(view(*args, **kwargs))
        except ApiError as error:
            response = error.response()
        except BookingError as error:
            response = booking_problem(error).response()
        except BaseException:
            db.session.rollback()
            _record(scope, key, make_response("", 500))  # releases the key
            raise
        # The view has committed what it wrote; whatever it still has open is a read
        # (the request's end would roll it back anyway) that must not hold SQLite's lock.
        db.session.rollback()
        _record(scope, key, response)
        return response

    return wrapper
