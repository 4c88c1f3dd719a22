"""Which tables are free, and which times a party can book.

Read-only. A day is answered with a fixed number of queries whatever the
number of tables or reservations: the schedule (hours, special days), the
tables, and the active reservations touching the day; the rest is done in
memory.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from .. import clock
from ..models import (
    ACTIVE_STATUSES,
    BOOKING_ID,
    OVERLAP_LOOKBACK,
    DiningTable,
    Hold,
    Reservation,
    Restaurant,
    overlapping_stays,
)
from . import pacing
from . import slots as slotlib
from .setup import restaurant_setup
from .slots import Schedule, Slot


class AnyTable(Protocol):
    """A table as the rules see it: the cached plain copy (``setup.TableInfo``) or the
    ORM row (``models.DiningTable``); both have these attributes."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def seats(self) -> int: ...
    @property
    def min_party(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def largest_party(self) -> int: ...
    def fits(self, party_size: int) -> bool: ...


# Functions that hand back the tables they were given keep their type (plain or ORM).
TableT = TypeVar("TableT", bound=AnyTable)


def load_schedule(session: Session, restaurant: Restaurant) -> Schedule:
    """The restaurant's rules as plain data (cached per process: see setup.py)."""
    return restaurant_setup(session, restaurant).schedule


def active_tables(session: Session, restaurant_id: int) -> list[DiningTable]:
    """The active tables as ORM objects (owner pages); the booking rules use the cached
    plain copies, ``restaurant_setup(...).tables``."""
    return list(session.scalars(
        select(DiningTable).where(DiningTable.restaurant_id == restaurant_id,
                                  DiningTable.active.is_(True))
        .order_by(DiningTable.position, DiningTable.id)
    ))


def best_fit_order(tables: Iterable[TableT], party_size: int) -> list[TableT]:
    """Tables that take the party, fewest spare seats first, then the owner's order."""
    return sorted((t for t in tables if t.fits(party_size)),
                  key=lambda t: (t.seats - party_size, t.position, t.id))


@dataclass
class Occupancy:
    """Active stays per table over a window, sorted by start, for overlap tests."""

    stays: dict[int, list[tuple[dt.datetime, dt.datetime, int]]] = field(default_factory=dict)

    def add(self, table_id: int, starts_at: dt.datetime, ends_at: dt.datetime, rid: int) -> None:
        bisect.insort(self.stays.setdefault(table_id, []), (starts_at, ends_at, rid))

    def is_free(self, table_id: int, starts_at: dt.datetime, ends_at: dt.datetime,
                ignore: int | None = None) -> bool:
        for other_start, other_end, rid in self.stays.get(table_id, ()):
            if other_start >= ends_at:
                return True  # sorted by start: nothing later can overlap
            if rid != ignore and other_end > starts_at:
                return False
        return True


def occupancy(session: Session, restaurant_id: int, window_start: dt.datetime,
              window_end: dt.datetime, *, ignore: int | None = None,
              holds_at: dt.datetime | None = None, own_holder: str = "") -> Occupancy:
    """Active reservations overlapping [window_start, window_end), but ``ignore``, and
    the holds live at ``holds_at`` (booking/holds.py; None: now) but ``own_holder``'s
    (one query). A joined booking holds each of its tables (its parts' rows), each stay
    under the booking's id; a hold's stays go under its negative id."""
    query = (
        select(Reservation.table_id, Reservation.starts_at, Reservation.ends_at, BOOKING_ID)
        .where(Reservation.restaurant_id == restaurant_id,
               Reservation.status.in_(ACTIVE_STATUSES),
               overlapping_stays(window_start, window_end))
    )
    if ignore is not None:
        query = query.where(BOOKING_ID.is_distinct_from(ignore))
    held = (select(Hold.table_id, Hold.starts_at, Hold.ends_at, -Hold.id)
            .where(Hold.restaurant_id == restaurant_id,
                   Hold.expires_at > (holds_at or clock.now()),
                   Hold.holder_hash != own_holder,
                   Hold.starts_at < window_end, Hold.ends_at > window_start,
                   Hold.starts_at > window_start - OVERLAP_LOOKBACK))
    rows = session.execute(union_all(query, held)).all()
    occ = Occupancy()
    for table_id, starts_at, ends_at, rid in rows:
        occ.add(table_id, starts_at, ends_at, rid)
    return occ


def free_tables(tables: Sequence[TableT], occ: Occupancy, slot: Slot, party_size: int,
                ignore: int | None = None) -> list[TableT]:
    return [t for t in best_fit_order(tables, party_size)
            if occ.is_free(t.id, slot.starts_at, slot.ends_at, ignore)]


@dataclass(frozen=True)
class BookableTime:
    slot: Slot
    free_table_ids: tuple[int, ...]

    @property
    def starts_at(self) -> dt.datetime:
        return self.slot.starts_at


def _window(slots_: Sequence[Slot]) -> tuple[dt.datetime, dt.datetime]:
    return min(s.starts_at for s in slots_), max(s.ends_at for s in slots_)


def times_with_tables(session: Session, restaurant: Restaurant, candidates: Sequence[Slot],
                      party_size: int, ignore: int | None = None, *,
                      holder: str = "", now: dt.datetime | None = None) -> list[BookableTime]:
    """For each candidate slot, the tables free for the whole stay (2 queries): the single
    tables that take the party, or when none is free, the tables of the first free
    combination (best fit) that does."""
    if not candidates:
        return []
    # Sorted once for the party, not once per candidate slot; plain ids, because this
    # loop runs slots x tables times (ORM attribute access costs) and a table without
    # any stay in the window is free at every slot.
    setup = restaurant_setup(session, restaurant)
    table_ids = [t.id for t in best_fit_order(setup.tables, party_size)]
    joined = [c.table_ids for c in best_fit_order(setup.combinations, party_size)]
    start, end = _window(candidates)
    occ = occupancy(session, restaurant.id, start, end, holds_at=now, own_holder=holder)
    stays = occ.stays

    def free_at(tid: int, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
        return tid not in stays or occ.is_free(tid, starts_at, ends_at, ignore)

    result = []
    for slot in candidates:
        starts_at, ends_at = slot.starts_at, slot.ends_at
        free = tuple(tid for tid in table_ids if free_at(tid, starts_at, ends_at))
        if not free:
            free = next((ids for ids in joined
                         if all(free_at(tid, starts_at, ends_at) for tid in ids)), ())
        if free:
            result.append(BookableTime(slot, free))
    return result


def bookable_times(session: Session, restaurant: Restaurant, day: dt.date, party_size: int,
                   now: dt.datetime | None = None, *, online: bool = True,
                   schedule: Schedule | None = None,
                   ignore: int | None = None, holder: str = "") -> list[BookableTime]:
    """Start times on ``day`` (a service date) at which some suitable table is free for
    the whole turn time. ``online`` applies the guest rules: lead time, horizon and the
    largest online party, and the services' pace (booking/pacing.py: one more query on
    a paced day). ``ignore`` leaves one reservation out (the one being moved); tables
    others hold (booking/holds.py) are taken, ``holder``'s own hold is not.
    A fixed number of queries, whatever the size of the day."""
    schedule = schedule or load_schedule(session, restaurant)
    now = now or clock.now()
    if online:
        if party_size > schedule.max_online_party:
            return []
        candidates = slotlib.online_slots(schedule, day, party_size, now)
    else:
        candidates = slotlib.candidate_slots(schedule, day, party_size)
    times = times_with_tables(session, restaurant, candidates, party_size, ignore,
                              holder=holder, now=now)
    if online and times and pacing.day_is_paced(schedule, day):
        # Guests never go over the pace: its full times are not offered (owners see
        # them and are asked to override when they book one).
        full = pacing.full_starts(session, restaurant.id, schedule,
                                  [t.starts_at for t in times], party_size, ignore)
        times = [t for t in times if t.starts_at not in full]
    return times


def nearest_free_times(session: Session, restaurant: Restaurant, wanted: dt.datetime,
                       party_size: int, now: dt.datetime | None = None, *, online: bool = True,
                       limit: int = 4, schedule: Schedule | None = None,
                       ignore: int | None = None, other_days: int = 0) -> list[dt.datetime]:
    """Free start times closest to ``wanted`` (for "just taken"), best first: on its
    service day the times of the same service (lunch for lunch, dinner for dinner) by
    distance; when that leaves the list short and ``other_days`` > 0, the same service on
    the following days at the wall time nearest the asked one (one query per day looked
    at, only on this refusal path); last, the asked day's other services."""
    schedule = schedule or load_schedule(session, restaurant)
    day = slotlib.service_date_of(schedule, wanted)
    times = bookable_times(session, restaurant, day, party_size, now, online=online,
                           schedule=schedule, ignore=ignore)
    asked = slotlib.find_slot(schedule, wanted, party_size)
    service = asked.service if asked else None

    def distance(start: dt.datetime) -> float:
        return abs((start - wanted).total_seconds())

    same = sorted((t.starts_at for t in times if t.starts_at != wanted
                   and (service is None or t.slot.service == service)), key=distance)
    others = sorted((t.starts_at for t in times if t.starts_at != wanted
                     and service is not None and t.slot.service != service), key=distance)
    nearest = sorted(same[:limit])
    # Other days: the same service on the next days, at the time nearest the asked one.
    wall = wanted.astimezone(schedule.zone)
    for offset in range(1, other_days + 1):
        if len(nearest) >= limit:
            break
        later = day + dt.timedelta(days=offset)
        asked_then = dt.datetime.combine(later, wall.time(), tzinfo=schedule.zone)
        options = [t.starts_at for t in bookable_times(
            session, restaurant, later, party_size, now, online=online, schedule=schedule,
            ignore=ignore) if service is None or t.slot.service == service]
        if options:
            nearest.append(min(options, key=lambda s: (abs((s - asked_then).total_seconds()), s)))
    # Last, the asked day's other services (lunch for a sold-out dinner).
    return nearest + sorted(others[:max(0, limit - len(nearest))])


@dataclass(frozen=True)
class GridCell:
    """One (table, slot) of the day grid: free, or held by a reservation."""

    table_id: int
    starts_at: dt.datetime
    reservation_id: int | None

    @property
    def free(self) -> bool:
        return self.reservation_id is None


@dataclass
class DayGrid:
    """The owner's view of a service date: grid columns (every interval from each
    service's opening to its closing) × active tables."""

    day: dt.date
    tables: list[DiningTable]
    # The columns: one Slot per interval, [start, start + interval).
    slots: list[Slot]
    # Every reservation touching the day, any status, by start (cancelled ones included
    # so the owner can see them; only active ones hold cells).
    reservations: list[Reservation]
    cells: dict[tuple[int, dt.datetime], int | None]

    def cell(self, table_id: int, starts_at: dt.datetime) -> GridCell:
        return GridCell(table_id, starts_at, self.cells.get((table_id, starts_at)))


def day_grid(session: Session, restaurant: Restaurant, day: dt.date,
             schedule: Schedule | None = None) -> DayGrid:
    """Tables × grid columns for a service date, with the active reservation holding each
    cell: a cell [t, t + interval) is held when an active stay overlaps it. Three
    queries at most (schedule, tables, reservations), whatever the size of the day."""
    schedule = schedule or load_schedule(session, restaurant)
    columns = slotlib.grid_slots(schedule, day)
    tables = active_tables(session, restaurant.id)
    day_start = slotlib.to_utc(day, dt.time(0), schedule.zone)
    day_end = slotlib.to_utc(day + dt.timedelta(days=1), dt.time(0), schedule.zone)
    window_start = min([day_start] + [s.starts_at for s in columns])
    window_end = max([day_end] + [s.ends_at for s in columns])
    reservations = list(session.scalars(
        select(Reservation).where(Reservation.restaurant_id == restaurant.id,
                                  overlapping_stays(window_start, window_end))
        .order_by(Reservation.starts_at, Reservation.id)
    ))
    step = dt.timedelta(minutes=schedule.interval_minutes)
    starts = [column.starts_at for column in columns]
    cells: dict[tuple[int, dt.datetime], int | None] = {}
    for reservation in reservations:
        if reservation.status not in ACTIVE_STATUSES:
            continue
        # A joined booking's part holds its table's cells for the booking.
        booking_id = reservation.part_of or reservation.id
        # Columns are sorted and all one interval long: the held ones are those starting
        # in (stay start - interval, stay end).
        first = bisect.bisect_right(starts, reservation.starts_at - step)
        for column in columns[first:]:
            if column.starts_at >= reservation.ends_at:
                break
            cells[(reservation.table_id, column.starts_at)] = booking_id
    return DayGrid(day, tables, columns, [r for r in reservations if r.part_of is None], cells)
