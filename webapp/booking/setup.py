"""A restaurant's set-up as plain data, cached per process: the schedule (hours,
special days, booking rules), the active tables and the usable table combinations.

Every booking and every availability answer needs them, and they change only when
the owner edits something, so each process keeps the last copy it read per
restaurant. Freshness rests on ``restaurants.setup_stamp``: database triggers give it
a new random value whenever a table, a service, a special day or one of its services
is inserted, changed or deleted, by this app or anyone else (see schema_triggers.py and the
migrations). A lookup reads the stamp (one small query, in the caller's transaction,
so it sees the caller's own flushed edits; none when the restaurant row was just read
in this transaction and nothing was written since) and reuses the copy only when the
stamp and the restaurant's own rule fields are those the copy was built from.

Why random rather than a counter: a copy read inside a transaction that then rolls
back must never match a later, different committed change; a counter would reach the
same value again, a random stamp (practically) never does. The stamp is read before
the data, so a copy is never older than the stamp it is filed under.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, scoped_session, selectinload

from ..database import writes_in_transaction
from ..models import (
    CombinationTable,
    DiningTable,
    OpeningHours,
    Restaurant,
    SpecialDay,
    TableCombination,
)
from .slots import Schedule, ServiceHours, SpecialDayRule


@dataclass(frozen=True)
class TableInfo:
    """An active table, as the booking rules see it (immutable: shared between requests)."""

    id: int
    name: str
    seats: int
    min_party: int
    max_party: int | None
    area: str
    position: int

    @property
    def largest_party(self) -> int:
        return self.max_party if self.max_party is not None else self.seats

    def fits(self, party_size: int) -> bool:
        return self.min_party <= party_size <= self.largest_party


@dataclass(frozen=True)
class CombinationInfo:
    """Tables that may be joined for one party, as the booking rules see it: usable only
    while every one of its tables is active (read_combinations leaves the others out)."""

    id: int
    name: str
    # Its tables in the owner's table order (position, id); the first holds the booking.
    table_ids: tuple[int, ...]
    min_party: int
    max_party: int
    seats: int  # all its tables' seats: the best fit wastes the fewest
    position: int

    @property
    def largest_party(self) -> int:
        return self.max_party

    def fits(self, party_size: int) -> bool:
        return self.min_party <= party_size <= self.max_party


@dataclass(frozen=True)
class RestaurantSetup:
    schedule: Schedule
    # Active tables in the owner's order (position, id).
    tables: tuple[TableInfo, ...]
    # Combinations whose tables are all active, in the owner's order (position, id).
    combinations: tuple[CombinationInfo, ...] = ()


_cache: dict[int, tuple[tuple[object, ...], RestaurantSetup]] = {}
_cache_lock = threading.Lock()


def _rule_fields(restaurant: Restaurant) -> tuple[object, ...]:
    """The restaurant's own columns the schedule is built from (part of the cache key:
    the stamp covers the other tables only)."""
    return (restaurant.timezone, restaurant.slot_interval_minutes,
            restaurant.default_turn_minutes, repr(sorted((restaurant.turn_times or {}).items())),
            restaurant.lead_time_minutes, restaurant.horizon_days, restaurant.max_online_party)


# session.info: {restaurant id: (transaction, writes so far, stamp)}, the stamps read in
# the current transaction, good until it writes anything.
_STAMPS = "booking_setup_stamps"


def _real(session: Session | scoped_session[Session]) -> Session:
    return session() if isinstance(session, scoped_session) else session


def note_stamp(session: Session, restaurant: Restaurant) -> None:
    """Remember the stamp of a restaurant row just read in this transaction (the lookup
    of a restaurant by its address does this), so the set-up check needs no query."""
    _remember_stamp(_real(session), restaurant.id, restaurant.setup_stamp)


def _remember_stamp(session: Session, restaurant_id: int, stamp: int) -> None:
    session.info.setdefault(_STAMPS, {})[restaurant_id] = (
        session.get_transaction(), writes_in_transaction(session), stamp)


# Built once; populate_existing: the row's values (and stamp) as of this query, even if
# the session held the restaurant from an earlier transaction.
_BY_SLUG = (select(Restaurant).where(Restaurant.slug == bindparam("slug"))
            .execution_options(populate_existing=True))


def restaurant_by_slug(session: Session, slug: str) -> Restaurant | None:
    """The restaurant at ``slug`` (None if there is none), its set-up stamp noted."""
    restaurant = session.scalar(_BY_SLUG, {"slug": slug})
    if restaurant is not None:
        note_stamp(session, restaurant)
    return restaurant


def _current_stamp(session: Session, restaurant: Restaurant) -> int:
    session = _real(session)
    seen = session.info.get(_STAMPS, {}).get(restaurant.id)
    transaction = session.get_transaction()
    if (seen is not None and transaction is not None and seen[0] is transaction
            and seen[1] == writes_in_transaction(session)):
        noted: int = seen[2]
        return noted
    stamp = session.execute(
        select(Restaurant.setup_stamp).where(Restaurant.id == restaurant.id)).scalar_one()
    _remember_stamp(session, restaurant.id, stamp)
    return stamp


def restaurant_setup(session: Session, restaurant: Restaurant) -> RestaurantSetup:
    """The restaurant's schedule and active tables: the cached copy when still current
    (no query when the stamp was read in this transaction, else one), or read afresh
    (three or four queries) and cached."""
    key = (_current_stamp(session, restaurant), _rule_fields(restaurant))
    cached = _cache.get(restaurant.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    tables = read_tables(session, restaurant.id)
    setup = RestaurantSetup(read_schedule(session, restaurant), tables,
                            read_combinations(session, restaurant.id, tables))
    with _cache_lock:
        _cache[restaurant.id] = (key, setup)
    return setup


def cached_setup(restaurant: Restaurant) -> RestaurantSetup | None:
    """The copy this process last cached for ``restaurant``, if it was built from the
    restaurant's current rule fields, without reading the stamp (no query); None when
    there is none. For a write that already took its set-up through
    ``restaurant_setup`` in this transaction (the guest's e-mail, written after the
    booking, only needs the schedule to name the service date)."""
    cached = _cache.get(restaurant.id)
    if cached is None or cached[0][1] != _rule_fields(restaurant):
        return None
    return cached[1]


def clear_cache() -> None:
    """Forget every cached set-up (tests that compare cached and uncached reads)."""
    with _cache_lock:
        _cache.clear()


def read_tables(session: Session, restaurant_id: int) -> tuple[TableInfo, ...]:
    rows = session.execute(
        select(DiningTable.id, DiningTable.name, DiningTable.seats, DiningTable.min_party,
               DiningTable.max_party, DiningTable.area, DiningTable.position)
        .where(DiningTable.restaurant_id == restaurant_id, DiningTable.active.is_(True))
        .order_by(DiningTable.position, DiningTable.id)
    ).all()
    return tuple(TableInfo(*row) for row in rows)


def read_combinations(session: Session, restaurant_id: int,
                      tables: tuple[TableInfo, ...]) -> tuple[CombinationInfo, ...]:
    """The restaurant's combinations whose tables are all among ``tables`` (the active
    ones): one with a table switched off cannot be offered (one query)."""
    rows = session.execute(
        select(TableCombination.id, TableCombination.name, TableCombination.min_party,
               TableCombination.max_party, TableCombination.position, CombinationTable.table_id)
        .join(CombinationTable, CombinationTable.combination_id == TableCombination.id)
        .where(TableCombination.restaurant_id == restaurant_id)
        .order_by(TableCombination.position, TableCombination.id)
    ).all()
    order = {t.id: index for index, t in enumerate(tables)}
    seats = {t.id: t.seats for t in tables}
    members: dict[int, list[int]] = defaultdict(list)
    heads: dict[int, tuple[str, int, int, int]] = {}
    for cid, name, low, high, position, table_id in rows:
        heads[cid] = (name, low, high, position)
        members[cid].append(table_id)
    found = []
    for cid, (name, low, high, position) in heads.items():
        ids = members[cid]
        if len(ids) < 2 or any(tid not in order for tid in ids):
            continue
        ids.sort(key=order.__getitem__)
        found.append(CombinationInfo(cid, name, tuple(ids), low, high,
                                     sum(seats[tid] for tid in ids), position))
    return tuple(found)


def read_schedule(session: Session, restaurant: Restaurant) -> Schedule:
    """The restaurant's rules as plain data, straight from the database (two queries)."""
    hours = session.scalars(
        select(OpeningHours).where(OpeningHours.restaurant_id == restaurant.id)
        .order_by(OpeningHours.weekday, OpeningHours.opens)
    ).all()
    specials = session.scalars(
        select(SpecialDay).where(SpecialDay.restaurant_id == restaurant.id)
        .options(selectinload(SpecialDay.services)).order_by(SpecialDay.id)
    ).all()
    weekly: dict[int, list[ServiceHours]] = defaultdict(list)
    for row in hours:
        weekly[row.weekday].append(ServiceHours(row.opens, row.closes, row.name, row.last_seating,
                                                row.pace_covers, row.max_covers))
    return Schedule(
        timezone=restaurant.timezone,
        interval_minutes=restaurant.slot_interval_minutes,
        default_turn_minutes=restaurant.default_turn_minutes,
        turn_times={int(k): int(v) for k, v in (restaurant.turn_times or {}).items()},
        weekly={day: tuple(services) for day, services in weekly.items()},
        special_days=tuple(
            SpecialDayRule(
                s.start_date, s.end_date, s.closed,
                tuple(ServiceHours(x.opens, x.closes, x.name, x.last_seating, x.pace_covers,
                                   x.max_covers) for x in s.services),
                s.reason,
            )
            for s in specials
        ),
        lead_time_minutes=restaurant.lead_time_minutes,
        horizon_days=restaurant.horizon_days,
        max_online_party=restaurant.max_online_party,
    )
