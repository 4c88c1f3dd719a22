"""The waitlist: guests waiting for a table on a service date, offered a freed one.

* ``join`` puts a guest at the end of the line of their date, with a party size and a
  window (the earliest and latest start they accept), stored as UTC instants like every
  stay, so a window is compared with slots without a zone, across DST changes and in a
  service that runs past midnight. The guest gets a private link (``token``; only its
  sha256 is stored) to see their place and leave the line.
* ``make_offers`` walks the waiting entries in line order; for each it looks for a free
  start inside the window (``availability.bookable_times``, the guests' rules) and holds
  the table (``holds.place`` with the offer's own minutes). The hold is the offer: only
  an entry whose hold was placed is marked offered, and the offer e-mail is queued in the
  transaction that marks it, so there is no offer without its e-mail and no e-mail
  without a live hold. The hold's token is the e-mail's one-click link (only its hash is
  stored, as the entry's ``offer_token_hash``). An offer whose hold expired is
  ``expired`` (that guest is not offered again) and the next fitting guest is offered.
* Exactly one guest gets a freed table: two offers of one table are two holds of it,
  which the hold's keys, its re-check and ``holds_no_overlap`` refuse. One guest never
  gets two offers: each attempt holds under a holder of its own (so one cannot delete
  another's hold), and the conditional UPDATE waiting -> offered lets one attempt win;
  a loser releases its hold.
* ``take_offer`` books through ``service.book(hold=...)``; the entry is marked booked
  inside the booking's transaction, and only while the offer is live.
* When: the worker's "waitlist" job every poll, and right after a write that may free a
  table (``operations.context.Write.committed``: cancellations, changes, no-shows),
  which costs one indexed query when the restaurant's waitlist is empty.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import Hold, Reservation, Restaurant, WaitlistEntry
from . import holds, service
from . import slots as slotlib
from .availability import bookable_times
from .errors import BookingError
from .languages import booking_language
from .operations.committing import committed
from .rules import GuestDetails
from .setup import restaurant_setup
from .tokens import hash_token, new_manage_token
from .transaction import DEFAULT_POLICY, WritePolicy

log = logging.getLogger(__name__)

OFFER_EMAIL = "waitlist_offer"
LIVE = ("waiting", "offered")
# A waitlist for a service date is looked at from the day before (a night service's date
# is "yesterday" in the small hours) on.
_LOOK_BACK = dt.timedelta(days=1)


class WaitlistRefused(BookingError):
    code = "waitlist_refused"
    http_status = 422


class OfferGone(BookingError):
    """The offer expired, was taken or the guest left the list."""

    code = "offer_gone"
    http_status = 409

    def __init__(self) -> None:
        super().__init__("This offer is no longer open.")


@dataclass(frozen=True)
class Joined:
    entry: WaitlistEntry
    # The guest's private link token, in clear exactly once: now.
    token: str


@dataclass(frozen=True)
class Offer:
    entry_id: int
    starts_at: dt.datetime
    expires_at: dt.datetime
    table_name: str
    email_id: int


# --------------------------------------------------------------------------- joining


def window_instants(session: Session, restaurant: Restaurant, day: dt.date,
                    earliest: dt.time, latest: dt.time, party_size: int
                    ) -> tuple[dt.datetime, dt.datetime]:
    """The window "from ``earliest`` to ``latest`` on service date ``day``" as UTC
    instants (a time after midnight of a service that runs past it is the next morning's)."""
    schedule = restaurant_setup(session, restaurant).schedule
    start = slotlib.resolve_local_start(schedule, day, earliest, party_size)
    end = slotlib.resolve_local_start(schedule, day, latest, party_size)
    if end < start:
        raise WaitlistRefused("The latest time is before the earliest.", field="window_to")
    return start, end


def join(session: Session, restaurant: Restaurant, *, day: dt.date, party_size: int,
         earliest: dt.time, latest: dt.time, guest: GuestDetails,
         language: str | None = None, now: dt.datetime | None = None) -> Joined:
    """Put the guest at the end of the line for ``day``; committed. Raises
    WaitlistRefused (or InvalidPhone) for what the guest should correct."""
    now = now or clock.now()
    schedule = restaurant_setup(session, restaurant).schedule
    if not 1 <= party_size <= schedule.max_online_party:
        raise WaitlistRefused(f"Parties of more than {schedule.max_online_party} cannot "
                              "join the waitlist online; please call the restaurant.",
                              field="party_size")
    today = now.astimezone(schedule.zone).date()
    if not today <= day <= today + dt.timedelta(days=restaurant.horizon_days):
        raise WaitlistRefused("Pick a date from today within the booking horizon.",
                              field="date")
    guest = guest.normalised(restaurant.country)  # InvalidPhone for a number never valid
    if not guest.name or not guest.email:
        raise WaitlistRefused("A name and an e-mail address are needed for the offer.",
                              field="email")
    start, end = window_instants(session, restaurant, day, earliest, latest, party_size)
    if end <= now:
        raise WaitlistRefused("That window has already passed.", field="window_to")
    token, token_hash = new_manage_token()
    restaurant_id = restaurant.id
    with committed(session):
        # Two guests joining at the same instant may get one position; the line is
        # ordered by (position, id), so the first to commit is still first.
        last = session.scalar(select(func.max(WaitlistEntry.position)).where(
            WaitlistEntry.restaurant_id == restaurant_id, WaitlistEntry.service_date == day))
        entry = WaitlistEntry(
            restaurant_id=restaurant_id, service_date=day, party_size=party_size,
            window_start=start, window_end=end, guest_name=guest.name,
            guest_email=guest.email, guest_phone=guest.phone,
            language=booking_language(restaurant, language), position=(last or 0) + 1,
            status="waiting", token_hash=token_hash, created_at=now)
        session.add(entry)
    return Joined(entry, token)


def find(session: Session, restaurant: Restaurant, token: str
         ) -> tuple[WaitlistEntry, bool] | None:
    """The entry a guest's link names and whether it is the offer's link (else the
    private link from joining); None for an unknown token."""
    if not token or len(token) > 200:
        return None
    token_hash = hash_token(token)
    entry = session.scalar(select(WaitlistEntry).where(
        WaitlistEntry.restaurant_id == restaurant.id,
        (WaitlistEntry.token_hash == token_hash)
        | (WaitlistEntry.offer_token_hash == token_hash)))
    if entry is None:
        return None
    return entry, entry.offer_token_hash == token_hash


def leave(session: Session, restaurant: Restaurant, entry_id: int,
          status: str = "removed") -> bool:
    """Take a waiting or offered entry off the line (the guest left, or the owner removed
    it); an offer's hold goes with it. False when it was no longer in line."""
    with committed(session):
        entry = session.scalar(select(WaitlistEntry).where(
            WaitlistEntry.id == entry_id, WaitlistEntry.restaurant_id == restaurant.id,
            WaitlistEntry.status.in_(LIVE)).with_for_update())
        if entry is None:
            return False
        if entry.offer_token_hash and entry.status == "offered":
            session.execute(Hold.__table__.delete().where(
                Hold.__table__.c.token_hash == entry.offer_token_hash))
        entry.status = status
    return True


def line(session: Session, restaurant: Restaurant, day: dt.date) -> list[WaitlistEntry]:
    """The entries of ``day`` in line order: those in line first, then the others."""
    return list(session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.restaurant_id == restaurant.id, WaitlistEntry.service_date == day)
        .order_by(WaitlistEntry.status.notin_(LIVE), WaitlistEntry.position,
                  WaitlistEntry.id)))


