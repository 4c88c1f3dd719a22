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

import bisect
import datetime as dt
import functools
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..booking import slots as slotlib
from ..booking.setup import RestaurantSetup, TableInfo, restaurant_setup
from ..i18n import language
from ..models import Reservation, Restaurant, overlapping_stays
from .labels import STATUS

# Reservations drawn on the grid; cancelled ones and no-shows are listed below it.
DRAWN = ("booked", "seated", "completed")
MAX_COLUMNS = 300  # owner.css defines c-1..c-301 and s-1..s-300
MAX_ROWS = 200  # owner.css defines r-1..r-202: the time header, the covers row, the tables
FIRST_TABLE_ROW = 3  # row 1: times, row 2: covers per time
PAST_STEP = dt.timedelta(minutes=5)  # how often the live grid redraws for the time alone

class Shown(NamedTuple):
    """What the day view shows of a reservation: read as plain rows, not ORM objects (a
    busy day at 200 tables has hundreds), and kept as a tuple, whose attributes cost a
    twentieth of a SQLAlchemy Row's."""
    id: int
    table_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    party_size: int
    guest_name: str
    guest_email: str
    notes: str
    status: str
    source: str
    confirmed_at: dt.datetime | None
    version: int
    # A joined booking's part row (its further table): the booking's id, else None.
    part_of: int | None


SHOWN = tuple(getattr(Reservation, name) for name in Shown._fields)


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
    reservation: Shown
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


class Cell(NamedTuple):
    """One grid cell of a table's row, in column order: a booking spanning its columns,
    a free slot (offered for booking), or a past or closed one. A tuple, not a frozen
    dataclass: a 200-table day has ten thousand of them, and a frozen dataclass costs
    several times as much to make."""
    kind: str  # "booking", "free", "past", "closed"
    column: Column
    span: int = 1
    block: Block | None = None


@dataclass(frozen=True)
class Row:
    table: TableInfo
    number: int  # CSS grid row
    cells: list[Cell]


@dataclass
class DayLayout:
    day: dt.date
    timezone: str
    tables: list[TableInfo]
    columns: list[Column]
    blocks: list[Block]
    covers: list[ServiceCovers]
    off_grid: list[Shown] = field(default_factory=list)  # cancelled, no-show, other tables
    fingerprint: str = ""
    closed: bool = False  # no services on this date (weekly hours or a special day)
    # Cells starting before this are past: drawn, not offered for booking.
    now: dt.datetime = field(default_factory=clock.now)
    step: dt.timedelta = dt.timedelta(minutes=15)
    slots: list[SlotCovers] = field(default_factory=list)
    arrivals: list[Shown] = field(default_factory=list)  # drawn ones, by time
    # Where the now line stands (its column), or None when now is not on this grid.
    now_column: int | None = None
    first_service_column: int | None = None
    # What the grid's and the list's bookings share in this render, per ref (_Bookings).
    writers: dict[str, _Bookings] = field(default_factory=dict, repr=False, compare=False)
    # The joined bookings' tables, their first (the booking's row) first, by booking id;
    # a booking on one table is not in it.
    joined: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def table_names(self, reservation: Shown) -> str:
        """"Napoli + Milano": every table the booking holds, by name."""
        names = self.name_of_table
        held = self.joined.get(reservation.id, (reservation.table_id,))
        return " + ".join(names.get(t, "") for t in held)

    @functools.cached_property
    def name_of_table(self) -> dict[int, str]:
        return {t.id: t.name for t in self.tables}

    @property
    def total_covers(self) -> int:
        return sum(s.covers for s in self.covers)

    def row_of(self, index: int) -> int:
        return index + FIRST_TABLE_ROW

    @functools.cached_property
    def rows(self) -> list[Row]:
        """Each table's row as cells in column order (what rows_html writes, as data)."""
        return _rows(self.tables, self.columns, self.blocks, self.now)

    @property
    def focus_column(self) -> int | None:
        """The column the grid opens at and its one Tab stop starts in: now, else the
        first service."""
        return self.now_column or self.first_service_column

    def rows_html(self, ref: str) -> Iterator[Markup]:
        """The tables' rows of the grid, one string per row
        (templates/partials/owner_grid.html)."""
        return _rows_html(self, ref)

    def slots_html(self) -> Markup:
        """The covers row's cells (templates/partials/owner_grid.html)."""
        return _slots_html(self)

    def arrivals_html(self, ref: str, csrf_field: str) -> Iterator[Markup]:
        """The list's arrivals, one string each (templates/partials/owner_day_list.html)."""
        return _arrivals_html(self, ref, csrf_field)


