"""Who is calling: nobody, an owner's API token (``Authorization: Bearer``), or a guest
holding a manage token (in the path).

A missing or bad bearer token is 401 with ``WWW-Authenticate: Bearer``. A good
token for another restaurant gets 404 on that restaurant's owner endpoints (its
objects do not exist for the caller) and 403 on public ones, where the
restaurant is no secret but the token grants nothing.

A token holds scopes (``read``, ``bookings``, ``setup``: models.TOKEN_SCOPES). Each
endpoint that takes a token declares the one it needs next to the view
(``@documented(scope=...)``, which the OpenAPI document lists too); the token is checked
against it wherever the request's token is matched to its restaurant
(:func:`owner_restaurant`, :func:`owner_of`), so no view can forget it: a token without
the scope gets 403 ``insufficient_scope`` (RFC 6750 §3.1).
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, request
from sqlalchemy import update

from .. import request_session
from ..booking.operations.accounts import NOT_PUBLISHED
from ..booking.operations.tokens import verify_token
from ..booking.setup import restaurant_by_slug as find_restaurant
from ..extensions import db
from ..models import ApiToken, Restaurant
from ..slug_redirects import redirect_if_moved
from .errors import ApiError, not_found, set_zone

REALM = 'Bearer realm="booking-manager"'
# Record use at most once a minute per token: a write per request would be wasteful.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_UNSET = object()
_CACHE_KEY = "booking_manager.api_token"


def _unauthorized(detail: str, error: str | None = None) -> ApiError:
    challenge = REALM + (f', error="{error}"' if error else "")
    return ApiError(401, detail, code="unauthorized", headers={"WWW-Authenticate": challenge})


def presented_token() -> str | None:
    """The bearer token sent with the request, if any (a malformed header is 401)."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise _unauthorized("Send the API token as `Authorization: Bearer <token>`.",
                            "invalid_request")
    return credentials.strip()


def _touch(token: ApiToken) -> None:
    """Record the use in a short transaction of its own, outside the request's session
    (the booking service wants that session clean)."""
    now = dt.datetime.now(dt.UTC)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token_id = token.id
        request_session.release_for_own_connection()
        with db.engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def current_token() -> ApiToken | None:
    """The caller's live API token, None when none was sent; 401 when it is bad or revoked."""
    # Cached per request in the WSGI environ (``g`` belongs to the app context, which tests
    # share between requests).
    cached = request.environ.get(_CACHE_KEY, _UNSET)
    if cached is not _UNSET:
        return cached
    clear = presented_token()
    token = None
    if clear is not None:
        token = verify_token(db.session, clear)
        if token is None:
            raise _unauthorized("The API token is not valid or was revoked.", "invalid_token")
        _touch(token)
    request.environ[_CACHE_KEY] = token
    return token


def has_valid_token() -> bool:
    """For rate-limit exemption: True only for a live token (never raises). A token
    without the endpoint's scope is refused (403) without counting against the limit."""
    try:
        return current_token() is not None
    except ApiError:
        return False


def restaurant_by_slug(slug: str, *, unpublished_ok: bool = False) -> Restaurant:
    """The restaurant at ``slug``; 404 when there is none, and on the public endpoints
    (``unpublished_ok`` false) when it is not published yet (accounts.publish)."""
    restaurant = None if "\x00" in slug else find_restaurant(db.session, slug)
    if restaurant is None:
        redirect_if_moved(slug)  # a slug the restaurant had before: 301/308 to the new one
        raise not_found("There is no restaurant with that slug.")
    if restaurant.published_at is None and not unpublished_ok:
        raise not_found(NOT_PUBLISHED)
    set_zone(restaurant.timezone)
    return restaurant


def required_scope() -> str:
    """The scope the endpoint serving this request declared. An endpoint that takes a
    token must declare one (operations.documented asserts it); should one still lack it,
    no token is enough (fail closed)."""
    view = current_app.view_functions.get(request.endpoint or "")
    operation = getattr(view, "openapi", None)
    scope = getattr(operation, "scope", None)
    return scope or "undeclared"


def insufficient_scope(scope: str) -> ApiError:
    return ApiError(403, f"This API token lacks the scope `{scope}` this call needs; make a "
                         f"token with it on the dashboard's API tokens page.",
                    code="insufficient_scope", scope=scope, headers={
                        "WWW-Authenticate": f'{REALM}, error="insufficient_scope", '
                                            f'scope="{scope}"'})


def _check_scope(token: ApiToken) -> None:
    scope = required_scope()
    if scope not in token.scope_set:
        raise insufficient_scope(scope)


def owner_restaurant(slug: str) -> tuple[Restaurant, ApiToken]:
    """The restaurant at ``slug`` when the caller's token is for it; 401 without a token,
    404 when the token belongs to another restaurant (or the slug is unknown)."""
    token = current_token()
    if token is None:
        raise _unauthorized("This endpoint needs an API token: `Authorization: Bearer <token>`.")
    restaurant = restaurant_by_slug(slug, unpublished_ok=True)  # its owner sets it up
    if token.restaurant_id != restaurant.id:
        raise not_found("There is no restaurant with that slug.")
    _check_scope(token)
    return restaurant, token


def owner_of(restaurant: Restaurant) -> ApiToken | None:
    """On public endpoints: the caller's token when it is this restaurant's, None for
    anonymous callers; 403 for another restaurant's token."""
    token = current_token()
    if token is not None and token.restaurant_id != restaurant.id:
        raise ApiError(403, "This API token belongs to another restaurant.", code="forbidden")
    if token is not None:
        _check_scope(token)
    return token


def actor(token: ApiToken) -> str:
    return f"api:{token.prefix}"
