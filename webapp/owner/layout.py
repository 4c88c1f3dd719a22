"""The day view's layout: tables × time as CSS grid rows and columns.

``availability.day_grid`` gives the tables and the reservations of a service
date; this module turns them into grid positions the template writes as class
names (``r-N``, ``c-N``, ``s-N`` in owner.css; the CSP forbids inline styles).

Columns are ``interval`` steps counted from the day's local midnight: every
step inside a service, plus any step a shown reservation covers (a walk-in
after closing still appears). Row 1 holds the times, row 2 the covers per
time, column 1 the tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..booking import slots as slotlib
from ..booking.availability import DayGrid, day_grid, load_schedule
from ..models import DiningTable, Reservation, Restaurant, overlapping_stays

# Reservations drawn on the grid; cancelled ones and no-shows are listed below it.
DRAWN = ("booked", "seated", "completed")
MAX_COLUMNS = 300  # owner.css defines c-1..c-301 and s-1..s-300
MAX_ROWS = 200  # owner.css defines r-1..r-202: the time header, the covers row, the tables
FIRST_TABLE_ROW = 3  # row 1: times, row 2: covers per time
PAST_STEP = dt.timedelta(minutes=5)  # how often the live grid redraws for the time alone


@dataclass(frozen=True)
class Column:
    number: int  # CSS grid column (2 = first time column)
    starts_at: dt.datetime
    label: str  # "19:00" on the hour and after a gap, else ""
    gap_before: bool
    in_service: bool
    header_span: int = 0  # columns the label covers (0: no header cell of its own)


@dataclass(frozen=True)
class Block:
    reservation: Reservation
    row: int
    column: int
    span: int


@dataclass(frozen=True)
class ServiceCovers:
    name: str
    opens: str
    closes: str
    covers: int
    bookings: int
    seated: int = 0  # covers already seated (or gone): the rest are still to come


@dataclass(frozen=True)
class SlotCovers:
    """The covers row: per time column, the parties arriving in it and who is in the room."""
    column: Column
    arriving: int  # covers of the bookings starting in this column (booked + seated)
    arriving_seated: int  # of which already seated (or completed)
    in_house: int  # covers whose stay covers the column's start

    @property
    def arriving_booked(self) -> int:
        return self.arriving - self.arriving_seated


@dataclass(frozen=True)
class Cell:
    """One grid cell of a table's row, in column order: a booking spanning its columns,
    a free slot (offered for booking), or a past or closed one."""
    kind: str  # "booking", "free", "past", "closed"
    column: Column
    span: int = 1
    block: Block | None = None


@dataclass(frozen=True)
class Row:
    table: DiningTable
    number: int  # CSS grid row
    cells: list[Cell]


@dataclass
class DayLayout:
    day: dt.date
    timezone: str
    tables: list[DiningTable]
    columns: list[Column]
    blocks: list[Block]
    covers: list[ServiceCovers]
    off_grid: list[Reservation] = field(default_factory=list)  # cancelled, no-show, other tables
    fingerprint: str = ""
    closed: bool = False  # no services on this date (weekly hours or a special day)
    # Cells starting before this are past: drawn, not offered for booking.
    now: dt.datetime = field(default_factory=clock.now)
    step: dt.timedelta = dt.timedelta(minutes=15)
    slots: list[SlotCovers] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    arrivals: list[Reservation] = field(default_factory=list)  # drawn ones, by time
    # Where the now line stands (its column), or None when now is not on this grid.
    now_column: int | None = None
    first_service_column: int | None = None

    @property
    def total_covers(self) -> int:
        return sum(s.covers for s in self.covers)

    def row_of(self, index: int) -> int:
        return index + FIRST_TABLE_ROW

    @property
    def focus_column(self) -> int | None:
        """The column the grid opens at and its one Tab stop starts in: now, else the
        first service."""
        return self.now_column or self.first_service_column


def _step_index(moment: dt.datetime, anchor: dt.datetime, step: dt.timedelta, up: bool) -> int:
    ratio = (moment - anchor) / step
    return math.ceil(ratio) if up else math.floor(ratio)


def build(session: Session, restaurant: Restaurant, day: dt.date) -> DayLayout:
    schedule = load_schedule(session, restaurant)
    grid: DayGrid = day_grid(session, restaurant, day, schedule=schedule)
    tz = schedule.zone
    step = dt.timedelta(minutes=schedule.interval_minutes)
    anchor = slotlib.to_utc(day, dt.time(0), tz)
    services = slotlib.services_on(schedule, day)
    windows = [slotlib.service_window(day, s, tz) for s in services]

    in_service: set[int] = set()
    for opens, closes in windows:
        in_service.update(range(_step_index(opens, anchor, step, False),
                                _step_index(closes, anchor, step, True)))
    table_rows = {t.id: i for i, t in enumerate(grid.tables[:MAX_ROWS])}
    drawn = [r for r in grid.reservations if r.status in DRAWN and r.table_id in table_rows]
    steps = set(in_service)
    for reservation in drawn:
        steps.update(range(_step_index(reservation.starts_at, anchor, step, False),
                           max(_step_index(reservation.ends_at, anchor, step, True),
                               _step_index(reservation.starts_at, anchor, step, False) + 1)))
    ordered = sorted(steps)[:MAX_COLUMNS]
    number_of = {k: i + 2 for i, k in enumerate(ordered)}
    columns = []
    for i, k in enumerate(ordered):
        starts_at = anchor + k * step
        local = starts_at.astimezone(tz)
        gap = i > 0 and ordered[i - 1] != k - 1
        label = local.strftime("%H:%M") if (i == 0 or gap or local.minute == 0) else ""
        columns.append(Column(number_of[k], starts_at, label, gap, k in in_service))
    # A label's header cell stretches over the unlabelled columns after it, so "19:00"
    # is never cut off by a narrow column.
    labelled = [i for i, c in enumerate(columns) if c.label] + [len(columns)]
    for start, end in zip(labelled, labelled[1:], strict=False):
        columns[start] = replace(columns[start], header_span=end - start)

    blocks = []
    for reservation in drawn:
        first = _step_index(reservation.starts_at, anchor, step, False)
        last = max(_step_index(reservation.ends_at, anchor, step, True), first + 1)
        covered = [number_of[k] for k in range(first, last) if k in number_of]
        if not covered:
            continue
        blocks.append(Block(reservation, table_rows[reservation.table_id] + FIRST_TABLE_ROW,
                            covered[0], len(covered)))
    placed = {b.reservation.id for b in blocks}
    off_grid = [r for r in grid.reservations if r.id not in placed]

    now = clock.now()
    tables = grid.tables[:MAX_ROWS]
    return DayLayout(day, restaurant.timezone, tables, columns, blocks,
                     _covers(grid, services, windows, tz), off_grid,
                     fingerprint(session, restaurant, day, schedule), closed=not services,
                     now=now, step=step, slots=_slots(columns, drawn, step),
                     rows=_rows(tables, columns, blocks, now),
                     arrivals=sorted(drawn, key=lambda r: (r.starts_at, r.id)),
                     now_column=_now_column(columns, step, now),
                     first_service_column=next((c.number for c in columns if c.in_service),
                                               None))


def _now_column(columns: list[Column], step: dt.timedelta, now: dt.datetime) -> int | None:
    """The column holding now; between two services the first column after it (the line
    stands at the gap); None before the grid's first column or after its last."""
    if not columns or now < columns[0].starts_at or now >= columns[-1].starts_at + step:
        return None
    for column in columns:
        if now < column.starts_at + step:
            return column.number
    return None  # unreachable: the last column ends after now


