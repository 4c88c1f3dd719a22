"""The tables a booking holds, with their names: its own (``Reservation.table_id``) first,
then each part row's (``Reservation.part_of``), in the order they were joined.

The API's Reservation, the webhook payload and every page or e-mail that names "the
table" read them here, so a booking on Napoli and Milano is named "Napoli + Milano"
everywhere. Lists read the parts of all their rows in one query (``parts_of``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select

from webapp.models import DiningTable, Reservation


class HeldTable(NamedTuple):
    id: int
    name: str


# Part rows come in the order the write made them (one INSERT per further table, in
# the placement's order), so the id orders them.
_PARTS = (select(Reservation.part_of, Reservation.table_id, DiningTable.name)
          .join(DiningTable, DiningTable.id == Reservation.table_id)
          .where(Reservation.part_of.in_(bindparam("ids", expanding=True)))
          .order_by(Reservation.part_of, Reservation.id))


def parts_of(session: Any, booking_ids: Iterable[int]) -> dict[int, list[HeldTable]]:
    """The further tables of each of these bookings (none: not in the answer); one query,
    none for no ids."""
    ids = sorted(set(booking_ids))
    found: dict[int, list[HeldTable]] = {}
    if not ids:
        return found
    for part_of, table_id, name in session.execute(_PARTS, {"ids": ids}):
        found.setdefault(part_of, []).append(HeldTable(table_id, name))
    return found


def held(reservation: Reservation, first_name: str | None,
         parts: Sequence[HeldTable] = ()) -> list[HeldTable]:
    """Every table ``reservation`` holds: its own (named ``first_name``; None loads the
    table) and then ``parts``."""
    if first_name is None:
        first_name = reservation.table.name if reservation.table is not None else ""
    return [HeldTable(reservation.table_id, first_name), *parts]


def tables_of(session: Any, reservation: Reservation,
              first_name: str | None = None) -> list[HeldTable]:
    """Every table one booking holds (one query for its parts)."""
    return held(reservation, first_name, parts_of(session, [reservation.id]).get(
        reservation.id, []))


def joined_name(tables: Sequence[HeldTable]) -> str:
    """"Napoli + Milano": how a page or e-mail names the tables of one booking."""
    return " + ".join(t.name for t in tables)