def _step_index(moment: dt.datetime, anchor: dt.datetime, step: dt.timedelta, up: bool) -> int:
    ratio = (moment - anchor) / step
    return math.ceil(ratio) if up else math.floor(ratio)


def _shown(session: Session, restaurant: Restaurant, day: dt.date,
           schedule: slotlib.Schedule) -> list[Shown]:
    """Every reservation touching the day (its columns, which may run past midnight), any
    status, by start: one query, an index range scan by restaurant and time."""
    tz = schedule.zone
    columns = slotlib.grid_slots(schedule, day)
    window_start = min([slotlib.to_utc(day, dt.time(0), tz)] + [s.starts_at for s in columns])
    window_end = max([slotlib.to_utc(day + dt.timedelta(days=1), dt.time(0), tz)]
                     + [s.ends_at for s in columns])
    rows = session.execute(
        select(*SHOWN).where(Reservation.restaurant_id == restaurant.id,
                             overlapping_stays(window_start, window_end))
        .order_by(Reservation.starts_at, Reservation.id)).tuples()
    return [Shown._make(row) for row in rows]


def build(session: Session, restaurant: Restaurant, day: dt.date) -> DayLayout:
    """The day's layout: the restaurant's set-up from the per-process cache
    (booking/setup.py: the schedule and the active tables), the day's reservations in
    one query, the fingerprint in one more."""
    setup = restaurant_setup(session, restaurant)
    schedule = setup.schedule
    reservations = _shown(session, restaurant, day, schedule)
    tz = schedule.zone
    step = dt.timedelta(minutes=schedule.interval_minutes)
    anchor = slotlib.to_utc(day, dt.time(0), tz)
    services = slotlib.services_on(schedule, day)
    windows = [slotlib.service_window(day, s, tz) for s in services]

    in_service: set[int] = set()
    for opens, closes in windows:
        in_service.update(range(_step_index(opens, anchor, step, False),
                                _step_index(closes, anchor, step, True)))
    tables = list(setup.tables[:MAX_ROWS])
    table_rows = {t.id: i for i, t in enumerate(tables)}
    # A joined booking's part rows are drawn on their tables but counted, listed and
    # arriving once, as their booking (``bookings``).
    joined = _joined(reservations)
    bookings = [r for r in reservations if r.part_of is None] if joined else reservations
    drawn = [r for r in reservations if r.status in DRAWN and r.table_id in table_rows]
    arriving = [r for r in drawn if r.part_of is None] if joined else drawn
    steps = set(in_service)
    spans = []  # each drawn stay's steps, [first, last)
    for reservation in drawn:
        first = _step_index(reservation.starts_at, anchor, step, False)
        last = max(_step_index(reservation.ends_at, anchor, step, True), first + 1)
        spans.append((first, last))
        steps.update(range(first, last))
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
    for reservation, (first, last) in zip(drawn, spans, strict=True):
        covered = [number_of[k] for k in range(first, last) if k in number_of]
        if not covered:
            continue
        blocks.append(Block(reservation, table_rows[reservation.table_id] + FIRST_TABLE_ROW,
                            covered[0], len(covered)))
    # A booking is on the grid when any of its rows is (a part's too: its first table
    # may be inactive).
    placed = {b.reservation.part_of or b.reservation.id for b in blocks}
    off_grid = [r for r in bookings if r.id not in placed]

    now = clock.now()
    return DayLayout(day, restaurant.timezone, tables, columns, blocks,
                     _covers(day, bookings, services, windows, tz), off_grid,
                     fingerprint(session, restaurant, day, setup), closed=not services,
                     now=now, step=step, slots=_slots(columns, arriving, step),
                     arrivals=sorted(arriving, key=lambda r: (r.starts_at, r.id)),
                     now_column=_now_column(columns, step, now),
                     first_service_column=next((c.number for c in columns if c.in_service),
                                               None),
                     joined=joined)