def _slots(columns: list[Column], drawn: list[Reservation],
           step: dt.timedelta) -> list[SlotCovers]:
    result = []
    for column in columns:
        ends = column.starts_at + step
        arriving = [r for r in drawn if column.starts_at <= r.starts_at < ends]
        result.append(SlotCovers(
            column, sum(r.party_size for r in arriving),
            sum(r.party_size for r in arriving if r.status != "booked"),
            sum(r.party_size for r in drawn if r.starts_at <= column.starts_at < r.ends_at)))
    return result


def _rows(tables: list[DiningTable], columns: list[Column], blocks: list[Block],
          now: dt.datetime) -> list[Row]:
    """Each table's row as cells in column order, every column once: the keyboard moves
    through them and screen readers count them (an ARIA grid). Columns a booking covers
    belong to its cell; two bookings sharing a rounded column (a walk-in ending at 20:52,
    the next at 20:55) both keep their cell and overlap by that column."""
    by_row: dict[int, list[Block]] = {}
    for block in blocks:
        by_row.setdefault(block.row, []).append(block)
    rows = []
    for i, table in enumerate(tables):
        number = i + FIRST_TABLE_ROW
        starts: dict[int, list[Block]] = {}
        covered: set[int] = set()
        for block in sorted(by_row.get(number, []), key=lambda b: (b.column, b.reservation.id)):
            starts.setdefault(block.column, []).append(block)
            covered.update(range(block.column, block.column + block.span))
        cells = []
        for column in columns:
            for block in starts.get(column.number, []):
                cells.append(Cell("booking", column, block.span, block))
            if column.number in covered:
                continue
            kind = "closed" if not column.in_service else \
                "past" if column.starts_at < now else "free"
            cells.append(Cell(kind, column))
        rows.append(Row(table, number, cells))
    return rows


