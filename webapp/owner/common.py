"""Small helpers shared by the owner views: htmx or full page, dates, errors, history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, request
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import clock
from ..booking import slots as slotlib
from ..booking.errors import BookingError, SlotTaken
from ..models import Restaurant

PANEL = "panel"  # id of the side panel the day view opens reservations in


def wants_panel() -> bool:
    """An htmx request aimed at the day view's side panel (else: a full page)."""
    return bool(request.headers.get("HX-Request")) and request.headers.get("HX-Target") == PANEL


def actor() -> str:
    return f"owner:{current_user.email}"


def zone(restaurant: Restaurant):
    return slotlib.zone(restaurant.timezone)


def today(restaurant: Restaurant, now: dt.datetime | None = None) -> dt.date:
    return (now or clock.now()).astimezone(zone(restaurant)).date()


def parse_day(value: str | None) -> dt.date:
    """A YYYY-MM-DD from the URL; anything else (or a date where time zone arithmetic
    would overflow) is a page that does not exist."""
    from ..input_limits import EARLIEST_DATE, LATEST_DATE

    try:
        day = dt.date.fromisoformat(value or "")
    except ValueError:
        abort(404)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        abort(404)
    return day


def form_status(form: FlaskForm) -> int:
    return 400 if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors else 422


def poll_seconds() -> int:
    return int(current_app.config.get("OWNER_POLL_SECONDS", 5))


def explain(error: BookingError, restaurant: Restaurant) -> str:
    """The error's message, plus for a taken slot what is still free."""
    parts = [error.message]
    if isinstance(error, SlotTaken):
        if error.free_tables:
            parts.append("Free at that time: " + ", ".join(error.free_tables) + ".")
        if error.alternatives:
            tz = zone(restaurant)
            parts.append("Nearest free times: " + ", ".join(
                a.astimezone(tz).strftime("%H:%M") for a in error.alternatives) + ".")
        if not error.free_tables and not error.alternatives:
            parts.append("No suitable table is free around that time.")
    return " ".join(parts)


def apply_booking_error(form: FlaskForm, error: BookingError) -> None:
    """Show the service's refusal next to the field it concerns, when the form has it."""
    field_name = {"email": "email", "phone": "phone", "time": "time", "date": "date",
                  "party_size": "party_size", "table": "table", "status": "status",
                  "duration": "duration_minutes"}.get(
        error.field or "")
    field = getattr(form, field_name, None) if field_name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [error.message]


HISTORY_LABELS = {
    "starts_at": "start", "ends_at": "end", "party_size": "party", "table_id": "table",
    "table": "table", "guest_name": "name", "guest_email": "e-mail", "guest_phone": "phone",
    "notes": "notes", "status": "status", "source": "source",
}


def describe_changes(changes: dict[str, Any], tables: dict[int, str], restaurant: Restaurant
                     ) -> list[str]:
    """A history event's changes as readable lines: "table: T1 → T3"."""
    tz = zone(restaurant)

    def show(key: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if key == "table_id":
            return tables.get(value, f"#{value}")
        if key in ("starts_at", "ends_at") and isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value).astimezone(tz).strftime("%a %d %b %H:%M")
            except ValueError:
                return value
        return str(value).replace("_", " ") if key in ("status", "source") else str(value)

    lines: list[str] = []
    for key, value in changes.items():
        if key == "overrides" and isinstance(value, dict):  # the owner's "anyway", in words
            lines.extend(f"override: {text}" for text in value.values())
            continue
        label = HISTORY_LABELS.get(key, key)
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{label}: {show(key, value[0])} → {show(key, value[1])}")
        else:
            lines.append(f"{label}: {show(key, value)}")
    return lines
