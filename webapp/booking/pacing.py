"""Pacing: how many covers (guests) may start in one slot interval of a service, and in
the whole service.

A service may set ``pace_covers`` (e.g. 20 covers per 15-minute interval: the kitchen's
pace) and ``max_covers`` (e.g. 120 for the evening). A booking *counts* where it starts:

* its **pace slot** is the interval of the service's grid that holds its start
  (opening + k x interval; an owner's 19:10 counts in 19:00-19:15);
* its **service** is the first service (of the start's local date, then of the day
  before, for a service past midnight) whose [opening, closing) holds the start; a
  start in no service (an owner's booking before opening) counts nowhere.

Booked, seated and completed bookings count; cancelled and no-show ones do not, so a
cancellation or a no-show frees its covers without any lock (covers leaving can never
break a limit). A write that makes covers *arrive* (a booking, a move to another pace
slot, a larger party, a cancellation taken back) takes a restaurant-level advisory key
for what it counts -- (-restaurant id, the slot's start in epoch minutes) for the pace,
(-restaurant id, -the service's opening in epoch minutes) for the service limit -- in
the SAME sorted statement as its (table, bucket) keys (negative first numbers sort
before every table id, so the order of all keys stays one total order, as pretix
locks a quota), and re-counts under it. Keys never collide with a table's: table ids
are positive. On SQLite the write already holds the database's one write lock
(BEGIN IMMEDIATE), so the re-count under it is just as exclusive.

The old start's covers leave without a key: a concurrent writer that still sees them
counts too many, never too few. Owners may exceed a limit with an explicit override,
recorded in the booking's history; online guests never do, and online availability
hides the times that are full (:func:`full_starts`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from ..models import IS_BOOKING, Reservation
from . import slots as slotlib
from .errors import PaceExceeded
from .locks import TableSlotKey
from .slots import Schedule

# The statuses whose covers count: the ones that are, were or will be at the table.
PACED_STATUSES = ("booked", "seated", "completed")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _minute(instant: dt.datetime) -> int:
    return int((instant - _EPOCH).total_seconds() // 60)


@dataclass(frozen=True)
class PaceWindow:
    """What a start at some instant counts against: its pace slot and its service."""

    service: str
    service_date: dt.date
    service_start: dt.datetime
    service_end: dt.datetime
    slot_start: dt.datetime
    slot_end: dt.datetime
    pace_covers: int | None
    max_covers: int | None

    @property
    def same_slot_key(self) -> tuple[dt.datetime, dt.datetime]:
        return self.slot_start, self.service_start

    def lock_keys(self, restaurant_id: int) -> list[TableSlotKey]:
        """The restaurant-level keys of what this window limits (sorted with the table
        keys by locks.advisory_xact_lock)."""
        keys = []
        if self.pace_covers is not None:
            keys.append((-restaurant_id, _minute(self.slot_start)))
        if self.max_covers is not None:
            keys.append((-restaurant_id, -_minute(self.service_start)))
        return keys

    def counted_range(self) -> tuple[dt.datetime, dt.datetime]:
        if self.max_covers is not None:
            return self.service_start, self.service_end
        return self.slot_start, self.slot_end


def window_for(schedule: Schedule, starts_at: dt.datetime) -> PaceWindow | None:
    """The pace window a start counts in, or None when its service has no limits (or
    the start lies in no service)."""
    tz = schedule.zone
    step = dt.timedelta(minutes=schedule.interval_minutes)
    local_day = starts_at.astimezone(tz).date()
    for day in (local_day, local_day - dt.timedelta(days=1)):
        for service in slotlib.services_on(schedule, day):
            opens, closes = slotlib.service_window(day, service, tz)
            if not opens <= starts_at < closes:
                continue
            if not service.paced:
                return None
            slot_start = opens + ((starts_at - opens) // step) * step
            return PaceWindow(service.name, day, opens, closes, slot_start,
                              min(slot_start + step, closes), service.pace_covers,
                              service.max_covers)
    return None


def day_is_paced(schedule: Schedule, day: dt.date) -> bool:
    return any(service.paced for service in slotlib.services_on(schedule, day))


# Covers in [low, high) (the whole counted range) and in [slot_start, slot_end), the
# reservation being moved left out (0: none; ids start at 1); a joined booking's
# covers once (its parts are no bookings).
_starts = Reservation.starts_at
COVERS = (select(func.coalesce(func.sum(Reservation.party_size), 0).label("in_service"),
                 func.coalesce(func.sum(case(
                     (and_(_starts >= bindparam("slot_start"), _starts < bindparam("slot_end")),
                      Reservation.party_size), else_=0)), 0).label("in_slot"))
           .where(Reservation.restaurant_id == bindparam("restaurant_id"),
                  Reservation.status.in_(PACED_STATUSES),
                  _starts >= bindparam("low"), _starts < bindparam("high"),
                  Reservation.id != bindparam("ignore"), IS_BOOKING))


def count_params(restaurant_id: int, window: PaceWindow, ignore: int | None) -> dict[str, object]:
    """COVERS's parameters for the window (``ignore``: the reservation being moved)."""
    low, high = window.counted_range()
    return {"restaurant_id": restaurant_id, "slot_start": window.slot_start,
            "slot_end": window.slot_end, "low": low, "high": high, "ignore": ignore or 0}


