"""Who may see which restaurant: membership decides, everything else is a 404.

An owner reaches a restaurant by its slug or its id. Any restaurant the user is
not a member of answers 404 (not 403), so ids and slugs of other restaurants
reveal nothing. Staff may run the day; only owners change the setup (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..models import DiningTable, Membership, Reservation, Restaurant, owned_by


@dataclass(frozen=True)
class Access:
    restaurant: Restaurant
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def ref(self) -> str:
        return self.restaurant.slug


def _find_restaurant(ref: str) -> Restaurant | None:
    # Slugs never consist of digits only (the settings form refuses them), so a number is an id.
    if ref.isdigit():
        return db.session.get(Restaurant, int(ref)) if len(ref) < 12 else None
    return db.session.scalar(select(Restaurant).where(Restaurant.slug == ref))


def resolve(ref: str) -> Access:
    restaurant = _find_restaurant(ref)
    if restaurant is None:
        abort(404)
    membership = db.session.get(Membership, (current_user.id, restaurant.id))
    if membership is None:
        abort(404)
    return Access(restaurant, membership.role)


def htmx_login_required(view):
    """login_required, except that an htmx request (the live grid's poll, a panel) whose
    session ended is told to load the login page instead of swapping it into the grid."""
    guarded = login_required(view)

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated and request.headers.get("HX-Request"):
            current = request.headers.get("HX-Current-URL")
            target = url_for("auth.login", next=urlsplit(current).path if current else None)
            return Response(status=204, headers={"HX-Redirect": target})
        return guarded(*args, **kwargs)

    return wrapper


def member_required(view):
    """The view gets ``access`` (restaurant + role) instead of the ``ref`` URL part."""

    @htmx_login_required
    @wraps(view)
    def wrapper(ref: str, **kwargs):
        g.access = resolve(ref)
        return view(g.access, **kwargs)

    return wrapper


def owner_required(view):
    """Setup pages: members only (404), and owners only (403) — staff run the day."""

    @login_required
    @wraps(view)
    def wrapper(ref: str, **kwargs):
        g.access = resolve(ref)
        if not g.access.is_owner:
            abort(403, _("Only the restaurant's owners may change its setup."))
        return view(g.access, **kwargs)

    return wrapper


def owned_or_404(access: Access, model: type, object_id: int) -> Any:
    """A row of the restaurant being viewed; 404 for unknown ids and other restaurants' alike."""
    row = owned_by(db.session, model, object_id, access.restaurant.id)
    if row is None:
        abort(404)
    return row


def reservation_or_404(access: Access, reservation_id: int) -> Reservation:
    return owned_or_404(access, Reservation, reservation_id)


def table_or_404(access: Access, table_id: int) -> DiningTable:
    return owned_or_404(access, DiningTable, table_id)
