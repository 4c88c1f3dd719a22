"""Small helpers shared by the owner views: htmx or full page, dates, errors, history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import clock
from ..booking import slots as slotlib
from ..booking.errors import BookingError, SlotTaken
from ..i18n import clock_time, day_short
from ..i18n import lazy_gettext as _l
from ..models import Restaurant
from .labels import source_label, status_label, translate_refusal

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


def refusal_text(error: BookingError) -> str:
    """The domain's refusal (English) in the owner's language: looked up by its exact
    English, as the guest pages do (webapp/public/messages.py); a message with a number
    or a name in it that no catalog holds stays English."""
    return translate_refusal(error.message)


def explain(error: BookingError, restaurant: Restaurant) -> str:
    """The error's message, plus for a taken slot what is still free."""
    parts = [refusal_text(error)]
    if isinstance(error, SlotTaken):
        if error.free_tables:
            parts.append(_("Free at that time: %(tables)s.", tables=", ".join(error.free_tables)))
        if error.alternatives:
            tz = zone(restaurant)
            parts.append(_("Nearest free times: %(times)s.", times=", ".join(
                clock_time(a.astimezone(tz)) for a in error.alternatives)))
        if not error.free_tables and not error.alternatives:
            parts.append(_("No suitable table is free around that time."))
    return " ".join(parts)


def apply_booking_error(form: FlaskForm, error: BookingError) -> None:
    """Show the service's refusal next to the field it concerns, when the form has it."""
    field_name = {"email": "email", "phone": "phone", "time": "time", "date": "date",
                  "party_size": "party_size", "table": "table", "status": "status",
                  "duration": "duration_minutes"}.get(
        error.field or "")
    field = getattr(form, field_name, None) if field_name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [refusal_text(error)]


HISTORY_LABELS = {
    "starts_at": _l("start"), "ends_at": _l("end"), "party_size": _l("party"),
    "table_id": _l("table"), "table": _l("table"), "tables": _l("tables"),
    "guest_name": _l("name"),
    "guest_email": _l("e-mail"), "guest_phone": _l("phone"), "notes": _l("notes"),
    "status": _l("status"), "source": _l("source"),
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
        if key == "tables" and isinstance(value, list):  # joined tables: "Roma + Monaco"
            return " + ".join(tables.get(t, f"#{t}") for t in value)
        if key in ("starts_at", "ends_at") and isinstance(value, str):
            try:
                local = dt.datetime.fromisoformat(value).astimezone(tz)
                return f"{day_short(local.date())} {clock_time(local)}"
            except ValueError:
                return value
        if key == "status":
            return status_label(str(value))
        if key == "source":
            return source_label(str(value))
        return str(value)

    lines: list[str] = []
    for key, value in changes.items():
        if key == "overrides" and isinstance(value, dict):  # the owner's "anyway", in words
            lines.extend(_("override: %(text)s", text=_(str(text))) for text in value.values())
            continue
        if key == "tables" and "table" in changes:
            continue  # made on joined tables: "table" already names them all
        label = str(HISTORY_LABELS.get(key, key))
        # A change is [before, after]; the tables a booking was made on are one list.
        is_change = isinstance(value, list) and len(value) == 2 and (
            key != "tables" or all(isinstance(v, list) for v in value))
        if is_change:
            lines.append(f"{label}: {show(key, value[0])} → {show(key, value[1])}")
        else:
            lines.append(f"{label}: {show(key, value)}")
    return lines