def covers(session: Session, restaurant_id: int, window: PaceWindow,
           ignore: int | None = None) -> tuple[int, int]:
    """(covers starting in the window's pace slot, in its service) -- one query; the
    service figure is only meaningful when the service has a limit."""
    total, in_slot = session.connection().execute(
        COVERS, count_params(restaurant_id, window, ignore)).one()
    return int(in_slot), int(total)


def _hhmm(instant: dt.datetime, schedule: Schedule) -> str:
    return instant.astimezone(schedule.zone).strftime("%H:%M")


def over_pace(schedule: Schedule, window: PaceWindow, in_slot: int, in_service: int,
              party_size: int) -> str | None:
    """What is exceeded if ``party_size`` more covers start in the window, or None."""
    name = window.service or "the service"
    if window.pace_covers is not None and in_slot + party_size > window.pace_covers:
        return (f"{_hhmm(window.slot_start, schedule)}–{_hhmm(window.slot_end, schedule)} "
                f"already has {in_slot} of its {window.pace_covers} covers.")
    if window.max_covers is not None and in_service + party_size > window.max_covers:
        return f"{name} already has {in_service} of its {window.max_covers} covers."
    return None


@dataclass(frozen=True)
class PaceCheck:
    """The pace a placing write must keep: taken under its keys by the booking service
    (``service.CandidateLoop.claim``), re-counted after them."""

    restaurant_id: int
    schedule: Schedule
    window: PaceWindow
    party_size: int
    # The owner's text for the history when the write may exceed the pace; None: it
    # may not (PaceExceeded).
    override: str | None = None
    # Whether the refusal tells the caller an override exists (the restaurant's own
    # writes: yes; a guest's: no).
    may_override: bool = True

    def keys(self) -> list[TableSlotKey]:
        return self.window.lock_keys(self.restaurant_id)

    def count_params(self, ignore: int | None) -> dict[str, object]:
        """COVERS's parameters: the booking service reads the counts in its re-check's
        own statement (service._claim_tables), one round trip under the keys."""
        return count_params(self.restaurant_id, self.window, ignore)

    def recount(self, session: Session, ignore: int | None) -> str | None:
        """Under the keys: raise PaceExceeded when the covers would go over a limit,
        unless the owner overrides; then the override's text (None: not needed)."""
        return self.judge(*covers(session, self.restaurant_id, self.window, ignore))

    def judge(self, in_slot: int, in_service: int) -> str | None:
        """``recount`` on counts already read under the keys."""
        problem = over_pace(self.schedule, self.window, in_slot, in_service, self.party_size)
        if problem is None:
            return None
        if self.override is None:
            raise PaceExceeded(problem, may_override=self.may_override)
        return f"{self.override} ({problem})"


def check_for(restaurant_id: int, schedule: Schedule, starts_at: dt.datetime,
              party_size: int, *, override: str | None = None, may_override: bool = True,
              was: tuple[dt.datetime, int, bool] | None = None) -> PaceCheck | None:
    """The PaceCheck a write placing ``party_size`` covers at ``starts_at`` needs, or
    None when no covers arrive anywhere limited. ``was``: the reservation's start,
    party size and whether its covers counted before the write (a change): a stay that
    keeps its pace slot and service without growing adds nothing to any count."""
    window = window_for(schedule, starts_at)
    if window is None:
        return None
    if was is not None:
        old_start, old_party, counted = was
        old = window_for(schedule, old_start)
        if (counted and old is not None and old.same_slot_key == window.same_slot_key
                and party_size <= old_party):
            return None
    return PaceCheck(restaurant_id, schedule, window, party_size, override, may_override)


# --------------------------------------------------------------------------- availability


def full_starts(session: Session, restaurant_id: int, schedule: Schedule,
                  starts: Sequence[dt.datetime], party_size: int,
                  ignore: int | None = None) -> set[dt.datetime]:
    """Of ``starts``, those where ``party_size`` more covers would go over the pace (one
    query over the paced services' range; none when nothing is paced)."""
    windows = {start: window_for(schedule, start) for start in starts}
    paced = [w for w in windows.values() if w is not None]
    if not paced:
        return set()
    low = min(w.service_start for w in paced)
    high = max(w.service_end for w in paced)
    query = (select(Reservation.starts_at, Reservation.party_size)
             .where(Reservation.restaurant_id == restaurant_id,
                    Reservation.status.in_(PACED_STATUSES), IS_BOOKING,
                    Reservation.starts_at >= low, Reservation.starts_at < high))
    if ignore is not None:
        query = query.where(Reservation.id != ignore)
    rows = [(start, party) for start, party in session.execute(query).all()]
    full: set[dt.datetime] = set()
    for start, window in windows.items():
        if window is None:
            continue
        in_slot, in_service = _count(rows, window)
        if over_pace(schedule, window, in_slot, in_service, party_size) is not None:
            full.add(start)
    return full


def _count(rows: Iterable[tuple[dt.datetime, int]], window: PaceWindow) -> tuple[int, int]:
    in_slot = in_service = 0
    for starts_at, party_size in rows:
        if window.service_start <= starts_at < window.service_end:
            in_service += party_size
        if window.slot_start <= starts_at < window.slot_end:
            in_slot += party_size
    return in_slot, in_service
