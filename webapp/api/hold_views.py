"""/api/v1 holds: a guest's or an integration's short claim on a table.

The rules are in booking/holds.py, shared with the guest page: a hold keeps the best
free table (or combination) for a party at a time for the restaurant's ``hold_minutes``;
a booking that names it (the booking body's ``hold``) gets its tables and ends it. One
hold per holder: the API token for owners, the client's address for anonymous callers
(a new hold releases the holder's earlier one).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_limiter.util import get_remote_address

from ..booking import holds
from ..booking.setup import restaurant_setup
from ..extensions import db, limiter
from ..public.forms import HOLD_TOKEN_MAX, HoldForm
from . import representations as rep
from .auth import has_valid_token, owner_of, restaurant_by_slug
from .blueprint import bp
from .bodies import bind
from .common import json_response, start_from_wall_time
from .errors import not_found
from .operations import documented
from .public_views import public_write_limit
from .schemas import COMPONENTS

# As on the guest page (public/views.py HOLD_RATE_LIMIT): picks per client, so nobody
# holds a whole evening by asking again and again.
HOLD_RATE_LIMIT = "30 per 10 minutes"

COMPONENTS["Hold"] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "The hold's secret token: name it as the "
               "booking body's `hold`, or DELETE it. Shown only in this answer."},
        "expires_at": {"type": "string", "format": "date-time",
                       "description": "UTC; after it the hold blocks nobody (a booking "
                                      "naming it still gets the table if nobody took it)."},
        "starts_at": {"type": "string", "format": "date-time", "description": "UTC."},
        "local_start": {"type": "string", "format": "date-time",
                        "description": "In the restaurant's time zone."},
        "party_size": {"type": "integer"},
        "tables": {"type": "array", "description": "With the restaurant's API token only.",
                   "items": {"type": "object", "properties": {
                       "id": {"type": "integer"}, "name": {"type": "string"}},
                       "required": ["id", "name"]}},
    },
    "required": ["id", "expires_at", "starts_at", "local_start", "party_size"],
}


def hold_limit() -> str:
    return str(current_app.config.get("PUBLIC_HOLD_RATE_LIMIT", HOLD_RATE_LIMIT))


@bp.post("/restaurants/<slug>/holds")
@limiter.limit(public_write_limit, exempt_when=has_valid_token)
@limiter.limit(hold_limit, exempt_when=has_valid_token)
@documented(summary="Hold a table for a party at a time", tag="Public", auth="optional",
            scope="bookings", body=lambda: HoldForm, rate_limited=True,
            description="Keeps the best free table (or tables joined) for the restaurant's "
                        "hold minutes while the guest types their details; others no "
                        "longer see it free. Book it by naming the answer's `id` as the "
                        "booking body's `hold`. One hold per holder (the API token, else "
                        "the client's address): a new hold releases the earlier one. The "
                        "online rules apply. 409 `holds_off` when the restaurant does not "
                        "hold tables, 409 `slot_taken` with `alternatives` when no table "
                        "is free.",
            responses={201: ("Hold", "The hold, with its id (shown only this once)."),
                       409: ("Problem", "Holds are off, or the time is taken.")})
def create_hold(slug: str):
    restaurant = restaurant_by_slug(slug)
    token = owner_of(restaurant)
    schedule = restaurant_setup(db.session, restaurant).schedule
    form = bind(HoldForm)
    wall = form.time.wall_time
    assert wall is not None  # bind() validated the form: the time is HH:MM
    starts_at = start_from_wall_time(schedule, form.date.data, wall, form.party_size.data,
                                     form.time.utc_offset)
    holder = f"api-token:{token.id}" if token is not None else \
        f"api-client:{get_remote_address()}"
    placed = holds.place(db.session, restaurant, starts_at=starts_at,
                         party_size=form.party_size.data, holder=holder)
    body: dict[str, Any] = {
        "id": placed.token, "expires_at": rep.utc_iso(placed.expires_at),
        "starts_at": rep.utc_iso(placed.starts_at),
        "local_start": rep.local_iso(placed.starts_at, schedule.zone),
        "party_size": placed.party_size}
    if token is not None:
        names = {t.id: t.name for t in restaurant_setup(db.session, restaurant).tables}
        body["tables"] = [{"id": tid, "name": names.get(tid, "")} for tid in placed.table_ids]
    # Its address is the one a DELETE lets it go at.
    return json_response(body, 201, url_for("api.delete_hold", slug=slug, hold=placed.token))


# The path names the hold by its token ("hold", not "hold_id": ids in paths are integers).
@bp.delete("/restaurants/<slug>/holds/<hold>")
@limiter.limit(public_write_limit, exempt_when=has_valid_token)
@documented(summary="Let a hold go", tag="Public", rate_limited=True,
            description="Frees the held tables at once (the guest changed their mind); the "
                        "hold's id is the key, no token needed.",
            responses={204: (None, "Released."), 404: ("Problem", "No such hold.")})
def delete_hold(slug: str, hold: str):
    restaurant = restaurant_by_slug(slug)
    if len(hold) > HOLD_TOKEN_MAX or not holds.release(db.session, restaurant, hold):
        raise not_found("There is no hold with this id (it may have been booked).")
    return "", 204
