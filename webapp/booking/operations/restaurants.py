"""Creating a restaurant: one rule for its address and time zone, one way to make it.

Used by ``flask create-restaurant``, the sign-up page and "another restaurant" on the
dashboard. A restaurant made at sign-up starts unpublished and with onboarding to do
(``published=False, onboarded=False``); the command line makes one that is both.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session, scoped_session

from ...models import Membership, Restaurant, User, utcnow
from ..phones import country_for_zone
from ..slugs import previous_owner_of
from .committing import committed
from .setup import SLUG_TAKEN, SetupRefused

AnySession = Session | scoped_session[Any]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_RULE = "Use lower-case letters, digits and single dashes, e.g. chez-marie."
SLUG_USED_BEFORE = "Another restaurant used this address before."
# Addresses the site itself uses or that would confuse guests.
RESERVED_SLUGS = frozenset({"admin", "api", "login", "logout", "signup", "static", "new",
                            "owner", "dashboard", "account", "dev", "r", "www"})


@lru_cache(maxsize=1)
def timezone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def slug_shape_problem(slug: str) -> str | None:
    """Why ``slug`` cannot be a web address at all (None when it can)."""
    if not 2 <= len(slug) <= 64:
        return "The address needs 2 to 64 characters."
    if not re.fullmatch(SLUG_PATTERN, slug):
        return SLUG_RULE
    if slug.isdigit():
        return "The address needs at least one letter."
    if slug in RESERVED_SLUGS:
        return "This address is reserved; choose another."
    return None


def slug_problem(session: AnySession, slug: str, restaurant_id: int | None = None) -> str | None:
    """Why ``slug`` cannot be this restaurant's address (None when it can): its shape,
    another restaurant's current address, or one another restaurant had before (its
    guests' e-mailed links still lead there)."""
    problem = slug_shape_problem(slug)
    if problem:
        return problem
    query = select(Restaurant.id).where(Restaurant.slug == slug)
    if restaurant_id is not None:
        query = query.where(Restaurant.id != restaurant_id)
    if session.execute(query.limit(1)).first() is not None:
        return SLUG_TAKEN
    before = previous_owner_of(session, slug)
    if before is not None and before != restaurant_id:
        return SLUG_USED_BEFORE
    return None


def timezone_problem(zone: str) -> str | None:
    if zone not in timezone_names():
        return f"Unknown time zone {zone!r}: give an IANA name such as Europe/Berlin."
    return None


def slug_from_name(session: AnySession, name: str) -> str:
    """A free address made from the restaurant's name ("Chez Marie" → chez-marie, then
    chez-marie-2 …)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:56] or "restaurant"
    if base.isdigit() or len(base) < 2 or base in RESERVED_SLUGS:
        base = f"restaurant-{base}".strip("-")[:56]
    candidate, number = base, 1
    while slug_problem(session, candidate) is not None:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def create_restaurant(session: AnySession, *, slug: str, name: str, timezone: str,
                      owner: User | None = None, published: bool = True,
                      onboarded: bool = True) -> Restaurant:
    """A new restaurant (with ``owner`` as its owner), flushed, not committed. Raises
    SetupRefused (field ``slug``, ``timezone`` or ``name``) for a bad or taken address, an
    unknown zone or an empty name; a clash with a concurrent sign-up is refused the same
    way by the unique constraint."""
    name = name.strip()
    if not name or len(name) > 120:
        raise SetupRefused("Give the restaurant's name (at most 120 characters).", field="name")
    problem = slug_problem(session, slug)
    if problem:
        raise SetupRefused(problem, field="slug")
    problem = timezone_problem(timezone)
    if problem:
        raise SetupRefused(problem, field="timezone")
    now = utcnow()
    restaurant = Restaurant(name=name, slug=slug, timezone=timezone,
                            country=country_for_zone(timezone),
                            published_at=now if published else None,
                            onboarded_at=now if onboarded else None)
    try:
        with session.begin_nested():
            session.add(restaurant)
            session.flush()
    except sa_exc.IntegrityError:
        raise SetupRefused(SLUG_TAKEN, field="slug") from None
    if not published or not onboarded:
        # The ORM leaves a None out of the INSERT, so the columns' default (now) filled
        # them in: "not yet" must be written afterwards.
        restaurant.published_at = restaurant.published_at if published else None
        restaurant.onboarded_at = restaurant.onboarded_at if onboarded else None
        session.flush()
    if owner is not None:
        session.add(Membership(user_id=owner.id, restaurant_id=restaurant.id, role="owner"))
        session.flush()
    return restaurant


def create_named_restaurant(session: AnySession, *, name: str, timezone: str, owner: User,
                            attempts: int = 3) -> Restaurant:
    """A new unpublished restaurant, onboarding to do, at an address made from its name,
    flushed, not committed (sign-up commits it with the account). Another sign-up may take
    the same free address in between: then the next free one is tried. Raises
    SetupRefused for a bad name or zone, or when no free address was found."""
    for _attempt in range(attempts):
        try:
            return create_restaurant(session, slug=slug_from_name(session, name), name=name,
                                     timezone=timezone, owner=owner, published=False,
                                     onboarded=False)
        except SetupRefused as refusal:
            if refusal.field != "slug":
                raise
    raise SetupRefused("Could not find a free address for this name; try again.", field="name")


def add_restaurant(session: AnySession, *, name: str, owner: User) -> Restaurant:
    """Another restaurant for an account (the dashboard's "Add a restaurant"), committed.
    Its time zone starts as the account's first restaurant's (onboarding's first step
    offers the browser's and any other)."""
    others = sorted(owner.memberships, key=lambda m: m.restaurant_id)
    zone = others[0].restaurant.timezone if others else "Europe/Berlin"
    with committed(session):
        return create_named_restaurant(session, name=name, timezone=zone, owner=owner)
