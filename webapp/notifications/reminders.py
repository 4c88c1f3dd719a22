"""Reminders: outbox rows planned with the booking, written when they are sent.

* Planned in the booking's own transaction by the ``after_write`` callback
  (:class:`~webapp.notifications.outbox.MailWriter`): a new booking adds one outbox row
  (written by the confirmation's own INSERT, no statement of its own), due
  ``restaurant.reminder_hours`` before its start (none when that moment has passed, or
  the restaurant has reminders off); a move or change DELETEs the booking's pending
  reminder and plans it again; any other status (cancelled, seated, no-show) drops it.
* Sent like every outbox row: the claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one
  writer at a time on SQLite, and a conditional UPDATE that pushes the row's due time
  past a lease) hands each row to one deliverer, so one reminder goes out once however
  many delivery loops, workers and instances run.
* Written at send time, inside the claim's transaction: a fresh token is issued and only
  its sha256 stored (``reservations.reminder_token_hash``, which opens the booking like
  the manage token), so the Confirm / Change / Cancel links exist in clear only in the
  e-mail itself. Why not write the text when planning: a reminder waits days in the
  outbox, and a clear token there is a password to the booking in every backup and to
  every reader of that table. The stored copy of a sent reminder is redacted like every
  e-mail's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask_babel import force_locale
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from .. import clock
from ..booking.tokens import new_manage_token
from ..models import OutboxEmail, Reservation, Restaurant
from .messages import (
    REMINDER,
    REMINDER_PLACEHOLDER,
    compose_reminder,
    placeholder_language,
    reminder_subject,
)

if TYPE_CHECKING:
    from .outbox import Claimed

_outbox = OutboxEmail.__table__
_DROP_PENDING = delete(_outbox).where(_outbox.c.kind == REMINDER,
                                      _outbox.c.status == "pending")


def reminder_due(restaurant: Restaurant, reservation: Reservation) -> dt.datetime | None:
    """When the reminder of ``reservation`` goes out, or None (off, or already past)."""
    if not restaurant.reminder_hours or reservation.status != "booked":
        return None
    due = reservation.starts_at - dt.timedelta(hours=restaurant.reminder_hours)
    return due if due > clock.now() else None


def plan_reminder(session: Session, restaurant: Restaurant, reservation: Reservation,
                  action: str) -> dict[str, Any] | None:
    """Plan, re-plan or drop the booking's reminder, in the caller's transaction: any write
    but "created" DELETEs the pending one first. Returns the outbox row of the reminder
    to plan (or None), for the caller to INSERT with the e-mail it queues (the outbox
    writes them in one statement: ``outbox.insert_rows``)."""
    if action != "created":
        session.connection().execute(
            _DROP_PENDING.where(_outbox.c.reservation_id == reservation.id))
    if not reservation.guest_email or reservation.status != "booked":
        return None
    due = reminder_due(restaurant, reservation)
    if due is None:
        return None
    return {
        "reservation_id": reservation.id, "kind": REMINDER,
        "to_address": reservation.guest_email,
        "subject": reminder_subject(restaurant, reservation),
        "body_text": REMINDER_PLACEHOLDER, "ics": None, "status": "pending", "attempts": 0,
        "next_attempt_at": due, "last_error": "", "created_at": clock.now(),
    }


def claimed_reminders_written(session: Session, claimed: list[Claimed],
                              base_url: str) -> list[Claimed]:
    """``claimed`` with each reminder written out (a new token's hash stored for it, in
    the caller's claim transaction); a reminder whose booking is gone or no longer
    booked is deleted instead of sent."""
    if not any(row.kind == REMINDER for row in claimed):
        return claimed
    base = base_url.rstrip("/")
    host = urlsplit(base).hostname or "booking-manager"
    written: list[Claimed] = []
    for row in claimed:
        if row.kind != REMINDER:
            written.append(row)
            continue
        reservation = (session.get(Reservation, row.reservation_id)
                       if row.reservation_id is not None else None)
        if reservation is None or reservation.status != "booked" or not reservation.guest_email:
            session.execute(delete(_outbox).where(_outbox.c.id == row.id))
            continue
        restaurant = session.get_one(Restaurant, reservation.restaurant_id)
        token, token_hash = new_manage_token()
        session.execute(update(Reservation.__table__)
                        .where(Reservation.__table__.c.id == reservation.id)
                        .values(reminder_token_hash=token_hash,
                                updated_at=Reservation.__table__.c.updated_at))
        # In the booking's language; a reminder planned before the column existed keeps
        # the one its placeholder names (its booking was given "en").
        language = (reservation.language if reservation.language != "en"
                    else placeholder_language(row.body_text) or "en")
        with force_locale(language):
            message = compose_reminder(restaurant, reservation,
                                       f"{base}/r/{restaurant.slug}/b/{token}", host)
        written.append(dataclasses.replace(
            row, to_address=message.to_address, subject=message.subject,
            body_text=message.body_text, ics=message.ics, stored_text=row.body_text))
    return written
