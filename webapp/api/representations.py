"""How resources look in JSON. Instants are given twice: in UTC (``starts_at``) and
as the restaurant's local wall time with its offset (``local_start``), with the
service date and HH:MM time a person would read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from ..booking import held_tables
from ..booking import slots as slotlib
from ..booking.held_tables import HeldTable
from ..booking.setup import cached_setup, restaurant_setup
from ..booking.slots import Schedule
from ..extensions import db
from ..models import (
    DiningTable,
    OpeningHours,
    Reservation,
    Restaurant,
    SpecialDay,
)

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def utc_iso(instant: dt.datetime | None) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def local_iso(instant: dt.datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).isoformat()


def hhmm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def public_base() -> str:
    """PUBLIC_BASE_URL (settings.py always sets one): never the request's Host header."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def manage_page_url(slug: str, token: str) -> str:
    return f"{public_base()}/r/{slug}/b/{token}"


def opening_hours(row: OpeningHours) -> dict[str, Any]:
    return {"id": row.id, "weekday": row.weekday, "day": WEEKDAYS[row.weekday],
            "name": row.name, "opens": hhmm(row.opens), "closes": hhmm(row.closes),
            "last_seating": hhmm(row.last_seating), "pace_covers": row.pace_covers,
            "max_covers": row.max_covers}


# The owner's pacing of a service: in the owner API only, not in the public restaurant.
_PACING = ("pace_covers", "max_covers")


def _public(service: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in service.items() if key not in _PACING}


def special_day(row: SpecialDay) -> dict[str, Any]:
    return {"id": row.id, "start_date": row.start_date.isoformat(),
            "end_date": row.end_date.isoformat(), "closed": row.closed, "reason": row.reason,
            "services": [{"name": s.name, "opens": hhmm(s.opens), "closes": hhmm(s.closes),
                          "last_seating": hhmm(s.last_seating), "pace_covers": s.pace_covers,
                          "max_covers": s.max_covers} for s in row.services]}


def restaurant_public(restaurant: Restaurant, hours: list[OpeningHours],
                      closures: list[SpecialDay]) -> dict[str, Any]:
    return {
        "slug": restaurant.slug, "name": restaurant.name, "timezone": restaurant.timezone,
        "description": restaurant.description,
        "contact": {"phone": restaurant.phone, "email": restaurant.email,
                    "address": restaurant.address},
        "booking": {"slot_interval_minutes": restaurant.slot_interval_minutes,
                    "lead_time_minutes": restaurant.lead_time_minutes,
                    "horizon_days": restaurant.horizon_days,
                    "max_online_party": restaurant.max_online_party},
        "opening_hours": [_public(opening_hours(h)) for h in hours],
        "special_days": [{**day, "services": [_public(s) for s in day["services"]]}
                         for day in map(special_day, closures)],
        "links": {"self": url_for("api.restaurant", slug=restaurant.slug, _external=True),
                  "page": f"{public_base()}/r/{restaurant.slug}"},
    }


def restaurant_settings(restaurant: Restaurant) -> dict[str, Any]:
    return {
        "id": restaurant.id, "name": restaurant.name, "slug": restaurant.slug,
        "timezone": restaurant.timezone,
        "slot_interval_minutes": restaurant.slot_interval_minutes,
        "default_turn_minutes": restaurant.default_turn_minutes,
        "turn_times": {str(k): int(val) for k, val in (restaurant.turn_times or {}).items()},
        "lead_time_minutes": restaurant.lead_time_minutes,
        "horizon_days": restaurant.horizon_days,
        "max_online_party": restaurant.max_online_party,
        "reminder_hours": restaurant.reminder_hours, "country": restaurant.country,
        "cancel_cutoff_hours": restaurant.cancel_cutoff_hours,
        "hold_minutes": restaurant.hold_minutes,
        "waitlist_offer_minutes": restaurant.waitlist_offer_minutes,
        "phone": restaurant.phone, "email": restaurant.email, "address": restaurant.address,
        "description": restaurant.description,
        # One origin per line, as the settings page shows it (a PATCH takes it back as is).
        "embed_origins": restaurant.embed_origins,
        "calendar_feed_contact": restaurant.calendar_feed_contact,
        "default_language": restaurant.default_language,
    }


