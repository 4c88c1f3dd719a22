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
  release the key, so the client can fix the request and retry with it;
* a claim whose request died (worker SIGKILLed, or killed by gunicorn's timeout)
  is released once it is older than ``IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS`` (by
  default the lock timeout plus gunicorn's worker timeout plus 2 s: no live request
  can still be running then): the next retry takes it over, by a conditional UPDATE
  so two retries cannot both take it;
* the stored answer may hold a secret (a booking's manage token): it is kept
  encrypted with a key derived from ``SECRET_KEY`` (``sealed``), and keys are deleted
  once older than ``REPLAY_WINDOW`` (24 h), opportunistically by the claims
  themselves (at most once a minute per process).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, make_response, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy import exc as sa_exc

from .. import request_session
from ..booking.errors import BookingError
from ..extensions import db
from ..models import IdempotencyKey
from . import sealed
from .auth import current_token
from .errors import ApiError, booking_problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
IN_PROGRESS = 0  # status_code of a claimed key whose request has not finished
REPLAYED_HEADER = "Idempotent-Replayed"
# How long an answer is replayed; older keys are deleted (documented in docs/api.md).
REPLAY_WINDOW = dt.timedelta(hours=24)
PURGE_EVERY_SECONDS = 60.0
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_purge_after = 0.0  # time.monotonic() before which this process does not purge again


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
    if request.mimetype in _FORM_TYPES:
        # The form as parsed: once a form is parsed (input_guard reads it for every
        # request) its raw bytes are gone, and hashing those hashed an empty body, so
        # a key reused with another form replayed the first answer.
        digest.update(urlencode(list(request.form.items(multi=True))).encode())
        digest.update(b"\n" + urlencode([(name, upload.filename or "")
                                         for name, upload in request.files.items(multi=True)]
                                        ).encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def claim_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=float(current_app.config["IDEMPOTENCY_CLAIM_TIMEOUT_SECONDS"]))


def _purge_expired(now: dt.datetime) -> None:
    """Delete keys past their replay window, at most once a minute per process (the
    table has no index on created_at: a scan per claim would cost every POST)."""
    global _purge_after
    if time.monotonic() < _purge_after:
        return
    _purge_after = time.monotonic() + PURGE_EVERY_SECONDS
    with db.engine.begin() as conn:
        conn.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - REPLAY_WINDOW))


def _claim(scope: str, key: str, fingerprint: str) -> Any | None:
    """Insert the key as in progress; None when we own it, else the existing row.

    Every statement runs on a connection of its own, outside the request's session:
    the claim must commit at once, and the read must not see an older snapshot."""
    table = IdempotencyKey.__table__
    now = dt.datetime.now(dt.UTC)
    _purge_expired(now)
    try:
        with db.engine.begin() as conn:
            conn.execute(insert(table).values(
                scope=scope, key=key, request_hash=fingerprint, status_code=IN_PROGRESS,
                response_body="", created_at=now))
        return None
    except sa_exc.IntegrityError:
        pass  # someone has the key: read what they left
    with db.engine.connect() as conn:
        row = conn.execute(select(table.c.request_hash, table.c.status_code,
                                  table.c.response_body, table.c.created_at)
                           .where(table.c.scope == scope, table.c.key == key)).first()
    if row is None:  # released between our insert and our read: the caller may retry
        raise ApiError(409, "A request with this Idempotency-Key was just abandoned; retry.",
                       code="idempotency_key_in_use", headers={"Retry-After": "1"})
    if row.status_code == IN_PROGRESS and _utc(row.created_at) < now - claim_timeout():
        # Its request died without an answer (a killed worker): take the claim over,
        # only if nobody else did since we read it.
        with db.engine.begin() as conn:
            taken = conn.execute(update(table).where(
                table.c.scope == scope, table.c.key == key,
                table.c.status_code == IN_PROGRESS, table.c.created_at == row.created_at,
            ).values(request_hash=fingerprint, created_at=now)).rowcount
        if taken == 1:
            current_app.logger.warning("idempotency key claimed %s ago never finished; "
                                       "taken over by a retry", now - _utc(row.created_at))
            return None
        raise ApiError(409, f"A request with this {HEADER} is still being processed; "
                       "retry shortly.", code="idempotency_key_in_use",
                       headers={"Retry-After": "1"})
    return row


def _record(scope: str, key: str, response: Response) -> None:
    with db.engine.begin() as conn:
        where = (IdempotencyKey.scope == scope) & (IdempotencyKey.key == key)
        if _kept(response.status_code):
            body = sealed.seal(_sealing_key(), response.get_data(as_text=True),
                               context=f"{scope}\n{key}")
            conn.execute(update(IdempotencyKey).where(where).values(
                status_code=response.status_code, response_body=body))
        else:
            conn.execute(delete(IdempotencyKey).where(where))


def _sealing_key() -> bytes:
    return sealed.derive_key(current_app.config["SECRET_KEY"], "idempotency-response")


def _replay(row: Any, scope: str, key: str) -> Response:
    try:
        body = sealed.unseal(_sealing_key(), row.response_body, context=f"{scope}\n{key}")
    except sealed.Unreadable:
        # Sealed under another SECRET_KEY: the answer is lost, and doing the work again
        # could book twice. The client must use a new key (after checking what exists).
        raise ApiError(409, f"The first answer to this {HEADER} can no longer be read; "
                       "check the result and use a new key.",
                       code="idempotency_key_unreadable") from None
    response = make_response(body, row.status_code)
    response.mimetype = "application/problem+json" if row.status_code >= 400 else "application/json"
    response.headers[REPLAYED_HEADER] = "true"
    if row.status_code == 201:
        location = _created_location(body)
        if location:
            response.headers["Location"] = location
    return response


def _created_location(body: str) -> str | None:
    """The first answer's Location again: the body's ``links.self`` (reservations), else
    the created object's id under the collection it was posted to (tables, hours, ...)."""
    try:
        created = json.loads(body)
        location = created.get("links", {}).get("self")
        if location is None and isinstance(created.get("id"), int):
            location = f"{request.base_url.rstrip('/')}/{created['id']}"
        return location if isinstance(location, str) else None
    except (ValueError, AttributeError):
        return None


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
        # The claim commits on a connection of its own.
        request_session.release_for_own_connection()
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
            return _replay(existing, scope, key)
        try:
            response = make_response(view(*args, **kwargs))
        except ApiError as error:
            response = error.response()
        except BookingError as error:
            response = booking_problem(error).response()
        except BaseException:
            request_session.release_for_own_connection()
            _record(scope, key, make_response("", 500))  # releases the key
            raise
        # The view has committed what it wrote; whatever it still has open is a read
        # (the request's end would roll it back anyway), and the record is written on a
        # connection of its own.
        request_session.release_for_own_connection()
        _record(scope, key, response)
        return response

    return wrapper
