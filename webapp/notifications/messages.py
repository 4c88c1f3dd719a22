"""What the guest e-mails say: subject, plain-text body and an .ics calendar entry.

Pure functions of a reservation and its restaurant, so they can be written to the
outbox inside the booking transaction without any network or request state.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from icalendar.parser import foldline

from ..models import Reservation, Restaurant

KINDS = ("confirmation", "change", "cancellation")

# Service action (``after_write``'s third argument) -> e-mail kind.
ACTION_KINDS = {"created": "confirmation", "changed": "change", "cancelled": "cancellation"}


@dataclass(frozen=True)
class Composed:
    kind: str
    to_address: str
    subject: str
    body_text: str
    ics: str


def local_description(moment: dt.datetime, zone: str) -> str:
    """'Tuesday 1 December 2026 at 19:30 (CET)' in the restaurant's zone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({local.tzname()})"


def _guests(party_size: int) -> str:
    return "1 guest" if party_size == 1 else f"{party_size} guests"


def compose(restaurant: Restaurant, reservation: Reservation, kind: str,
            manage_url: str | None, host: str = "booking-manager") -> Composed:
    if kind not in KINDS:
        raise ValueError(f"unknown e-mail kind {kind!r}")
    when = local_description(reservation.starts_at, restaurant.timezone)
    subjects = {
        "confirmation": f"Your table at {restaurant.name}: {when}",
        "change": f"Your booking at {restaurant.name} was changed: {when}",
        "cancellation": f"Your booking at {restaurant.name} is cancelled",
    }
    openings = {
        "confirmation": "thank you for your booking. We look forward to seeing you.",
        "change": "your booking has been changed. Here are the new details.",
        "cancellation": "your booking has been cancelled. We hope to see you another time.",
    }
    lines = [
        f"Hello {reservation.guest_name},",
        "",
        openings[kind],
        "",
        f"Restaurant: {restaurant.name}",
        f"When:       {when}",
        f"Party:      {_guests(reservation.party_size)}",
    ]
    if restaurant.address:
        lines.append(f"Address:    {restaurant.address}")
    if reservation.notes and kind != "cancellation":
        lines.append(f"Your notes: {reservation.notes}")
    lines.append("")
    if manage_url and kind != "cancellation":
        lines += ["To see, change or cancel your booking, use your private link",
                  "(keep it to yourself, it needs no password):", manage_url, ""]
    elif manage_url:
        lines += ["Your booking page:", manage_url, ""]
    contact = " or ".join(x for x in (restaurant.phone, restaurant.email) if x)
    if contact:
        lines += [f"Questions? Reach us at {contact}.", ""]
    lines += [f"{restaurant.name}"]
    return Composed(kind=kind, to_address=reservation.guest_email, subject=subjects[kind],
                    body_text="\n".join(lines) + "\n",
                    ics=calendar_entry(restaurant, reservation, kind, manage_url, host))


def calendar_entry(restaurant: Restaurant, reservation: Reservation, kind: str,
                   manage_url: str | None, host: str) -> str:
    """An iCalendar (RFC 5545) entry; one UID per reservation so calendar apps update
    the same event on a change and remove it on a cancellation."""
    cancelled = kind == "cancellation"
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Booking Manager//booking-manager//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"reservation-{reservation.id}@{host}")
    event.add("sequence", reservation.version)
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", reservation.starts_at.astimezone(dt.UTC))
    event.add("dtend", reservation.ends_at.astimezone(dt.UTC))
    event.add("summary", f"Table for {reservation.party_size} at {restaurant.name}")
    if restaurant.address:
        event.add("location", restaurant.address)
    if manage_url:
        event.add("description", f"Change or cancel: {manage_url}")
        event.add("url", manage_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode()


# RFC 5545 §3.1: a content line longer than 75 octets goes on over lines that start with
# a space or a tab; the line break and that one character are not part of the value.
_FOLD = re.compile(r"\r?\n[ \t]")
_LINE_END = re.compile(r"(\r?\n)")


def redact_calendar(ics: str, redact: Callable[[str], str]) -> str:
    """``ics`` with ``redact`` applied to each whole (unfolded) content line, folded
    again. A long DESCRIPTION or URL is folded in the middle of its link, so a
    redaction of the folded text would match only the first part of the token (or,
    when the fold falls inside "/b/", none of it)."""
    parts = _LINE_END.split(_FOLD.sub("", ics))
    for index in range(0, len(parts), 2):  # the even ones are lines, the odd ones their ends
        parts[index] = foldline(redact(parts[index]))
    return "".join(parts)