def table(row: DiningTable) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "seats": row.seats, "min_party": row.min_party,
            "max_party": row.max_party, "area": row.area, "position": row.position,
            "active": row.active}


def _known_single(restaurant: Restaurant, row: Reservation, table_name: str) -> bool:
    """Whether a booking just made under ``table_name`` holds its one table: the name is
    its table's and no combination's, so no query for parts. The set-up is the copy the
    write just used (no query for its stamp either); without one, the parts are read."""
    setup = cached_setup(restaurant)
    if setup is None:
        return False
    first = next((t.name for t in setup.tables if t.id == row.table_id), None)
    return first == table_name and all(c.name != table_name for c in setup.combinations)


def _held(row: Reservation, restaurant: Restaurant,
          table_name: str | None) -> list[HeldTable]:
    if table_name and _known_single(restaurant, row, table_name):
        return [HeldTable(row.table_id, table_name)]
    return held_tables.tables_of(db.session, row)


def reservations(rows: Iterable[Reservation], restaurant: Restaurant, *, owner: bool,
                 schedule: Schedule | None = None) -> list[dict[str, Any]]:
    """Reservations as a list shows them: the part rows of all of them in one query."""
    rows = list(rows)
    parts = held_tables.parts_of(db.session, (r.id for r in rows))
    return [reservation(r, restaurant, owner=owner, schedule=schedule,
                        tables=held_tables.held(r, None, parts.get(r.id, ())))
            for r in rows]


def reservation(row: Reservation, restaurant: Restaurant, *, owner: bool,
                manage_token: str | None = None, table_name: str | None = None,
                schedule: Schedule | None = None,
                tables: Sequence[HeldTable] | None = None) -> dict[str, Any]:
    """A reservation as its guest (``owner=False``) or the restaurant sees it.
    ``table_name``: when the caller knows it (a booking just made), saves loading the table.
    ``tables``: every table it holds when the caller read them (a list: ``reservations``);
    else they are read here. ``table`` is the first of ``tables`` (on joined tables, the
    one its row is on).

    ``date`` and ``service_date`` are the service date (a stay at 00:30 in a service that
    opened the evening before belongs to that evening) and ``time`` the wall time, with
    its UTC offset when that wall time happens twice: sent back (a guest's PATCH, an
    owner's move) they mean this very start."""
    zone = ZoneInfo(restaurant.timezone)
    if schedule is None:
        schedule = restaurant_setup(db.session, restaurant).schedule
    day = slotlib.service_date_of(schedule, row.starts_at).isoformat()
    body: dict[str, Any] = {
        "id": row.id, "restaurant": restaurant.slug, "status": row.status,
        "party_size": row.party_size, "date": day, "service_date": day,
        "time": slotlib.wall_time_text(row.starts_at, zone),
        "starts_at": utc_iso(row.starts_at), "ends_at": utc_iso(row.ends_at),
        "local_start": local_iso(row.starts_at, zone), "local_end": local_iso(row.ends_at, zone),
        "name": row.guest_name, "email": row.guest_email, "phone": row.guest_phone,
        "notes": row.notes, "version": row.version, "language": row.language,
        "confirmed_at": utc_iso(row.confirmed_at) if row.confirmed_at else None,
    }
    if tables is None:
        tables = _held(row, restaurant, table_name) if row.table_id is not None else []
    shown = [{"id": t.id, "name": t.name} for t in tables]
    body["table"] = shown[0] if shown else None
    body["tables"] = shown
    links: dict[str, str] = {}
    if owner:
        body.update(source=row.source, created_at=utc_iso(row.created_at),
                    updated_at=utc_iso(row.updated_at))
        links["self"] = url_for("api.owner_reservation", slug=restaurant.slug,
                                reservation_id=row.id, _external=True)
    if manage_token:
        body["manage_token"] = manage_token
        links["manage"] = url_for("api.guest_reservation", token=manage_token, _external=True)
        links["manage_page"] = manage_page_url(restaurant.slug, manage_token)
        links.setdefault("self", links["manage"])
    body["links"] = links
    return body


def webhook_endpoint(row: Any, *, secret: bool = False) -> dict[str, Any]:
    body = {"id": row.id, "url": row.url, "description": row.description, "active": row.active,
            "events": row.events.split(), "created_at": utc_iso(row.created_at)}
    if secret:
        body["secret"] = row.secret
    return body
