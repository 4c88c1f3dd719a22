"""The owner's table combinations: which 2-3 tables may be joined for one party, and
for which party sizes. List, add, change, remove.

Called by the dashboard (``webapp/owner/combinations.py``) and the API
(``webapp/api/combination_views.py``) alike, so both doors store the same rows and meet
the same refusal (:class:`~.setup.SetupRefused`, naming the field to correct). The forms
check only the shape of the input (numbers are numbers); every rule is here.

Bookings are not touched: removing or changing a combination leaves a reservation that
already holds joined tables on those tables (it is the owner's booking to move). The
booking rules read the combinations through the cached set-up (``booking/setup.py``);
the database triggers give the restaurant a new set-up stamp on every write here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...models import CombinationTable, DiningTable, Restaurant, TableCombination
from ..rules import MAX_PARTY
from .committing import committed
from .setup import AnySession, SetupRefused

MIN_TABLES, MAX_TABLES = 2, 3
NAME_MAX = 120
MAX_ID = 2**31 - 1  # the database's integer: no row has a larger id

# The refusals (fixed English: the dashboard looks each up by it, owner/combinations.py).
TABLE_COUNT = "Choose 2 or 3 tables to join."
TABLE_TWICE = "Choose each table once."
TABLE_UNKNOWN = "No such table at this restaurant."
SAME_TABLES = "Another combination already joins these tables."
NAME_TAKEN = "Another combination already has this name."
NAME_TOO_LONG = "A combination's name has at most 120 characters."
PARTY_RANGE = f"A party is between 1 and {MAX_PARTY} guests."
MIN_OVER_MAX = "The smallest party cannot be larger than the largest party."


@dataclass(frozen=True)
class CombinationDetails:
    """What the owner gives; an empty name or party bound takes its default
    (:func:`resolved`)."""

    table_ids: tuple[int, ...]
    name: str = ""
    min_party: int | None = None
    max_party: int | None = None
    position: int = 0


def default_name(tables: Sequence[DiningTable]) -> str:
    """"Napoli + Milano": the tables' names in the owner's table order."""
    return " + ".join(t.name for t in sorted(tables, key=lambda t: (t.position, t.id)))


def default_range(tables: Sequence[DiningTable], min_party: int | None,
                  max_party: int | None) -> tuple[int, int]:
    """The party range when the owner leaves a bound empty: up to every seat of the joined
    tables, and from one more than the largest single table takes (a smaller party fits on
    one of them alone), never above the largest."""
    high = max_party if max_party is not None else sum(t.seats for t in tables)
    if min_party is not None:
        return min_party, high
    largest_single = max(t.max_party if t.max_party is not None else t.seats for t in tables)
    return max(1, min(largest_single + 1, high)), high


def _tables_of(session: AnySession, restaurant: Restaurant,
               table_ids: Sequence[int]) -> list[DiningTable]:
    if not MIN_TABLES <= len(table_ids) <= MAX_TABLES:
        raise SetupRefused(TABLE_COUNT, field="tables")
    if len(set(table_ids)) != len(table_ids):
        raise SetupRefused(TABLE_TWICE, field="tables")
    if any(not 0 <= table_id <= MAX_ID for table_id in table_ids):
        raise SetupRefused(TABLE_UNKNOWN, field="tables")
    rows = list(session.scalars(select(DiningTable).where(
        DiningTable.restaurant_id == restaurant.id, DiningTable.id.in_(table_ids))))
    if len(rows) != len(table_ids):
        raise SetupRefused(TABLE_UNKNOWN, field="tables")
    return rows


def _check_range(low: int, high: int) -> None:
    if not 1 <= low <= MAX_PARTY:
        raise SetupRefused(PARTY_RANGE, field="min_party")
    if not 1 <= high <= MAX_PARTY:
        raise SetupRefused(PARTY_RANGE, field="max_party")
    if low > high:
        raise SetupRefused(MIN_OVER_MAX, field="min_party")


def _same_tables(session: AnySession, restaurant: Restaurant, table_ids: Sequence[int],
                 combination_id: int | None) -> bool:
    """Whether another combination of the restaurant joins exactly these tables."""
    query = (select(CombinationTable.combination_id, CombinationTable.table_id)
             .where(CombinationTable.restaurant_id == restaurant.id))
    if combination_id is not None:
        query = query.where(CombinationTable.combination_id != combination_id)
    sets: dict[int, set[int]] = {}
    for cid, tid in session.execute(query):
        sets.setdefault(cid, set()).add(tid)
    return set(table_ids) in sets.values()


def _name_clash(session: AnySession, restaurant_id: int, name: str,
                combination_id: int | None) -> Callable[[], SetupRefused | None]:
    """After a unique-constraint refusal (two owners saving at once): the name, or a table
    removed meanwhile (its foreign key)."""
    def explain() -> SetupRefused | None:
        query = select(TableCombination.id).where(TableCombination.restaurant_id == restaurant_id,
                                                  TableCombination.name == name)
        if combination_id is not None:
            query = query.where(TableCombination.id != combination_id)
        if session.scalar(query.limit(1)) is not None:
            return SetupRefused(NAME_TAKEN, field="name")
        return SetupRefused(TABLE_UNKNOWN, field="tables")
    return explain


@dataclass(frozen=True)
class _Resolved:
    tables: list[DiningTable]
    name: str
    min_party: int
    max_party: int
    position: int


def resolved(session: AnySession, restaurant: Restaurant, details: CombinationDetails,
             combination_id: int | None = None) -> _Resolved:
    """The details checked against the rules, defaults filled in; else SetupRefused."""
    tables = _tables_of(session, restaurant, details.table_ids)
    name = details.name.strip() or default_name(tables)
    if len(name) > NAME_MAX:
        raise SetupRefused(NAME_TOO_LONG, field="name")
    low, high = default_range(tables, details.min_party, details.max_party)
    _check_range(low, high)
    if _same_tables(session, restaurant, details.table_ids, combination_id):
        raise SetupRefused(SAME_TABLES, field="tables")
    taken = select(TableCombination.id).where(TableCombination.restaurant_id == restaurant.id,
                                              TableCombination.name == name)
    if combination_id is not None:
        taken = taken.where(TableCombination.id != combination_id)
    if session.scalar(taken.limit(1)) is not None:
        raise SetupRefused(NAME_TAKEN, field="name")
    return _Resolved(tables, name, low, high, details.position)


def _lock_restaurant(session: AnySession, restaurant: Restaurant) -> None:
    # Two owners saving combinations at once are taken one after the other, so the
    # "same tables" check (no constraint can say it) sees the other's commit. NO KEY
    # UPDATE (the lock the set-up stamp trigger's UPDATE takes anyway): bookings, whose
    # foreign key takes KEY SHARE on the restaurant row, are not held up.
    session.execute(select(Restaurant.id).where(Restaurant.id == restaurant.id)
                    .with_for_update(key_share=True))


def _members(restaurant: Restaurant, tables: Sequence[DiningTable]) -> list[CombinationTable]:
    return [CombinationTable(table_id=t.id, restaurant_id=restaurant.id) for t in tables]


def list_combinations(session: AnySession, restaurant: Restaurant) -> list[TableCombination]:
    """Every combination of the restaurant, in the owner's order (position, id), its tables
    loaded (also those switched off: the combination is then not offered)."""
    return list(session.scalars(
        select(TableCombination).where(TableCombination.restaurant_id == restaurant.id)
        .options(selectinload(TableCombination.members).selectinload(CombinationTable.table))
        .order_by(TableCombination.position, TableCombination.id)))


def tables_of(combination: TableCombination) -> list[DiningTable]:
    """A combination's tables in the owner's table order (the first holds the booking)."""
    return sorted((m.table for m in combination.members), key=lambda t: (t.position, t.id))


def get_combination(session: AnySession, restaurant: Restaurant,
                    combination_id: int) -> TableCombination | None:
    return session.scalar(
        select(TableCombination).where(TableCombination.id == combination_id,
                                       TableCombination.restaurant_id == restaurant.id)
        .options(selectinload(TableCombination.members).selectinload(CombinationTable.table)))


def add_combination(session: AnySession, restaurant: Restaurant,
                    details: CombinationDetails) -> TableCombination:
    row = TableCombination(restaurant_id=restaurant.id)
    with committed(session, lambda: _name_clash(session, restaurant.id, row.name, None)()):
        _lock_restaurant(session, restaurant)
        found = resolved(session, restaurant, details)
        row.name, row.min_party, row.max_party = found.name, found.min_party, found.max_party
        row.position = found.position
        row.members = _members(restaurant, found.tables)
        session.add(row)
    return row


def change_combination(session: AnySession, restaurant: Restaurant, row: TableCombination,
                       details: CombinationDetails) -> TableCombination:
    """New tables, name or party range; bookings already on its tables keep them."""
    if row.restaurant_id != restaurant.id:
        raise ValueError(f"{row!r} does not belong to restaurant {restaurant.id}")
    with committed(session, lambda: _name_clash(session, restaurant.id, row.name, row.id)()):
        _lock_restaurant(session, restaurant)
        found = resolved(session, restaurant, details, row.id)
        row.name, row.min_party, row.max_party = found.name, found.min_party, found.max_party
        row.position = found.position
        wanted = {t.id for t in found.tables}
        if {m.table_id for m in row.members} != wanted:
            row.members = []  # delete-orphan: flushed before the new rows
            session.flush()
            row.members = _members(restaurant, found.tables)
    return row


def remove_combination(session: AnySession, restaurant: Restaurant,
                       row: TableCombination) -> None:
    """The tables are no longer joined for new bookings; a booking that already holds
    them keeps them (its part rows belong to the reservation, not the combination)."""
    if row.restaurant_id != restaurant.id:
        raise ValueError(f"{row!r} does not belong to restaurant {restaurant.id}")
    with committed(session):
        session.delete(row)
