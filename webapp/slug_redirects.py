"""Old addresses keep working: a request under a slug the restaurant had before is
redirected to the same URL under its current slug (301 for GET and HEAD, 308 for writes,
so a client repeats the method and body). Used by the guests' pages and the API where
they look a restaurant up by its slug; a current slug always wins (booking/slugs.py)."""

from __future__ import annotations

from flask import abort, redirect, request, url_for

from .booking.slugs import restaurant_for_previous_slug
from .extensions import db

SAFE_METHODS = ("GET", "HEAD")


def redirect_if_moved(slug: str) -> None:
    """Abort with a redirect when ``slug`` is a previous address of a restaurant."""
    if "\x00" in slug or request.endpoint is None:
        return
    restaurant = restaurant_for_previous_slug(db.session, slug)
    if restaurant is None:
        return
    location = url_for(request.endpoint, **{**(request.view_args or {}), "slug": restaurant.slug})
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    abort(redirect(location, 301 if request.method in SAFE_METHODS else 308))