def move(session: Session, restaurant: Restaurant, entry_id: int, steps: int) -> bool:
    """Move an entry ``steps`` places up (negative) or down its date's line (the owner's
    reorder): it swaps positions with the entries it passes. False when it is not in line."""
    with committed(session):
        entry = session.scalar(select(WaitlistEntry).where(
            WaitlistEntry.id == entry_id, WaitlistEntry.restaurant_id == restaurant.id,
            WaitlistEntry.status.in_(LIVE)).with_for_update())
        if entry is None:
            return False
        others = list(session.scalars(select(WaitlistEntry).where(
            WaitlistEntry.restaurant_id == restaurant.id,
            WaitlistEntry.service_date == entry.service_date,
            WaitlistEntry.status.in_(LIVE))
            .order_by(WaitlistEntry.position, WaitlistEntry.id).with_for_update()))
        at = next(i for i, other in enumerate(others) if other.id == entry.id)
        target = max(0, min(len(others) - 1, at + steps))
        others.insert(target, others.pop(at))
        for number, other in enumerate(others, start=1):
            other.position = number
    return True


# --------------------------------------------------------------------------- offers


def offer_url(slug: str, token: str) -> str:
    """The guest's link for ``token``, absolute under PUBLIC_BASE_URL (never the request's
    Host header); a path alone outside an app."""
    from flask import current_app, has_app_context

    base = str(current_app.config.get("PUBLIC_BASE_URL", "")) if has_app_context() else ""
    return f"{base.rstrip('/')}/r/{slug}/w/{token}"


