"""The staff calendar feed: a secret iCal URL per member of a restaurant
(/calendar/<token>.ics) listing its upcoming bookings, for the calendar app a host
already looks at.

* One token per membership, kept only as its sha256 (``memberships.calendar_token_hash``):
  the clear token is shown once when made; a new one replaces (revokes) the old; a member
  who leaves the restaurant takes the feed with them (the row goes, the URL answers 404).
* The feed is built on every request from the bookings as they are (active ones, the
  next ``FEED_DAYS`` days), so a change shows at the calendar's next refresh; the view
  lets caches keep it five minutes. Its bytes depend only on the bookings and the
  restaurant's settings (no request time in it), so their sha256 is a strong ETag
  (``feed_etag``): a calendar that asks again with it gets 304 while nothing changed.
* Guests' e-mail and phone are in it only when the owner allows it
  (``restaurants.calendar_feed_contact``): a calendar is synced to phones and other
  services the restaurant does not control.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from icalendar import Calendar, Event
from sqlalchemy import select

from ..models import (
    ACTIVE_STATUSES,
    IS_BOOKING,
    DiningTable,
    Membership,
    Reservation,
    Restaurant,
)
from . import held_tables
from .operations.setup import AnySession

FEED_DAYS = 60
_PRODID = "-//Booking Manager//Staff calendar//EN"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: AnySession, membership: Membership) -> str:
    """A new secret for this member's feed; the previous URL stops working. Commits."""
    token = secrets.token_urlsafe(32)
    membership.calendar_token_hash = _hash(token)
    session.commit()
    return token


def revoke_token(session: AnySession, membership: Membership) -> None:
    membership.calendar_token_hash = None
    session.commit()


@dataclass(frozen=True)
class Feed:
    restaurant: Restaurant
    membership: Membership


def feed_for_token(session: AnySession, token: str) -> Feed | None:
    """The membership whose feed this token opens, or None (unknown, revoked)."""
    if not token or len(token) > 100:
        return None
    membership = session.scalar(select(Membership).where(
        Membership.calendar_token_hash == _hash(token)))
    if membership is None:
        return None
    return Feed(membership.restaurant, membership)


def _status(reservation: Reservation, restaurant: Restaurant) -> str:
    """TENTATIVE while the restaurant asks guests to confirm (a reminder with a Confirm
    link) and this guest has not yet; CONFIRMED otherwise."""
    if reservation.status == "booked" and restaurant.reminder_hours > 0 \
            and reservation.confirmed_at is None:
        return "TENTATIVE"
    return "CONFIRMED"


def feed_ics(session: AnySession, restaurant: Restaurant, *, now: dt.datetime,
             host: str) -> bytes:
    """The restaurant's active bookings from now to FEED_DAYS ahead as iCalendar."""
    rows = session.execute(
        select(Reservation, DiningTable.name)
        .join(DiningTable, DiningTable.id == Reservation.table_id)
        .where(Reservation.restaurant_id == restaurant.id, IS_BOOKING,
               Reservation.status.in_(ACTIVE_STATUSES),
               Reservation.ends_at > now,
               Reservation.starts_at < now + dt.timedelta(days=FEED_DAYS))
        .order_by(Reservation.starts_at, Reservation.id)).all()
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{restaurant.name}: bookings")
    calendar.add("x-wr-timezone", restaurant.timezone)
    contact = restaurant.calendar_feed_contact
    # A booking on joined tables is one event naming them all ("table Napoli + Milano").
    parts = held_tables.parts_of(session, (reservation.id for reservation, _ in rows))
    for reservation, first_name in rows:
        table_name = held_tables.joined_name(
            held_tables.held(reservation, first_name, parts.get(reservation.id, ())))
        event = Event()
        # Not the guest's e-mail UID (reservation-<id>@): a member who also has the guest's
        # invitation keeps two entries rather than one overwriting the other.
        event.add("uid", f"booking-{reservation.id}@{host}")
        event.add("summary", f"{reservation.guest_name}, party of {reservation.party_size}, "
                             f"table {table_name}")
        event.add("dtstart", reservation.starts_at.astimezone(dt.UTC))
        event.add("dtend", reservation.ends_at.astimezone(dt.UTC))
        # Not the request's time: in a calendar without METHOD, DTSTAMP is the event's
        # last change (RFC 5545 3.8.7.2), and a feed that differs on every request could
        # never answer 304.
        event.add("dtstamp", reservation.updated_at.astimezone(dt.UTC))
        event.add("last-modified", reservation.updated_at.astimezone(dt.UTC))
        event.add("sequence", reservation.version)
        event.add("status", _status(reservation, restaurant))
        details = [f"Party of {reservation.party_size}, table {table_name}."]
        if reservation.notes:
            details.append(f"Notes: {reservation.notes}")
        if contact:
            if reservation.guest_email:
                details.append(f"E-mail: {reservation.guest_email}")
            if reservation.guest_phone:
                details.append(f"Phone: {reservation.guest_phone}")
        event.add("description", "\n".join(details))
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def feed_etag(body: bytes) -> str:
    """The feed's strong ETag (unquoted): the sha256 of its bytes."""
    return hashlib.sha256(body).hexdigest()
