"""Refuse input no view should ever see, before any view sees it.

* Size: a body larger than ``MAX_CONTENT_LENGTH`` (settings; the largest real form
  is a few KB) is answered 413 from its ``Content-Length`` alone, unread; a body
  without one (chunked) is cut off by Werkzeug at the same size, also with 413.
* No body where none belongs: GET, HEAD and OPTIONS routes take no body, so theirs
  is never parsed (a 45 MB JSON body on ``GET /healthz`` used to be decoded).
* Depth: JSON nested deeper than ``MAX_JSON_DEPTH`` is refused with 400 (no form or
  API body here is more than two levels deep); deeper than the interpreter's
  recursion limit it used to end in a RecursionError, a 500 and a page of traceback.
* NUL: PostgreSQL text cannot contain NUL characters: left alone, such a string
  makes the INSERT fail deep inside a view with a 500. One check here answers
  every form, query string and JSON body with a clear 400 instead.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Flask, abort, request

log = logging.getLogger("webapp.input")

MAX_JSON_DEPTH = 32
_NUL_MESSAGE = "The request contains a NUL character, which is not allowed."
_DEPTH_MESSAGE = f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
_BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class TooDeep(ValueError):
    """A JSON value nested deeper than MAX_JSON_DEPTH."""


def _has_nul(value: Any) -> bool:
    """Whether any string (key or value) in a decoded JSON value holds a NUL.

    Iterative, so no nesting can exhaust the stack; raises TooDeep past
    MAX_JSON_DEPTH levels."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise TooDeep
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return False


def _refuse(status: int, message: str) -> NoReturn:
    # One line, no traceback: hostile input is an everyday event, not a bug.
    log.warning("request refused (%s): %s %s: %s", status, request.method, request.path, message)
    abort(status, description=message)


def guard_input() -> None:
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        _refuse(413, f"The request body is larger than {limit} bytes.")
    values = [*request.args.values(), request.path]
    if request.method in _BODYLESS_METHODS:
        if any("\x00" in v for v in values):
            _refuse(400, _NUL_MESSAGE)
        return
    if request.mimetype in _FORM_TYPES:  # parsing any other body as a form costs for nothing
        values += request.form.values()
    if any(_has_nul(v) for v in values):
        _refuse(400, _NUL_MESSAGE)
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # deeper than the decoder itself can go
            _refuse(400, _DEPTH_MESSAGE)
        try:
            nul = _has_nul(body)
        except TooDeep:
            _refuse(400, _DEPTH_MESSAGE)
        if nul:
            _refuse(400, _NUL_MESSAGE)


def init_app(app: Flask) -> None:
    app.before_request(guard_input)
