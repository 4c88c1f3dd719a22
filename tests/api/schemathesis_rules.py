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

import jsonschema

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


FORM = "application/x-www-form-urlencoded"


def _wire_text(value):
    """A scalar as a form post carries it (how Schemathesis serialises it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


def _takes_text(schema: dict) -> bool:
    alternatives = schema.get("anyOf", []) + schema.get("oneOf", [])
    return schema.get("type") == "string" or any(_takes_text(a) for a in alternatives)


def is_valid_on_the_wire(case) -> bool:
    """A negative form post that the wire turns back into a valid one.

    In a form body every value is text: Schemathesis' negative ``null`` (or ``false``,
    or ``0``) for a text field arrives as the string "null", which the schema allows.
    Schemathesis 4.32 still counts such a case as negative when the field's schema is an
    ``anyOf`` (its own fix, PR #3761, covers plain types), and its
    ``negative_data_rejection`` then fails a server that rightly took a valid request.
    The body is checked here as the server receives it: text fields as their text.
    """
    if case.media_type != FORM or not isinstance(case.body, dict):
        return False
    schema = case.operation.definition.raw["requestBody"]["content"][FORM]["schema"]
    properties = schema.get("properties", {})
    sent = {name: _wire_text(value) if _takes_text(properties.get(name, {})) else value
            for name, value in case.body.items()}
    return sent != case.body and jsonschema.Draft202012Validator(schema).is_valid(sent)