def _joined(reservations: list[Shown]) -> dict[int, tuple[int, ...]]:
    """Each joined booking's tables, its own first, then its parts' in their order (the
    query's: by start, then id, and a part shares its booking's start and comes after
    it). Empty, and no second list made, on a day without joined bookings."""
    first: dict[int, int] = {}
    parts: dict[int, list[int]] = {}
    for r in reservations:
        if r.part_of is None:
            first[r.id] = r.table_id
        else:
            parts.setdefault(r.part_of, []).append(r.table_id)
    return {booking: (first[booking], *tables) for booking, tables in parts.items()
            if booking in first}


def _now_column(columns: list[Column], step: dt.timedelta, now: dt.datetime) -> int | None:
    """The column holding now; between two services the first column after it (the line
    stands at the gap); None before the grid's first column or after its last."""
    if not columns or now < columns[0].starts_at or now >= columns[-1].starts_at + step:
        return None
    for column in columns:
        if now < column.starts_at + step:
            return column.number
    return None  # unreachable: the last column ends after now


def _slots(columns: list[Column], drawn: list[Shown],
           step: dt.timedelta) -> list[SlotCovers]:
    # Columns are sorted: each stay adds to the columns starting inside it (bisect), and
    # its party arrives in the column holding its start; linear in columns + stays.
    starts = [c.starts_at for c in columns]
    arriving = [0] * len(columns)
    seated = [0] * len(columns)
    in_house = [0] * len(columns)
    for r in drawn:
        i = bisect.bisect_right(starts, r.starts_at) - 1
        if i >= 0 and r.starts_at < starts[i] + step:
            arriving[i] += r.party_size
            if r.status != "booked":
                seated[i] += r.party_size
        for j in range(bisect.bisect_left(starts, r.starts_at),
                       bisect.bisect_left(starts, r.ends_at)):
            in_house[j] += r.party_size
    return [SlotCovers(column, arriving[i], seated[i], in_house[i])
            for i, column in enumerate(columns)]


