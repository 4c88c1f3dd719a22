"""Refuse input no database column can hold, before any view sees it.

PostgreSQL text cannot contain NUL characters: left alone, such a string makes
the INSERT fail deep inside a view with a 500. One check here answers every
form, query string and JSON body with a clear 400 instead.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def reject_nul_characters() -> None:
    values = [*request.args.values(), request.path]
    if request.mimetype in _FORM_TYPES:  # parsing any other body as a form costs for nothing
        values += request.form.values()
    if any(_has_nul(v) for v in values):
        abort(400, description="The request contains a NUL character, which is not allowed.")
    if request.is_json:
        body = request.get_json(silent=True)
        if _has_nul(body):
            abort(400, description="The request contains a NUL character, which is not allowed.")


def init_app(app: Flask) -> None:
    app.before_request(reject_nul_characters)