def _covers(grid: DayGrid, services, windows, tz) -> list[ServiceCovers]:
    """Guests expected per service: booked, seated and completed parties starting in it."""
    result = []
    counted = [r for r in grid.reservations if r.status in DRAWN]
    assigned: set[int] = set()
    for service, (opens, closes) in zip(services, windows, strict=True):
        inside = [r for r in counted if opens <= r.starts_at < closes and r.id not in assigned]
        assigned.update(r.id for r in inside)
        result.append(ServiceCovers(service.name or "Service", f"{service.opens:%H:%M}",
                                    f"{service.closes:%H:%M}", sum(r.party_size for r in inside),
                                    len(inside), _seated(inside)))
    day_start = slotlib.to_utc(grid.day, dt.time(0), tz)
    day_end = slotlib.to_utc(grid.day + dt.timedelta(days=1), dt.time(0), tz)
    others = [r for r in counted if r.id not in assigned and day_start <= r.starts_at < day_end]
    if others:
        result.append(ServiceCovers("Outside services", "", "", sum(r.party_size for r in others),
                                    len(others), _seated(others)))
    return result


def _seated(reservations: list[Reservation]) -> int:
    return sum(r.party_size for r in reservations if r.status != "booked")


def fingerprint(session: Session, restaurant: Restaurant, day: dt.date,
                schedule: slotlib.Schedule | None = None) -> str:
    """Changes whenever anything drawn on the day could have changed (a few small
    queries), so the live refresh can answer "nothing new" without rendering the grid."""
    schedule = schedule or load_schedule(session, restaurant)
    tz = schedule.zone
    start = slotlib.to_utc(day - dt.timedelta(days=1), dt.time(0), tz)
    end = slotlib.to_utc(day + dt.timedelta(days=2), dt.time(0), tz)
    reservations = session.execute(
        select(func.count(Reservation.id), func.max(Reservation.updated_at),
               func.coalesce(func.sum(Reservation.version), 0), func.max(Reservation.id))
        .where(Reservation.restaurant_id == restaurant.id, overlapping_stays(start, end))).one()
    tables = session.execute(
        select(DiningTable.id, DiningTable.name, DiningTable.seats, DiningTable.position)
        .where(DiningTable.restaurant_id == restaurant.id, DiningTable.active.is_(True))
        .order_by(DiningTable.id)).all()
    # The time, to PAST_STEP: as the evening goes on, the cells that turned past stop
    # being offered even when no booking changed.
    past = int(clock.now().timestamp() // PAST_STEP.total_seconds())
    raw = repr((tuple(reservations), [tuple(t) for t in tables], schedule, past))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]
