"""Errors as application/problem+json (RFC 9457), with per-field messages.

Views raise :class:`ApiError` (or let a booking ``BookingError`` through); the
handlers here turn both into one shape::

    {"type": "about:blank", "title": "Invalid input", "status": 422,
     "detail": "...", "code": "invalid_input", "errors": {"party_size": ["..."]}}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from flask import request

from .. import request_session
from ..booking.errors import (
    BookingError,
    LockTimeout,
    NotOnServiceDay,
    PaceExceeded,
    SlotTaken,
    StayPastClosing,
)
from ..errors import problem
from .blueprint import bp

RETRY_AFTER_SECONDS = "2"


class ApiError(Exception):
    """An answer other than success, raised from anywhere inside an API view."""

    def __init__(self, status: int, detail: str, *, code: str | None = None,
                 errors: Mapping[str, list[str]] | None = None,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self):
        body: dict[str, Any] = dict(self.extra)
        if self.code:
            body["code"] = self.code
        if self.errors:
            body["errors"] = self.errors
        response = problem(self.status, self.detail, **body)
        response.headers.update(self.headers)
        return response


def invalid(errors: Mapping[str, list[str]], detail: str = "Some fields need correcting.") -> ApiError:
    return ApiError(422, detail, code="invalid_input", errors=errors)


def not_found(detail: str) -> ApiError:
    return ApiError(404, detail, code="not_found")


_ZONE_KEY = "booking_manager.api_zone"


def set_zone(name: str) -> None:
    """Remember the restaurant's time zone for this request (for alternatives in errors)."""
    request.environ[_ZONE_KEY] = ZoneInfo(name)


def _local_iso(instant: dt.datetime) -> str:
    zone = request.environ.get(_ZONE_KEY)
    return (instant.astimezone(zone) if zone else instant).isoformat()


def booking_problem(error: BookingError) -> ApiError:
    """A domain refusal as an API error: its status, code, and the field to correct."""
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(error, SlotTaken):
        # Local times in the restaurant's zone: what a person would pick next.
        extra["alternatives"] = [_local_iso(t) for t in error.alternatives]
        extra["free_tables"] = list(error.free_tables)
    if isinstance(error, LockTimeout):
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    if isinstance(error, StayPastClosing):
        # The owner's two ways out: shorten_to_closing (this long) or allow_past_closing.
        extra["closes_at"] = _local_iso(error.closes_at)
        extra["minutes_to_closing"] = error.minutes_to_closing
    if isinstance(error, NotOnServiceDay | PaceExceeded):
        # Send it again with allow_off_day: true / allow_over_pace: true.
        extra["may_override"] = error.may_override
    errors = {error.field: [error.message]} if error.field else None
    return ApiError(error.http_status, error.message, code=error.code, errors=errors,
                    headers=headers, **extra)


@bp.before_request
def _fresh_transaction() -> None:
    """Start each request on a fresh transaction. A session left open by whatever ran
    before in this app context (the test client shares one) would read an old SQLite
    snapshot and could not write."""
    request_session.start_fresh()


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error.response()


@bp.errorhandler(BookingError)
def _booking_error(error: BookingError):
    return booking_problem(error).response()