def _offer_text(restaurant: Restaurant, entry: WaitlistEntry, starts_at: dt.datetime,
                expires_at: dt.datetime, url: str) -> tuple[str, str]:
    """Subject and plain text of the offer e-mail, in the entry's language."""
    from flask_babel import force_locale

    from ..i18n import clock_time, day_long
    from ..i18n import gettext as _

    zone = ZoneInfo(restaurant.timezone)
    local = starts_at.astimezone(zone)
    with force_locale(entry.language):
        when = _("%(date)s at %(time)s", date=day_long(local.date()), time=clock_time(local))
        until = clock_time(expires_at.astimezone(zone))
        subject = _("A table is free for you at %(restaurant)s: %(when)s",
                    restaurant=restaurant.name, when=when)
        lines = [_("Hello %(name)s,", name=entry.guest_name), "",
                 _("A table for %(party)s has become free on %(when)s.",
                   party=entry.party_size, when=when),
                 _("We hold it for you until %(time)s. To book it, open this link and "
                   "confirm with one click:", time=until), url, "",
                 _("If you do nothing, the table goes to the next guest waiting."), "",
                 restaurant.name]
    return subject, "\n".join(lines) + "\n"


def _record_offer(session: Session, restaurant: Restaurant, entry: WaitlistEntry,
                  placed: holds.PlacedHold) -> int | None:
    """Mark ``entry`` offered for the hold just placed and queue its e-mail, in one
    transaction; the e-mail's outbox id, or None when another attempt offered (or the
    guest left) first."""
    from ..notifications.outbox import queue_account_mail

    subject, body = _offer_text(restaurant, entry, placed.starts_at, placed.expires_at,
                                offer_url(restaurant.slug, placed.token))
    with committed(session):
        won = session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id == entry.id, WaitlistEntry.status == "waiting").values(
            status="offered", offer_token_hash=hash_token(placed.token),
            offer_starts_at=placed.starts_at, offer_expires_at=placed.expires_at))
        if getattr(won, "rowcount", 0) != 1:
            return None
        return queue_account_mail(session, OFFER_EMAIL, entry.guest_email, subject, body)


def _in_line(session: Session, restaurant_ids: Iterable[int] | None, since: dt.date
             ) -> list[WaitlistEntry]:
    query = (select(WaitlistEntry)
             .where(WaitlistEntry.service_date >= since, WaitlistEntry.status.in_(LIVE))
             .order_by(WaitlistEntry.restaurant_id, WaitlistEntry.service_date,
                       WaitlistEntry.position, WaitlistEntry.id))
    if restaurant_ids is not None:
        query = query.where(WaitlistEntry.restaurant_id.in_(list(restaurant_ids)))
    return list(session.scalars(query))


def _expire(session: Session, entries: list[WaitlistEntry], now: dt.datetime) -> None:
    """Offers whose hold ran out, and waiting entries whose window has passed: expired.
    Conditional, so an offer taken meanwhile stays booked."""
    stale = [e.id for e in entries if (e.status == "offered" and e.offer_expires_at is not None
                                       and e.offer_expires_at <= now)
             or (e.status == "waiting" and e.window_end <= now)]
    if not stale:
        return
    with committed(session):
        session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id.in_(stale), WaitlistEntry.status.in_(LIVE),
            (WaitlistEntry.status == "waiting") | (WaitlistEntry.offer_expires_at <= now))
            .values(status="expired"))


def _try_offer(session: Session, restaurant: Restaurant, entry: WaitlistEntry,
               now: dt.datetime, policy: WritePolicy) -> Offer | None:
    """Hold the first free start in the entry's window and offer it; None when none fits."""
    fitting = [t.starts_at for t in bookable_times(session, restaurant, entry.service_date,
                                                   entry.party_size, now)
               if entry.window_start <= t.starts_at <= entry.window_end]
    for starts_at in fitting:
        # A holder per attempt: two workers offering one entry at once never delete
        # each other's hold (a holder's new hold replaces its old one).
        holder = f"waitlist:{entry.id}:{secrets.token_hex(8)}"
        try:
            placed = holds.place(session, restaurant, starts_at=starts_at,
                                 party_size=entry.party_size, holder=holder, now=now,
                                 policy=policy, minutes=restaurant.waitlist_offer_minutes)
        except BookingError:
            continue  # taken meanwhile (or over the pace): the next start
        email_id = _record_offer(session, restaurant, entry, placed)
        if email_id is None:
            holds.release(session, restaurant, placed.token)
            return None
        return Offer(entry.id, placed.starts_at, placed.expires_at, placed.table_name,
                     email_id)
    return None


