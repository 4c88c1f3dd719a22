"""The owner's waitlist use cases, shared by the dashboard (``webapp/owner/waitlist.py``)
and the API (``webapp/api/waitlist_views.py``): a date's line, a guest added (who
phoned), reordered, removed, or seated from the list.

The line itself is the engine's (``booking/waitlist.py``: join, move, leave, the
offers); what lives here is what both doors must do alike:

* **seat from the list** books the entry's guest through the owner's own booking
  (``operations.reservations.book``: a phone booking at a chosen time and table, or
  seated now as a walk-in) and marks the entry booked with that reservation *inside the
  booking's transaction*: a guest who left the line meanwhile books nothing, and a
  refused booking leaves the entry in line. A live offer's hold is the guest's own: it
  blocks nothing for them and is converted (deleted) by the booking;
* **removing** an entry whose offer is live drops its hold, and the table freed is
  offered to the next fitting guest at once (not only at the worker's next pass);
* **the refusals**, one text whichever door asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ...models import Reservation, Restaurant, WaitlistEntry, owned_by
from .. import service, waitlist
from ..errors import BookingError
from ..service import GuestDetails
from . import reservations
from .context import AnySession, WriteContext, real_session

# The refusals (fixed English: the dashboard translates them by it, owner/waitlist.py).
NOT_FOUND = "No such waitlist entry."
NOT_IN_LINE = "This guest is no longer in line on the waitlist."
PARTY_TOO_LARGE = ("The waitlist takes parties up to the largest online party; "
                   "book a larger party directly.")
NOW_OFF_DAY = "Seat now only on the entry's date; give a time to book it."


class EntryNotFound(BookingError):
    code = "not_found"
    http_status = 404

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


class NotInLine(BookingError):
    """Booked, removed or expired: no longer in line to move, remove or seat."""

    code = "not_in_line"
    http_status = 409

    def __init__(self) -> None:
        super().__init__(NOT_IN_LINE)


@dataclass(frozen=True)
class NewEntry:
    """A guest the owner puts in line (they phoned): the date, party, window, contact."""

    day: dt.date
    party_size: int
    earliest: dt.time
    latest: dt.time
    guest: GuestDetails
    # The offer e-mail's language; None: the restaurant's default, else English.
    language: str | None = None


@dataclass(frozen=True)
class Seat:
    """Where the guest is booked: at ``time`` on the entry's date (a phone booking, on
    ``table_id`` or the best free table), or, with no time, seated now (a walk-in)."""

    time: dt.time | None = None
    utc_offset: dt.timedelta | None = None
    table_id: int | None = None
    notify_guest: bool = True


@dataclass(frozen=True)
class Seated:
    entry: WaitlistEntry
    booked: reservations.Booked


def in_line(entry: WaitlistEntry) -> bool:
    return entry.status in waitlist.LIVE


def line_of(session: AnySession, restaurant: Restaurant, day: dt.date) -> list[WaitlistEntry]:
    """The date's entries: those in line, in order, then the others (booked, removed,
    expired)."""
    return waitlist.line(real_session(session), restaurant, day)


def places(entries: list[WaitlistEntry]) -> dict[int, int]:
    """Each in-line entry's place (1, 2, ...) by id; the others have none."""
    return {entry.id: number for number, entry in
            enumerate((e for e in entries if in_line(e)), start=1)}


def get(session: AnySession, restaurant: Restaurant, entry_id: int) -> WaitlistEntry:
    """The restaurant's entry; EntryNotFound for another restaurant's and unknown ids alike."""
    row: WaitlistEntry | None = owned_by(session, WaitlistEntry, entry_id, restaurant.id)
    if row is None:
        raise EntryNotFound()
    return row


def add(session: AnySession, restaurant: Restaurant, entry: NewEntry,
        now: dt.datetime | None = None) -> WaitlistEntry:
    """Put the guest at the end of the date's line (``waitlist.join``: the guests' own
    rules, so an offer can fit them); committed."""
    try:
        joined = waitlist.join(real_session(session), restaurant, day=entry.day,
                               party_size=entry.party_size, earliest=entry.earliest,
                               latest=entry.latest, guest=entry.guest,
                               language=entry.language, now=now)
    except waitlist.WaitlistRefused as refusal:
        if refusal.field == "party_size":  # the guests' text asks them to call: not here
            raise waitlist.WaitlistRefused(PARTY_TOO_LARGE, field="party_size") from None
        raise
    return joined.entry


def move(session: AnySession, restaurant: Restaurant, entry_id: int, steps: int) -> WaitlistEntry:
    """``steps`` places up (negative) or down the line; committed."""
    get(session, restaurant, entry_id)
    if not waitlist.move(real_session(session), restaurant, entry_id, steps):
        raise NotInLine()
    return get(session, restaurant, entry_id)


def remove(session: AnySession, restaurant: Restaurant, context: WriteContext,
           entry_id: int) -> WaitlistEntry:
    """Off the line (status ``removed``); a live offer's hold goes with it and the freed
    table is offered to the next fitting guest (their e-mail to ``context.after_commit``)."""
    row = get(session, restaurant, entry_id)
    offered = row.status == "offered"
    if not waitlist.leave(real_session(session), restaurant, entry_id, "removed"):
        raise NotInLine()
    if offered:
        emails = waitlist.offer_after_write(real_session(session), [restaurant.id])
        if emails:
            context.after_commit(emails)
    return get(session, restaurant, entry_id)


def seat(session: AnySession, restaurant: Restaurant, context: WriteContext, entry_id: int,
         seat: Seat) -> Seated:
    """Book the entry's guest (see the module docstring); raises NotInLine, or what the
    booking meets (the table taken, outside the hours...)."""
    row = get(session, restaurant, entry_id)
    if not in_line(row):
        raise NotInLine()
    walk_in = seat.time is None
    if walk_in:
        now = context.now or service.utcnow()
        schedule = reservations.schedule_of(session, restaurant)
        if row.service_date not in reservations.current_days(schedule, now):
            raise waitlist.WaitlistRefused(NOW_OFF_DAY, field="time")
    restaurant_id, entry_id = restaurant.id, row.id
    booking = reservations.NewBooking(
        source="walk_in" if walk_in else "phone", party_size=row.party_size,
        guest=GuestDetails(row.guest_name, row.guest_email, row.guest_phone),
        day=None if walk_in else row.service_date, time=seat.time, utc_offset=seat.utc_offset,
        table_id=seat.table_id, notify_guest=seat.notify_guest, language=row.language,
        hold_hash=row.offer_token_hash if row.status == "offered" else None)

    def mark_booked(session: Session, reservation: Reservation, action: str, *,
                    manage_token: str | None = None) -> None:
        if not waitlist.mark_booked(session, restaurant_id, entry_id, reservation.id):
            raise NotInLine()  # rolls the booking back

    booked = reservations.book(session, restaurant, context, booking, also=mark_booked)
    return Seated(get(session, restaurant, entry_id), booked)
