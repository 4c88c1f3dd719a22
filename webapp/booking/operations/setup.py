"""The owner's set-up use cases: settings, tables, opening hours, special days.

One function per use case, called by the dashboard (``webapp/owner/setup.py``) and
the API (``webapp/api/owner_views.py``) alike, so the same input stores the same rows
and meets the same refusal through either door. Each takes values the page's form
has already checked (shape, ranges, cross-field sense), writes them in its own
transaction and commits; on a refusal it rolls back and raises :class:`SetupRefused`
with the message and the field to correct. Deactivating a table (what happens to its
future bookings) is not a set-up edit and lives with the reservation operations.

The restaurant set-up cache (``booking/setup.py``) needs nothing from here: the
database triggers give ``restaurants.setup_stamp`` a new value on every write of a
table, a service or a special day, and the restaurant's own rule fields are part of
the cache key, so each commit below is seen by the next lookup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, scoped_session

from ...models import (
    ACTIVE_STATUSES,
    IS_BOOKING,
    CombinationTable,
    DiningTable,
    OpeningHours,
    Reservation,
    Restaurant,
    SpecialDay,
    SpecialDayService,
    TableCombination,
)
from .. import slots as slotlib
from ..errors import BookingError
from .committing import committed

# The request-scoped session (flask_sqlalchemy's) or a plain one (tests, the CLI).
AnySession = Session | scoped_session[Any]

# The messages of the refusals the database's unique constraints make when two owners
# save at once; the forms say the same when they see the clash first.
TABLE_NAME_TAKEN = "Another table already has this name."
SLUG_TAKEN = "Another restaurant already uses this address."


class SetupRefused(BookingError):
    """A set-up change that cannot be stored; ``field`` names what to correct."""

    code = "setup_refused"
    http_status = 422

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field)


class TableHasHistory(SetupRefused):
    """Only a table that never held a reservation can be removed; the others are
    deactivated, so their past reservations keep their table."""

    code = "table_has_history"
    http_status = 409

    def __init__(self, name: str) -> None:
        super().__init__(f"Table {name} has reservations in its history, so it stays; "
                         "deactivate it instead.", field="table")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class RestaurantSettings:
    """Every setting the owner edits (the settings form's fields)."""

    name: str
    slug: str
    timezone: str
    slot_interval_minutes: int
    default_turn_minutes: int
    turn_times: dict[str, int]
    lead_time_minutes: int
    horizon_days: int
    max_online_party: int
    phone: str = ""
    # Hours before a booking its reminder goes out; 0: none.
    reminder_hours: int = 24
    # Guests may change or cancel online until this many hours before the start.
    cancel_cutoff_hours: int = 0
    # Minutes a guest's picked time is held for them while they type (booking/holds.py);
    # 0: no holds.
    hold_minutes: int = 7
    # Minutes a waitlist offer holds its freed table for the guest e-mailed
    # (booking/waitlist.py), 1..60.
    waitlist_offer_minutes: int = 15
    # ISO 3166 code: the default region of guests' phone numbers ("": none).
    country: str = ""
    email: str = ""
    address: str = ""
    description: str = ""
    # The origins allowed to frame /r/<slug>/embed, one per line, normalised
    # (booking/embed.parse_origins); "": embedding is off.
    embed_origins: str = ""
    # The staff calendar feeds show guests' e-mail and phone (booking/calendar_feed.py).
    calendar_feed_contact: bool = False
    # The guest page's language unless the guest picks one, and that of the bookings the
    # restaurant takes itself (rules.booking_language); "": the guest's browser decides.
    default_language: str = ""


@dataclass(frozen=True)
class TableDetails:
    name: str
    seats: int
    min_party: int = 1
    max_party: int | None = None  # None: the number of seats
    area: str = ""
    position: int = 0


@dataclass(frozen=True)
class ServiceTimes:
    """One service: a closing at or before the opening runs past midnight."""

    name: str
    opens: dt.time
    closes: dt.time
    last_seating: dt.time | None = None
    # Pacing (booking/pacing.py): covers per slot interval, covers per service; None:
    # no limit.
    pace_covers: int | None = None
    max_covers: int | None = None


@dataclass(frozen=True)
class WeeklyService:
    weekday: int  # 0 = Monday
    times: ServiceTimes


@dataclass(frozen=True)
class SpecialDayDetails:
    start_date: dt.date
    end_date: dt.date
    closed: bool
    reason: str = ""
    # Ignored when closed.
    services: tuple[ServiceTimes, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- the transaction


def _setup_write(session: AnySession, explain: Callable[[], SetupRefused | None] = lambda: None
                 ) -> AbstractContextManager[None]:
    """The caller's changes, flushed and committed; or rolled back. ``explain`` turns a
    unique-constraint refusal (a clash the form could not see yet) into a SetupRefused;
    it runs after the rollback, so it reads what the other writer committed."""
    return committed(session, explain)


def _own(row: DiningTable | OpeningHours | SpecialDay, restaurant: Restaurant) -> None:
    # The views look rows up through the owner's restaurant; this only guards the call.
    if row.restaurant_id != restaurant.id:
        raise ValueError(f"{row!r} does not belong to restaurant {restaurant.id}")


# --------------------------------------------------------------------------- settings


def change_settings(session: AnySession, restaurant: Restaurant,
                    settings: RestaurantSettings) -> Restaurant:
    """Store every setting at once (a new slug moves all the restaurant's addresses)."""
    restaurant_id, slug = restaurant.id, settings.slug

    def slug_clash() -> SetupRefused | None:
        taken = session.scalar(select(Restaurant.id).where(
            Restaurant.slug == slug, Restaurant.id != restaurant_id).limit(1))
        return SetupRefused(SLUG_TAKEN, field="slug") if taken is not None else None

    with _setup_write(session, slug_clash):
        for name, value in asdict(settings).items():
            setattr(restaurant, name, value)
    return restaurant


# --------------------------------------------------------------------------- tables


def _table_name_clash(session: AnySession, restaurant_id: int, name: str,
                      table_id: int | None) -> Callable[[], SetupRefused | None]:
    def explain() -> SetupRefused | None:
        query = select(DiningTable.id).where(DiningTable.restaurant_id == restaurant_id,
                                             DiningTable.name == name)
        if table_id is not None:
            query = query.where(DiningTable.id != table_id)
        taken = session.scalar(query.limit(1))
        return SetupRefused(TABLE_NAME_TAKEN, field="name") if taken is not None else None
    return explain


def _copy_table(table: DiningTable, details: TableDetails) -> None:
    for name, value in asdict(details).items():
        setattr(table, name, value)


def add_table(session: AnySession, restaurant: Restaurant, details: TableDetails, *,
              active: bool = True) -> DiningTable:
    """A new table; ``active=False`` adds it without offering it yet."""
    table = DiningTable(restaurant_id=restaurant.id, active=active)
    _copy_table(table, details)
    with _setup_write(session, _table_name_clash(session, restaurant.id, details.name, None)):
        session.add(table)
    return table


def change_table(session: AnySession, restaurant: Restaurant, table: DiningTable,
                 details: TableDetails) -> DiningTable:
    """New details for a table; whether it is bookable is not one of them (see
    :func:`activate_table`; deactivating has its own operation)."""
    _own(table, restaurant)
    with _setup_write(session, _table_name_clash(session, restaurant.id, details.name,
                                                 table.id)):
        _copy_table(table, details)
    return table


def activate_table(session: AnySession, restaurant: Restaurant,
                   table: DiningTable) -> DiningTable:
    """Offer a table again (nothing to decide: it holds no bookings it could drop)."""
    _own(table, restaurant)
    if not table.active:
        with _setup_write(session):
            table.active = True
    return table


def remove_table(session: AnySession, restaurant: Restaurant, table: DiningTable) -> None:
    """Remove a table that never held a reservation (one added by mistake). A table with a
    history stays: deactivating it keeps its past reservations readable.

    The row is locked first, so a booking that reads its table under FOR KEY SHARE either
    committed before (and is seen here) or waits and then finds the table gone; the
    foreign key (ON DELETE RESTRICT) is the backstop."""
    _own(table, restaurant)
    in_use = TableHasHistory(table.name)
    with _setup_write(session, explain=lambda: in_use):
        session.execute(select(DiningTable.id).where(DiningTable.id == table.id)
                        .with_for_update())
        if session.scalar(select(Reservation.id).where(Reservation.table_id == table.id)
                          .limit(1)) is not None:
            raise in_use
        _remove_short_combinations(session, table)
        session.delete(table)


def _remove_short_combinations(session: AnySession, table: DiningTable) -> None:
    """The table leaves its combinations; one that would keep a single table joins
    nothing any more and goes with it (in the same transaction)."""
    combinations = select(CombinationTable.combination_id).where(
        CombinationTable.table_id == table.id)
    members = dict(session.execute(
        select(CombinationTable.combination_id, func.count())
        .where(CombinationTable.combination_id.in_(combinations))
        .group_by(CombinationTable.combination_id)).tuples().all())
    session.execute(delete(CombinationTable).where(CombinationTable.table_id == table.id))
    short = [cid for cid, count in members.items() if count - 1 < 2]
    if short:
        session.execute(delete(TableCombination).where(
            TableCombination.restaurant_id == table.restaurant_id,
            TableCombination.id.in_(short)))


# --------------------------------------------------------------------------- opening hours


def _copy_service(row: OpeningHours | SpecialDayService, times: ServiceTimes) -> None:
    row.name, row.opens, row.closes, row.last_seating = (
        times.name, times.opens, times.closes, times.last_seating)
    row.pace_covers, row.max_covers = times.pace_covers, times.max_covers


def add_opening_hours(session: AnySession, restaurant: Restaurant,
                      service: WeeklyService) -> OpeningHours:
    row = OpeningHours(restaurant_id=restaurant.id, weekday=service.weekday)
    _copy_service(row, service.times)
    with _setup_write(session):
        session.add(row)
    return row


def change_opening_hours(session: AnySession, restaurant: Restaurant, row: OpeningHours,
                         service: WeeklyService) -> OpeningHours:
    """Change a service in place (it keeps its id). Existing bookings stay as they are."""
    _own(row, restaurant)
    with _setup_write(session):
        row.weekday = service.weekday
        _copy_service(row, service.times)
    return row


def remove_opening_hours(session: AnySession, restaurant: Restaurant,
                         row: OpeningHours) -> None:
    """Existing bookings in the service stay as they are."""
    _own(row, restaurant)
    with _setup_write(session):
        session.delete(row)


# --------------------------------------------------------------------------- special days


def _copy_special_day(row: SpecialDay, details: SpecialDayDetails) -> None:
    row.start_date, row.end_date = details.start_date, details.end_date
    row.closed, row.reason = details.closed, details.reason
    services = []
    for times in () if details.closed else details.services:
        service = SpecialDayService()
        _copy_service(service, times)
        services.append(service)
    row.services = services  # delete-orphan: the old ones go


def add_special_day(session: AnySession, restaurant: Restaurant,
                    details: SpecialDayDetails) -> SpecialDay:
    """A closure or days with their own hours. Bookings already made on those days are
    not cancelled (see :func:`bookings_during`)."""
    row = SpecialDay(restaurant_id=restaurant.id)
    _copy_special_day(row, details)
    with _setup_write(session):
        session.add(row)
    return row


def change_special_day(session: AnySession, restaurant: Restaurant, row: SpecialDay,
                       details: SpecialDayDetails) -> SpecialDay:
    """Change a special day in place (it keeps its id; its services are replaced)."""
    _own(row, restaurant)
    with _setup_write(session):
        _copy_special_day(row, details)
    return row


def remove_special_day(session: AnySession, restaurant: Restaurant, row: SpecialDay) -> None:
    _own(row, restaurant)
    with _setup_write(session):
        session.delete(row)


def bookings_during(session: AnySession, restaurant: Restaurant, start: dt.date,
                    end: dt.date) -> int:
    """Active bookings starting on the local days ``start``..``end``: what a closure
    leaves for the owner to look at (it cancels nothing by itself)."""
    zone = slotlib.zone(restaurant.timezone)
    low = slotlib.to_utc(start, dt.time(0), zone)
    high = slotlib.to_utc(end + dt.timedelta(days=1), dt.time(0), zone)
    return session.scalar(select(func.count(Reservation.id)).where(
        Reservation.restaurant_id == restaurant.id, IS_BOOKING,
        Reservation.status.in_(ACTIVE_STATUSES),
        Reservation.starts_at >= low, Reservation.starts_at < high)) or 0
