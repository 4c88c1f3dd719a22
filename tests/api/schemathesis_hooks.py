"""Hooks for the command-line run (``schemathesis.toml`` names this module): the same
rules as the in-suite test (schemathesis_rules.py), registered with Schemathesis.

Only the command line imports this module: registering is global, and the in-suite test
passes its checks explicitly."""

from __future__ import annotations

import schemathesis

from tests.api.schemathesis_rules import (
    forms_accept_what_the_schema_allows,
    is_positive,
    with_fresh_idempotency_key,
)

schemathesis.check(forms_accept_what_the_schema_allows)


@schemathesis.hook
def before_call(ctx, case, kwargs) -> None:
    if is_positive(case):
        with_fresh_idempotency_key(case)
