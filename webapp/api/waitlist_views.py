"""/api/v1 the owner's waitlist: a date's line, a guest added, moved, removed, seated.

The rules are in booking/operations/waitlist.py (over the engine, booking/waitlist.py),
shared with the dashboard; the bodies are the dashboard's own forms
(owner/waitlist_forms.py), so a refusal reads the same. Reading needs the token scope
``read``, every change ``bookings``; another restaurant's entry is 404."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for

from .. import clock, writes
from ..booking.operations import waitlist as ops
from ..extensions import db
from ..models import Restaurant, WaitlistEntry
from ..owner.waitlist_forms import MoveEntryForm, SeatEntryForm, WaitlistEntryForm
from . import representations as rep
from .auth import actor, owner_restaurant
from .blueprint import bp
from .bodies import bind, bind_query, form_defaults
from .common import json_response
from .errors import not_found
from .idempotency import idempotent
from .operations import documented
from .queries import DayQuery
from .schemas import _DATE, _HHMM, _INT, _LOCAL, _STR, _UTC, COMPONENTS, _list_of, _object, _ref

TAG = "Owner: reservations"
_STATUSES = ["waiting", "offered", "booked", "removed", "expired"]

COMPONENTS["WaitlistOffer"] = _object(
    {"starts_at": _UTC, "local_start": _LOCAL, "time": _HHMM, "expires_at": _UTC,
     "live": {"type": "boolean", "description": "Whether the offer still holds its table."}},
    description="The freed table held for the guest, who was e-mailed a one-click link.")
COMPONENTS["WaitlistEntry"] = _object({
    "id": _INT, "date": _DATE,
    "place": {"type": ["integer", "null"],
              "description": "1 for the first in line; null once out of line (booked, "
                             "removed, expired)."},
    "status": {"type": "string", "enum": _STATUSES,
               "description": "waiting, offered (a table held for the guest: `offer`), "
                              "booked (`reservation_id`), removed, or expired (the window "
                              "passed, or the offer ran out)."},
    "party_size": _INT,
    "window_from": _HHMM, "window_to": _HHMM,
    "window_start": _UTC, "window_end": _UTC,
    "name": _STR, "email": _STR, "phone": _STR, "language": _STR,
    "offer": {"oneOf": [{"type": "null"}, _ref("WaitlistOffer")]},
    "reservation_id": {"type": ["integer", "null"]},
    "created_at": _UTC,
}, description="A guest waiting for a table on a service date, with the window of start "
               "times they accept (local HH:MM and UTC instants).")
COMPONENTS["WaitlistEntryList"] = _list_of("waitlist", "WaitlistEntry")
COMPONENTS["WaitlistSeated"] = _object(
    {"waitlist_entry": _ref("WaitlistEntry"), "reservation": _ref("Reservation")},
    description="The guest's reservation, and their entry, now booked.")

_ENTRY_LINKS = {name: {"slug": "$request.path.slug", "entry_id": "$response.body#/id"}
                for name in ("waitlist_entry", "remove_waitlist_entry", "move_waitlist_entry",
                             "seat_waitlist_entry")}


def _hhmm(instant: dt.datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%H:%M")


def entry(row: WaitlistEntry, restaurant: Restaurant, place: int | None) -> dict[str, Any]:
    """An entry as the API shows it."""
    zone = ZoneInfo(restaurant.timezone)
    offer = None
    if row.status == "offered" and row.offer_starts_at and row.offer_expires_at:
        offer = {"starts_at": rep.utc_iso(row.offer_starts_at),
                 "local_start": rep.local_iso(row.offer_starts_at, zone),
                 "time": _hhmm(row.offer_starts_at, zone),
                 "expires_at": rep.utc_iso(row.offer_expires_at),
                 "live": row.offer_expires_at > clock.now()}
    return {"id": row.id, "date": row.service_date.isoformat(), "place": place,
            "status": row.status, "party_size": row.party_size,
            "window_from": _hhmm(row.window_start, zone), "window_to": _hhmm(row.window_end, zone),
            "window_start": rep.utc_iso(row.window_start),
            "window_end": rep.utc_iso(row.window_end),
            "name": row.guest_name, "email": row.guest_email, "phone": row.guest_phone,
            "language": row.language, "offer": offer, "reservation_id": row.reservation_id,
            "created_at": rep.utc_iso(row.created_at)}


def _placed(row: WaitlistEntry, restaurant: Restaurant) -> dict[str, Any]:
    """The entry with its place in its date's line now."""
    places = ops.places(ops.line_of(db.session, restaurant, row.service_date))
    return entry(row, restaurant, places.get(row.id))


def _entry(restaurant: Restaurant, entry_id: int) -> WaitlistEntry:
    try:
        return ops.get(db.session, restaurant, entry_id)
    except ops.EntryNotFound:
        raise not_found("This restaurant has no such waitlist entry.") from None


def _location(restaurant: Restaurant, row: WaitlistEntry) -> str:
    return url_for("api.waitlist_entry", slug=restaurant.slug, entry_id=row.id, _external=True)


@bp.get("/restaurants/<slug>/waitlist")
@documented(summary="The waitlist of a date", tag=TAG, auth="owner", scope="read",
            query=lambda: DayQuery,
            description="The entries of the service date: those in line first, in order "
                        "(`place` 1, 2, …), then the others (booked, removed, expired).",
            responses={200: ("WaitlistEntryList", "The date's waitlist.")})
