"""What the OpenAPI document says about each view, declared next to the view.

``@documented(...)`` attaches an :class:`Operation`; the document builder
(``openapi.py``) walks the blueprint's URL rules, so a route without it or a
documented route that no longer exists cannot drift apart from the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Who may call: anyone; anyone, with more for the restaurant's owner token; the owner only;
# the guest holding the manage token (in the path).
AUTH_KINDS = ("public", "optional", "owner", "guest")
# What an API token must hold to call an endpoint that takes one (models.TOKEN_SCOPES;
# enforced by api/auth.py, listed in the document's security requirements).
SCOPES = ("read", "bookings", "setup")


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    auth: str = "public"
    # The token scope the call needs: declared by every endpoint that takes a token.
    scope: str | None = None
    # Form classes are given as zero-argument callables so the page packages load lazily.
    body: Callable[[], Any] | None = None
    body_defaults: bool = False  # a create: fields the page pre-fills may be left out
    partial: bool = False  # a PATCH: send only what changes
    optional: tuple[str, ...] = ()  # body fields the view takes from the resource when left out
    query: Callable[[], Any] | None = None
    responses: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    description: str = ""
    rate_limited: bool = False
    idempotent: bool = False
    # Extra schemas to offer as alternatives for the body (e.g. owner vs guest bookings).
    alternative_body: Callable[[], Any] | None = None
    # OpenAPI links from the success answer: {target operationId: {parameter: expression}}.
    links: dict[str, dict[str, str]] = field(default_factory=dict)


def documented(**kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    operation = Operation(**kwargs)
    assert operation.auth in AUTH_KINDS, operation.auth
    # An endpoint that takes an API token says which scope it needs; one that takes none
    # cannot need one.
    assert (operation.scope in SCOPES) == (operation.auth in ("owner", "optional")), (
        f"{operation.summary!r}: an endpoint that takes an API token declares the scope it "
        f"needs (scope= one of {SCOPES}); one that takes none declares no scope")

    def attach(view: Callable[..., Any]) -> Callable[..., Any]:
        view.openapi = operation  # type: ignore[attr-defined]
        return view

    return attach
