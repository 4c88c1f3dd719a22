"""The day view's layout: tables × time as CSS grid rows and columns.

``availability.day_grid`` gives the tables and the reservations of a service
date; this module turns them into grid positions the template writes as class
names (``r-N``, ``c-N``, ``s-N`` in owner.css; the CSP forbids inline styles).

Columns are ``interval`` steps counted from the day's local midnight: every
step inside a service, plus any step a shown reservation covers (a walk-in
after closing still appears). Row 1 and column 1 hold the headers.
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
MAX_ROWS = 200
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

    @property
    def total_covers(self) -> int:
        return sum(s.covers for s in self.covers)

    def row_of(self, index: int) -> int:
        return index + 2


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
        blocks.append(Block(reservation, table_rows[reservation.table_id] + 2, covered[0],
                            len(covered)))
    placed = {b.reservation.id for b in blocks}
    off_grid = [r for r in grid.reservations if r.id not in placed]

    return DayLayout(day, restaurant.timezone, grid.tables[:MAX_ROWS], columns, blocks,
                     _covers(grid, services, windows, tz), off_grid,
                     fingerprint(session, restaurant, day, schedule), closed=not services)


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
                                    len(inside)))
    day_start = slotlib.to_utc(grid.day, dt.time(0), tz)
    day_end = slotlib.to_utc(grid.day + dt.timedelta(days=1), dt.time(0), tz)
    others = [r for r in counted if r.id not in assigned and day_start <= r.starts_at < day_end]
    if others:
        result.append(ServiceCovers("Outside services", "", "", sum(r.party_size for r in others),
                                    len(others)))
    return result


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