def make_offers(session: Session, restaurant: Restaurant | int | None = None,
                now: dt.datetime | None = None, *,
                policy: WritePolicy = DEFAULT_POLICY) -> list[Offer]:
    """Expire the offers that ran out, then offer what is free to the waiting guests, in
    line order, of ``restaurant`` (an object or id; None: every restaurant). One query
    when nobody is in line. The offers made (their e-mails are queued, to deliver)."""
    now = now or clock.now()
    if isinstance(restaurant, Restaurant):
        ids: list[int] | None = [restaurant.id]
    else:
        ids = None if restaurant is None else [restaurant]
    entries = _in_line(session, ids, (now - _LOOK_BACK).date())
    if not entries:
        return []
    # Plain ids: the objects expire at the commits that follow.
    by_restaurant: dict[int, list[int]] = {}
    for entry in entries:
        by_restaurant.setdefault(entry.restaurant_id, []).append(entry.id)
    _expire(session, entries, now)
    made: list[Offer] = []
    for restaurant_id, entry_ids in by_restaurant.items():
        place_of = session.get(Restaurant, restaurant_id)
        if place_of is None:
            continue
        for entry_id in entry_ids:
            waiting = session.get(WaitlistEntry, entry_id)
            if waiting is None or waiting.status != "waiting":
                continue
            offer = _try_offer(session, place_of, waiting, now, policy)
            if offer is not None:
                made.append(offer)
    session.rollback()  # end the read transaction of the last look
    return made


def offer_after_write(session: Session, restaurant_ids: Iterable[int]) -> list[int]:
    """Right after a committed write that may have freed a table: offer it. Never
    raises (the write is committed; the worker's next pass tries again); the outbox
    ids of the offers' e-mails."""
    try:
        offers = [offer for restaurant_id in sorted(set(restaurant_ids))
                  for offer in make_offers(session, restaurant_id)]
    except Exception:
        log.exception("waitlist: offering after a write failed; the worker will try again")
        session.rollback()
        return []
    return [offer.email_id for offer in offers]


# --------------------------------------------------------------------------- taking


def take_offer(session: Session, restaurant: Restaurant, token: str, *,
               now: dt.datetime | None = None, policy: WritePolicy = DEFAULT_POLICY,
               after_write: service.AfterWrite | None = None) -> service.BookingResult:
    """Book the offered table for the entry whose offer link ``token`` is (the hold's
    token). The entry is marked booked inside the booking's transaction, only while its
    offer is live, so an expired or withdrawn offer books nothing. Raises OfferGone, or
    what the booking meets."""
    now = now or clock.now()
    found = find(session, restaurant, token)
    if found is None or not found[1]:
        raise OfferGone()
    entry = found[0]
    if (entry.status != "offered" or entry.offer_expires_at is None
            or entry.offer_expires_at <= now or entry.offer_starts_at is None):
        raise OfferGone()
    entry_id = entry.id
    guest = GuestDetails(entry.guest_name, entry.guest_email, entry.guest_phone)

    def mark_booked(session: Session, reservation: Reservation, action: str, *,
                    manage_token: str | None = None) -> None:
        # Through the session (counted as the transaction's write), inside the booking's.
        done = session.execute(update(WaitlistEntry).where(
            WaitlistEntry.id == entry_id, WaitlistEntry.status == "offered",
            WaitlistEntry.offer_expires_at > now).values(
            status="booked", reservation_id=reservation.id))
        if getattr(done, "rowcount", 0) != 1:
            raise OfferGone()  # rolls the booking back
        if after_write is not None:
            after_write(session, reservation, action, manage_token=manage_token)

    return service.book(session, restaurant, starts_at=entry.offer_starts_at,
                        party_size=entry.party_size, guest=guest, source="online",
                        actor="guest:waitlist", now=now, policy=policy,
                        after_write=mark_booked, language=entry.language, hold=token)



def mark_booked(session: Session, restaurant_id: int, entry_id: int,
                reservation_id: int) -> bool:
    """Inside the transaction of a booking the owner made for the entry's guest (seated
    from the list): the entry, while still in line, is booked with that reservation.
    False when it left the line meanwhile (the caller then rolls the booking back)."""
    done = session.execute(update(WaitlistEntry).where(
        WaitlistEntry.id == entry_id, WaitlistEntry.restaurant_id == restaurant_id,
        WaitlistEntry.status.in_(LIVE)).values(status="booked", reservation_id=reservation_id))
    return getattr(done, "rowcount", 0) == 1
