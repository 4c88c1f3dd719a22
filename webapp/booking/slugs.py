"""Previous web addresses of restaurants.

Guests' confirmation e-mails carry links under the restaurant's slug (``/r/<slug>/b/…``);
when an owner changes the slug those links must keep working. Every change of
``Restaurant.slug``, from whatever code path goes through the ORM, is recorded in
``previous_slugs`` in the same flush, and the pages and the API redirect an old slug to
the current one. A current slug always wins over a previous one, and the settings form
refuses an address another restaurant used before (its guests' links still point there).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session, scoped_session

from ..models import PreviousSlug, Restaurant

# The request's scoped session or a plain one.
AnySession = Session | scoped_session[Any]


def restaurant_for_previous_slug(session: AnySession, slug: str) -> Restaurant | None:
    """The restaurant that was at ``slug`` before (None if no restaurant ever was)."""
    return session.scalar(select(Restaurant).join(
        PreviousSlug, PreviousSlug.restaurant_id == Restaurant.id).where(PreviousSlug.slug == slug))


def previous_owner_of(session: AnySession, slug: str) -> int | None:
    """Id of the restaurant that had ``slug`` before, if any."""
    return session.scalar(select(PreviousSlug.restaurant_id).where(PreviousSlug.slug == slug))


def _record_slug_changes(session: Session, _context: Any, _instances: Any) -> None:
    for restaurant in list(session.dirty):
        if not isinstance(restaurant, Restaurant):
            continue
        history: Any = inspect(restaurant).attrs.slug.history
        if not history.has_changes() or restaurant.id is None:
            continue
        # The old value is only known when it was loaded before the change; else the
        # row still holds it until this flush.
        table = Restaurant.__table__
        old = history.deleted[0] if history.deleted else session.connection().scalar(
            select(table.c.slug).where(table.c.id == restaurant.id))
        new = restaurant.slug
        if not old or old == new:
            continue
        # The new address is current now; the old one points here (also if it once
        # pointed elsewhere: it was this restaurant's current address until now).
        session.connection().execute(
            delete(PreviousSlug.__table__).where(PreviousSlug.__table__.c.slug.in_([old, new])))
        session.add(PreviousSlug(slug=old, restaurant_id=restaurant.id))


event.listen(Session, "before_flush", _record_slug_changes)