def _rows(tables: list[TableInfo], columns: list[Column], blocks: list[Block],
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


def _url_around_id(endpoint: str, ref: str) -> tuple[str, str]:
    """A reservation URL as the text before and after its id: url_for once, not once
    per booking (a 200-table evening has hundreds)."""
    url = url_for(endpoint, ref=ref, reservation_id=987654321)
    head, tail = url.split("987654321")
    return head, tail


# "–" and "✓" as character references: the same text in the page, and the rows stay
# Latin-1 (one byte a character in CPython); a single character beyond it made a
# row's string twice as long and its UTF-8 encoding several times slower.
_DASH = "&ndash;"
_CHECK = "&#10003;"
# The holes in a cell's markup, in order: the row's number, the table's id and its name.
_FREE_HOLES = ("r", "t", "t", "n")
_OTHER_HOLES = ("r", "t")
_HOLE = "\x01"
# A run of cells of one kind: their markup as literal pieces with a hole between each two
# (pieces[1::2]), the holes' names per cell, the number of cells.
_Segment = tuple[list[str], tuple[str, ...], int]


def _rows_html(day_layout: DayLayout, ref: str) -> Iterator[Markup]:
    """The tables' rows as one string. At 200 tables × a day of 15-minute columns they
    are ten thousand cells, which Jinja (an escape and a lookup per value, a url_for per
    link) took about a second to write. Here each column's cell is made once, with holes
    for what differs per row (the row's number, the table's id and name); the run of
    free (or past, or closed) cells between two bookings is those pieces laid end to end,
    kept for every row with the same run, and a row fills the holes with slice
    assignments and joins. The markup (the ARIA grid and what owner-day.js and
    owner-drag.js read) is described in templates/partials/owner_grid.html; a free cell
    carries only what differs from its neighbours or what works without JavaScript."""
    shared = _Bookings.of(day_layout, ref)
    tz = shared.tz
    columns = day_layout.columns
    new_url = url_for("owner.new_reservation", ref=ref)
    now = day_layout.now
    book_label = shared.words.book
    holes: list[tuple[str, ...]] = []  # per column: the holes of its cell
    pieces: list[tuple[list[str], list[str]]] = []  # per column: tabindex -1, tabindex 0
    for column in columns:
        local = column.starts_at.astimezone(tz)
        hm = _hm(column.starts_at, tz)  # not strftime: several times slower
        col = column.number
        gap = " gap" if column.gap_before else ""
        h = _HOLE
        if not column.in_service or column.starts_at < now:
            kind = "past" if column.in_service else "closed"
            cell = (f'<span role="gridcell" class="cell {kind} r-{h} c-{col}{gap}"'
                    f' id="cell-{h}-{col}" tabindex="\x00"></span>')
            holes.append(_OTHER_HOLES)
        else:
            cell = (f'<div role="gridcell"><a class="cell r-{h} c-{col}{gap}" id="cell-{h}-{col}"'
                    f' tabindex="\x00" href="{new_url}?date={local:%Y-%m-%d}&amp;time={hm}&amp;table={h}"'
                    f' aria-label="{book_label % {"table": h, "time": hm}}"></a></div>')
            holes.append(_FREE_HOLES)
        pieces.append((cell.replace("\x00", "-1").split(h), cell.replace("\x00", "0").split(h)))
    cached: dict[tuple[int, int], list[_Segment]] = {}

    def segments(start: int, end: int, focus: int = -1) -> list[_Segment]:
        """Columns [start, end) (indexes); ``focus``: the one Tab stop among them."""
        if focus < 0 and (start, end) in cached:
            return cached[(start, end)]
        result = []
        i = start
        while i < end:
            kind = holes[i]
            run = [""]
            first = i
            while i < end and holes[i] is kind:
                texts = pieces[i][1 if i == focus else 0]
                run[-1] += texts[0]
                for text in texts[1:]:
                    run += ("", text)
                i += 1
            result.append((run, kind, i - first))
        if focus < 0:
            cached[(start, end)] = result
        return result

    by_row: dict[int, list[Block]] = {}
    for block in day_layout.blocks:
        by_row.setdefault(block.row, []).append(block)
    # The one Tab stop: the first cell of the first row holding the focus column.
    focus = day_layout.focus_column
    focus_at = focus - 2 if focus else -1  # its index in columns
    out: list[str] = []
    add = out.append

    def fill(found: list[_Segment], values: dict[str, str]) -> None:
        for run, kind, count in found:
            run = run.copy()
            stride = 2 * len(kind)
            for j, hole in enumerate(kind):
                run[1 + 2 * j::stride] = [values[hole]] * count
            out.extend(run)

    for i, table in enumerate(day_layout.tables):
        number = i + FIRST_TABLE_ROW
        tid = table.id
        name = str(escape(table.name))
        area = f" · {escape(table.area)}" if table.area else ""
        add(f'<div role="row" class="grid-row table-row" data-table="{tid}">'
            f'<div class="table-head r-{number} c-1" role="rowheader" id="th-{tid}"'
            f' tabindex="-1"><strong>{name}</strong>'
            f' <small>{table.seats}{area}</small></div>')
        values = {"r": str(number), "t": str(tid), "n": name}
        reach = 0  # columns before this index are written (or covered by a booking)
        for block in sorted(by_row.get(number, ()), key=lambda b: (b.column, b.reservation.id)):
            start = block.column - 2
            if start > reach:
                here = focus_at if reach <= focus_at < start else -1
                fill(segments(reach, start, here), values)
                if here >= 0:
                    focus_at = -1
            tabindex = "-1"
            if start <= focus_at < start + block.span:
                tabindex, focus_at = "0", -1
            gap = " gap" if columns[start].gap_before else ""
            if block.reservation.part_of is None:
                add(_booking_html(block.reservation, number, block.column, block.span, gap,
                                  tabindex, tid, shared))
            else:
                add(_part_html(block.reservation, number, block.column, block.span, gap,
                               tabindex, tid, shared))
            reach = max(reach, start + block.span)
        if reach < len(columns):
            here = focus_at if reach <= focus_at else -1
            fill(segments(reach, len(columns), here), values)
        focus_at = -1  # the first row holds every column: its Tab stop is placed
        add("</div>\n")
        # A string per row, not one for the grid: the template's output is joined once
        # more anyway, and each copy of a 2.7 MB string (Markup, escape) costs
        # milliseconds where a row's 14 kB stays in the cache.
        yield Markup("".join(out))
        out.clear()


class _Words(NamedTuple):
    """The grid's and the list's words in one language, escaped, looked up once per
    language and process: a full evening writes them hundreds of times. Plain strings,
    not Markup: a Markup's ``%`` escapes each value again in Python, and every value put
    in them here is escaped already (or a number)."""

    book: str  # a free cell's label: %(table)s, %(time)s
    confirmed_title: str
    confirmed: str
    person: str
    people: str
    late: str  # %(time)s
    seat: str
    seat_guest: str  # %(guest)s
    cancel: str
    cancel_guest: str  # %(guest)s
    party: str  # a booking's party on the grid, short: %(num)s ("3p")
    joined_with: str  # a joined booking's further table: %(table)s, its first
    status: dict[str, str]
    # The covers row's cells: a time with arrivals (who of them is seated), and without.
    slot_arrivals: str  # %(time)s %(arriving)s %(seated)s %(coming)s %(room)s
    slot_plain: str  # %(time)s %(arriving)s %(room)s


def _esc(text: str) -> str:
    return str(escape(text))


@functools.lru_cache(maxsize=8)
def _words_in(code: str) -> _Words:
    del code  # the cache's key: the current language, which gettext reads itself
    # gettext with no values returns the message as it is ("%(table)s" stays for us to
    # fill); escaping it leaves the placeholders alone.
    return _Words(
        book=_esc(_("Book %(table)s at %(time)s")),
        confirmed_title=_esc(_("The guest confirmed from the reminder")),
        confirmed=_esc(_("confirmed")), person=_esc(_("person")),
        people=_esc(_("people")), late=_esc(_("late, due %(time)s")),
        seat=_esc(_("Seat")), seat_guest=_esc(_("Seat %(guest)s")),
        cancel=_esc(_("Cancel")), cancel_guest=_esc(_("Cancel %(guest)s")),
        party=_esc(_("%(num)sp")),
        joined_with=_esc(_("joined with %(table)s")),
        status={code: _esc(word) for code, word in STATUS.items()},
        slot_arrivals=_esc(_("%(time)s: %(arriving)s arriving (%(seated)s seated, "
                             "%(coming)s to come), %(room)s in the room")),
        slot_plain=_esc(_("%(time)s: %(arriving)s arriving, %(room)s in the room")))


def _words() -> _Words:
    return _words_in(language())


def _hm(moment: dt.datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.hour:02d}:{local.minute:02d}"


class _Bookings:
    """What every booking's markup shares, worked out once per render (the grid and the
    list both write each booking): the words, the URLs around the id, the escaped status
    and source codes (a few distinct ones for hundreds of bookings), the wall times and
    each guest's escaped name."""

    @classmethod
    def of(cls, day_layout: DayLayout, ref: str) -> _Bookings:
        found = day_layout.writers.get(ref)
        if found is None:
            found = day_layout.writers[ref] = cls(day_layout, ref)
        return found

    def __init__(self, day_layout: DayLayout, ref: str) -> None:
        self.tz = slotlib.zone(day_layout.timezone)
        self.words = _words()
        self.detail = _url_around_id("owner.reservation_detail", ref)
        self.move = _url_around_id("owner.move_reservation", ref)
        self.status_url = _url_around_id("owner.set_status", ref)
        self._codes: dict[str, str] = {}
        self._states: dict[str, str] = {}
        self._guests: dict[int, str] = {}
        self._times: dict[dt.datetime, str] = {}
        self.joined = day_layout.joined
        # The joined bookings' own rows (a part's cell moves its booking, at its version).
        self.booking_of: dict[int, Shown] = {
            b.reservation.id: b.reservation for b in day_layout.blocks
            if b.reservation.id in self.joined} if self.joined else {}
        self._tables: dict[int, str] = {}
        self._layout = day_layout

    def code(self, value: str) -> str:
        """A status or source code, escaped (they are our own, but a class name)."""
        found = self._codes.get(value)
        if found is None:
            found = self._codes[value] = _esc(value)
        return found

    def state(self, status: str) -> str:
        """A status in words."""
        found = self._states.get(status)
        if found is None:
            found = self._states[status] = (self.words.status.get(status)
                                            or _esc(status.replace("_", " ")))
        return found

    def hm(self, moment: dt.datetime) -> str:
        """A moment's wall time, "19:30": bookings start and end at a few dozen times."""
        found = self._times.get(moment)
        if found is None:
            found = self._times[moment] = _hm(moment, self.tz)
        return found

    def tables(self, booking: Shown) -> str:
        """A joined booking's tables, escaped: "Napoli + Milano"."""
        found = self._tables.get(booking.id)
        if found is None:
            found = self._tables[booking.id] = _esc(self._layout.table_names(booking))
        return found

    def first_table(self, booking_id: int) -> str:
        """The name of the table a joined booking's row is on, escaped."""
        return _esc(self._layout.name_of_table.get(self.joined[booking_id][0], ""))

    def guest(self, res: Shown) -> str:
        found = self._guests.get(res.id)
        if found is None:
            found = self._guests[res.id] = _esc(res.guest_name)
        return found


def _booking_html(res: Shown, r: int, col: int, span: int, gap: str, tabindex: str,
                  tid: int, shared: _Bookings) -> str:
    words = shared.words
    starts = shared.hm(res.starts_at)
    ends = shared.hm(res.ends_at)
    guest = shared.guest(res)
    status = shared.code(res.status)
    colspan = f' aria-colspan="{span}"' if span > 1 else ""
    confirmed = ' data-confirmed="yes"' if res.confirmed_at else ""
    movable = _movable(res, tid, starts, shared)
    tables = ""
    if res.id in shared.joined:
        tables = f" · {shared.tables(res)}"
    state = shared.state(res.status)
    if res.confirmed_at and res.status == "booked":
        state += (f' · <span class="confirmed" title="{words.confirmed_title}">'
                  f'{_CHECK} {words.confirmed}</span>')
    detail = shared.detail
    # The gridcell's column and span are its drop target's classes (c-N s-M), which
    # owner-day.js reads: no data-col/data-span of its own.
    return (f'<div role="gridcell"{colspan}>'
            f'<span class="cell under r-{r} c-{col} s-{span}{gap}" aria-hidden="true">'
            f'</span>'
            f'<a class="booking status-{status} source-{shared.code(res.source)} r-{r} c-{col}'
            f' s-{span}" id="booking-{res.id}" tabindex="{tabindex}"'
            f' href="{detail[0]}{res.id}{detail[1]}" data-reservation="{res.id}"'
            f' data-status="{status}"{confirmed}{movable}'
            f' title="{guest} · {res.party_size} · {starts}{_DASH}{ends}{tables}">'
            f'<span class="guest">{guest}</span>'
            f' <span class="party">{words.party % {"num": res.party_size}} · {starts}</span>'
            f' <span class="state">{state}</span></a></div>')


def _movable(res: Shown, tid: int, starts: str, shared: _Bookings) -> str:
    """What owner-drag.js needs to move a booked or seated booking (``res``: its own row,
    ``tid``: the table of the cell dragged); a joined booking's tables too (dropped on one
    of them at another time, it keeps them all)."""
    if res.status not in ("booked", "seated"):
        return ""
    minutes = int((res.ends_at - res.starts_at).total_seconds() // 60)
    move = shared.move
    joined = shared.joined.get(res.id)
    tables = f' data-tables="{" ".join(map(str, joined))}"' if joined else ""
    return (f' data-move-url="{move[0]}{res.id}{move[1]}" data-table="{tid}"{tables}'
            f' data-time="{starts}" data-version="{res.version}"'
            f' data-party="{res.party_size}" data-minutes="{minutes}"')


def _part_html(part: Shown, r: int, col: int, span: int, gap: str, tabindex: str,
               tid: int, shared: _Bookings) -> str:
    """A joined booking on one of its further tables: "joined with Napoli", linking to
    the booking and dragged like it (its own row's version and move)."""
    booking_id = part.part_of
    assert booking_id is not None
    booking = shared.booking_of.get(booking_id, part)
    starts = shared.hm(part.starts_at)
    ends = shared.hm(part.ends_at)
    guest = shared.guest(booking)
    status = shared.code(part.status)
    colspan = f' aria-colspan="{span}"' if span > 1 else ""
    movable = _movable(booking, tid, starts, shared) if booking is not part else ""
    joined = shared.words.joined_with % {"table": shared.first_table(booking_id)}
    detail = shared.detail
    return (f'<div role="gridcell"{colspan}>'
            f'<span class="cell under r-{r} c-{col} s-{span}{gap}" aria-hidden="true">'
            f'</span>'
            f'<a class="booking joined-part status-{status} source-{shared.code(part.source)}'
            f' r-{r} c-{col} s-{span}" id="booking-{booking_id}-t{tid}" tabindex="{tabindex}"'
            f' href="{detail[0]}{booking_id}{detail[1]}" data-reservation="{booking_id}"'
            f' data-status="{status}"{movable}'
            f' title="{guest} · {part.party_size} · {starts}{_DASH}{ends} · {joined}">'
            f'<span class="guest">{guest}</span>'
            f' <span class="party joined">{joined}</span></a></div>')


def _arrivals_html(day_layout: DayLayout, ref: str, csrf_field: str) -> Iterator[Markup]:
    """The arrivals as list items, in time order: as for the grid's rows, hundreds of
    them on a full evening were too many for Jinja (an escape, a lookup and a join per
    value). The markup is described in templates/partials/owner_day_list.html."""
    shared = _Bookings.of(day_layout, ref)
    detail = shared.detail
    status_url = shared.status_url
    names = {t.id: _esc(t.name) for t in day_layout.tables}
    now = day_layout.now
    words = shared.words
    for r in day_layout.arrivals:
        status = shared.code(r.status)
        guest = shared.guest(r)
        starts = shared.hm(r.starts_at)
        people = words.person if r.party_size == 1 else words.people
        marks = ""
        if r.status == "booked":
            if r.confirmed_at:
                marks = f' <small class="confirmed">{_CHECK} {words.confirmed}</small>'
            if r.starts_at < now:
                marks += f' <small class="late">{words.late % {"time": starts}}</small>'
        notes = f'\n<p class="notes">{escape(r.notes)}</p>' if r.notes else ""
        actions = ""
        if r.status == "booked":
            action = f"{status_url[0]}{r.id}{status_url[1]}"
            notify = ('<input type="hidden" name="notify_guest" value="y">'
                      if r.guest_email else "")
            actions = (
                f'\n<div class="arrival-actions">\n'
                f'<form method="post" action="{action}" hx-post="{action}" hx-target="#panel"'
                f' hx-swap="innerHTML" data-quiet>\n{csrf_field}\n'
                f'<input type="hidden" name="status" value="seated">\n'
                f'<input type="hidden" name="version" value="{r.version}">\n'
                f'<button type="submit" aria-label="{words.seat_guest % {"guest": guest}}">'
                f'{words.seat}</button>\n</form>\n'
                f'<form method="post" action="{action}" hx-post="{action}" hx-target="#panel"'
                f' hx-swap="innerHTML">\n{csrf_field}\n'
                f'<input type="hidden" name="status" value="cancelled">\n'
                f'<input type="hidden" name="version" value="{r.version}">\n{notify}\n'
                f'<button type="submit" class="secondary"'
                f' aria-label="{words.cancel_guest % {"guest": guest}}">{words.cancel}'
                f'</button>\n</form>\n</div>')
        yield Markup(
            f'<li class="arrival status-{status}" id="arrival-{r.id}" data-reservation="{r.id}">\n'
            f'<span class="arrival-time">{starts}</span>\n<div class="arrival-main">\n'
            f'<a href="{detail[0]}{r.id}{detail[1]}" class="arrival-name">{guest}</a>\n'
            f'<span class="arrival-facts">{r.party_size} {people} · '
            f'{shared.tables(r) if r.id in shared.joined else names[r.table_id]}</span>\n'
            f'<span class="badge status-{status}">{shared.state(r.status)}</span>'
            f'{marks}{notes}\n</div>{actions}\n</li>\n')


def _slots_html(day_layout: DayLayout) -> Markup:
    """The covers row's cells (templates/partials/owner_grid.html): per time, the
    parties arriving and the room's heat (how full it is, of all the seats, 0-4)."""
    tz = slotlib.zone(day_layout.timezone)
    words = _words()
    seats = sum(t.seats for t in day_layout.tables) or 1
    out = []
    for slot in day_layout.slots:
        column = slot.column
        hm = _hm(column.starts_at, tz)
        level = min(math.ceil(slot.in_house * 4 / seats), 4)
        gap = " gap" if column.gap_before else ""
        values = {"time": hm, "arriving": slot.arriving, "seated": slot.arriving_seated,
                  "coming": slot.arriving_booked, "room": slot.in_house}
        plain = words.slot_plain % values
        label = words.slot_arrivals % values if slot.arriving else plain
        out.append(f'<div class="slot r-2 c-{column.number} heat-{level}{gap}" role="gridcell"'
                   f' data-t="{int(column.starts_at.timestamp() * 1000)}"'
                   f' data-col="{column.number}" data-time="{hm}"'
                   f' aria-label="{label}" title="{plain}">{slot.arriving or ""}</div>')
    return Markup("\n".join(out))


def _covers(day: dt.date, reservations: list[Shown], services, windows,
            tz) -> list[ServiceCovers]:
    """Guests expected per service: booked, seated and completed parties starting in it."""
    result = []
    counted = [r for r in reservations if r.status in DRAWN]
    assigned: set[int] = set()
    for service, (opens, closes) in zip(services, windows, strict=True):
        inside = [r for r in counted if opens <= r.starts_at < closes and r.id not in assigned]
        assigned.update(r.id for r in inside)
        result.append(ServiceCovers(service.name or _("Service"), f"{service.opens:%H:%M}",
                                    f"{service.closes:%H:%M}", sum(r.party_size for r in inside),
                                    len(inside), _seated(inside)))
    day_start = slotlib.to_utc(day, dt.time(0), tz)
    day_end = slotlib.to_utc(day + dt.timedelta(days=1), dt.time(0), tz)
    others = [r for r in counted if r.id not in assigned and day_start <= r.starts_at < day_end]
    if others:
        result.append(ServiceCovers(_("Outside services"), "", "", sum(r.party_size for r in others),
                                    len(others), _seated(others)))
    return result


def _seated(reservations: list[Shown]) -> int:
    return sum(r.party_size for r in reservations if r.status != "booked")


def fingerprint(session: Session, restaurant: Restaurant, day: dt.date,
                setup: RestaurantSetup | None = None) -> str:
    """Changes whenever anything drawn on the day could have changed (one small query,
    the set-up from the per-process cache), so the live refresh can answer "nothing
    new" without rendering the grid."""
    setup = setup or restaurant_setup(session, restaurant)
    tz = setup.schedule.zone
    start = slotlib.to_utc(day - dt.timedelta(days=1), dt.time(0), tz)
    end = slotlib.to_utc(day + dt.timedelta(days=2), dt.time(0), tz)
    reservations = session.execute(
        select(func.count(Reservation.id), func.max(Reservation.updated_at),
               func.coalesce(func.sum(Reservation.version), 0), func.max(Reservation.id))
        .where(Reservation.restaurant_id == restaurant.id, overlapping_stays(start, end))).one()
    # The time, to PAST_STEP: as the evening goes on, the cells that turned past stop
    # being offered even when no booking changed.
    past = int(clock.now().timestamp() // PAST_STEP.total_seconds())
    # The set-up (schedule and active tables) is current for this transaction: its
    # cache is keyed on the restaurant's set-up stamp, which triggers renew on every
    # change to a table, a service or a special day.
    raw = repr((tuple(reservations), setup.tables, setup.schedule, past))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]