def waitlist(slug: str):
    restaurant, _ = owner_restaurant(slug)
    day = bind_query(DayQuery).date.data
    rows = ops.line_of(db.session, restaurant, day)
    places = ops.places(rows)
    return json_response({"waitlist": [entry(row, restaurant, places.get(row.id))
                                       for row in rows]})


@bp.post("/restaurants/<slug>/waitlist")
@documented(summary="Put a guest on the waitlist", tag=TAG, auth="owner", scope="bookings",
            body=lambda: WaitlistEntryForm, body_defaults=True, idempotent=True,
            description="At the end of the date's line, for a window of start times "
                        "(`window_from`..`window_to`, local). The guests' own rules apply "
                        "(a date within the booking horizon, a party up to the largest "
                        "online party), and an e-mail address is needed: when a fitting "
                        "table frees up the guest is e-mailed an offer holding it for the "
                        "restaurant's `waitlist_offer_minutes`.",
            responses={201: ("WaitlistEntry", "The new entry (its address in `Location`).")},
            links=_ENTRY_LINKS)
@idempotent
def add_to_waitlist(slug: str):
    restaurant, _ = owner_restaurant(slug)
    kwargs: dict[str, Any] = {"restaurant_id": restaurant.id}
    form = bind(WaitlistEntryForm, current=form_defaults(WaitlistEntryForm, **kwargs), **kwargs)
    row = ops.add(db.session, restaurant, form.details())
    return json_response(_placed(row, restaurant), 201, location=_location(restaurant, row))


@bp.get("/restaurants/<slug>/waitlist/<int:entry_id>")
@documented(summary="One waitlist entry", tag=TAG, auth="owner", scope="read",
            responses={200: ("WaitlistEntry", "The entry.")})
def waitlist_entry(slug: str, entry_id: int):
    restaurant, _ = owner_restaurant(slug)
    return json_response(_placed(_entry(restaurant, entry_id), restaurant))


@bp.delete("/restaurants/<slug>/waitlist/<int:entry_id>")
@documented(summary="Remove a guest from the waitlist", tag=TAG, auth="owner",
            scope="bookings",
            description="The entry stays, `removed`. A live offer's held table is freed and "
                        "offered to the next fitting guest. An entry no longer in line is "
                        "409 `not_in_line`.",
            responses={204: (None, "Removed."),
                       409: ("Problem", "The guest is no longer in line.")})
def remove_waitlist_entry(slug: str, entry_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _entry(restaurant, entry_id)
    ops.remove(db.session, restaurant, writes.context(restaurant, actor(token)), row.id)
    return "", 204


@bp.post("/restaurants/<slug>/waitlist/<int:entry_id>/move")
@documented(summary="Move a guest up or down the waitlist", tag=TAG, auth="owner",
            scope="bookings", body=lambda: MoveEntryForm,
            description="`steps` places up (negative) or down (positive), as far as the line "
                        "goes: `{\"steps\": -1}` swaps the guest with the one before.",
            responses={200: ("WaitlistEntry", "The entry at its new place."),
                       409: ("Problem", "The guest is no longer in line.")})
def move_waitlist_entry(slug: str, entry_id: int):
    restaurant, _ = owner_restaurant(slug)
    row = _entry(restaurant, entry_id)
    form = bind(MoveEntryForm, restaurant_id=restaurant.id)
    moved = ops.move(db.session, restaurant, row.id, form.steps.data)
    return json_response(_placed(moved, restaurant))


@bp.post("/restaurants/<slug>/waitlist/<int:entry_id>/seat")
@documented(summary="Seat a guest from the waitlist", tag=TAG, auth="owner",
            scope="bookings", body=lambda: SeatEntryForm, body_defaults=True,
            idempotent=True,
            description="Books the guest through the owner's own booking: at `time` on the "
                        "entry's date (on `table`, or the best free one), or, without a "
                        "time, seated now as a walk-in (on the entry's date only). The entry "
                        "is marked booked in the same transaction; a refusal (the table "
                        "taken: 409 `slot_taken`, naming the booking in the way) books "
                        "nothing and leaves the guest in line. A live offer's held table is "
                        "the guest's own: it blocks nothing for them.",
            responses={201: ("WaitlistSeated", "The reservation (its address in "
                                               "`Location`) and the entry, booked."),
                       409: ("Problem", "The guest is no longer in line, or the table is "
                                        "taken.")})
@idempotent
def seat_waitlist_entry(slug: str, entry_id: int):
    restaurant, token = owner_restaurant(slug)
    row = _entry(restaurant, entry_id)
    kwargs: dict[str, Any] = {"restaurant_id": restaurant.id}
    form = bind(SeatEntryForm, current=form_defaults(SeatEntryForm, **kwargs), **kwargs)
    seated = ops.seat(db.session, restaurant, writes.context(restaurant, actor(token)), row.id,
                      form.details())
    reservation = seated.booked.reservation
    return json_response(
        {"waitlist_entry": entry(seated.entry, restaurant, None),
         "reservation": rep.reservation(reservation, restaurant, owner=True,
                                       table_name=seated.booked.table_name)}, 201,
        location=url_for("api.owner_reservation", slug=restaurant.slug,
                         reservation_id=reservation.id, _external=True))
