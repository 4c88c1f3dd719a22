"""The rules Schemathesis holds the server to beyond its own checks, shared by the
in-suite test (test_schemathesis.py) and the command-line run (schemathesis_hooks.py,
which ``schemathesis.toml`` loads), so both hold the server to one rule:

* a schema-valid request may get 422 only for a rule no schema can state (booking
  rules, rules across fields: opening equal to closing, a duplicate table name, a day
  with neither hours nor Closed, a range over a year, an offset that does not exist);
  ``forms_accept_what_the_schema_allows`` refuses a 422 for any reason a schema *can*
  say (type, shape, length, blankness, date range, unknown fields) and the
  ``idempotency_key_reused`` 422;
* "use a new Idempotency-Key for a new body": a positive request gets a fresh key of its
  own (the rule itself is tested in test_idempotency.py); negative ones keep the invalid
  keys Schemathesis generated.
"""

from __future__ import annotations

import re
import uuid

from webapp.api.bodies import DATE_RANGE_MESSAGE, SCALAR_MESSAGE

# 422 messages that mean "the schema allowed what the form refuses" (the schema could say it).
SHAPE_MESSAGES = {"Unknown field.", SCALAR_MESSAGE, DATE_RANGE_MESSAGE,
                  "Must be a string, number, boolean, object or null."}
SHAPE_PATTERNS = re.compile(r"^(Field must be|Field cannot be longer|Not a valid|"
                            r"Give the .* as a whole number|Invalid choice|"
                            r"Must not contain NUL)")


def is_positive(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def forms_accept_what_the_schema_allows(ctx, response, case) -> None:
    """A schema-valid request is never refused for a reason the schema could have said."""
    if not is_positive(case):
        return
    if response.status_code == 400:
        raise AssertionError(f"schema-valid request answered 400: {response.text[:300]}")
    if response.status_code != 422:
        return
    body = response.json()
    assert body.get("code") != "idempotency_key_reused", body
    for field, messages in (body.get("errors") or {}).items():
        for message in messages:
            assert message not in SHAPE_MESSAGES and not SHAPE_PATTERNS.match(message), \
                f"schema-valid {field!r} refused: {message}"


def with_fresh_idempotency_key(case) -> None:
    """A positive request's Idempotency-Key, if it sends one, made its own."""
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            headers[name] = f"schemathesis-{uuid.uuid4()}"
