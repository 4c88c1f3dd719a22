"""The locked write: book, change, cancel and status moves.

Every write is one transaction that follows the same protocol (see
``spec/BookingManager.tla`` and ``webapp/booking/README.md``)::

    BEGIN                                  -- BEGIN IMMEDIATE on SQLite
    SET LOCAL lock_timeout = '3000ms'      -- book: set by the first lock statement
    SELECT ... FOR UPDATE                  -- change/status: the reservation row, first
    pg_advisory_xact_lock(guest)           -- sorted; one guest, one stay at a time
    pg_advisory_xact_lock(table, bucket)   -- sorted; every bucket the new stay touches
    re-check: nothing active on that table overlaps the stay
    INSERT / UPDATE
    COMMIT                                 -- locks are released here, also on error
                                           -- book: history + outbox rows sent with it

Auto-assignment tries the candidate tables best fit first, ONE TABLE PER
TRANSACTION: when the re-check finds a table taken, that transaction rolls back
(releasing its locks) and the next candidate gets a fresh one. Tables an
unlocked read already shows as taken are skipped without locking.
:class:`CandidateLoop` is that loop, shared by :func:`book` and :func:`change`.

Lock order is therefore fixed: row lock, then guest keys, then the keys of a
single table, each group sorted. Nobody waits for a row while holding an
advisory lock, nor for a second table while holding a first, so no cycle of
waits (deadlock) can form. The exclusion constraint (a trigger on SQLite) stays
as a backstop: if a bug let two writers past the re-check, the second write
fails and becomes :class:`SlotTaken` with ``by_constraint=True``, never a 500.

Status moves take the row lock only: they never make a stay active, so they
cannot create an overlap.

The parts live in their own modules: the transaction (``transaction.py``), the rules
(``rules.py``: the stay, the candidates, the transitions), the guest's identity and
manage token (``tokens.py``). Their public names are also importable from here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Executable, and_, bindparam, delete, false, insert, or_, select, union_all
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..models import (
    ACTIVE_STATUSES,
    BOOKING_ID,
    IS_BOOKING,
    OVERLAP_LOOKBACK,
    SOURCES,
    DiningTable,
    Hold,
    Reservation,
    ReservationEvent,
    Restaurant,
    overlapping_stays,
)
from . import locks, pacing, tail
from .availability import AnyTable, best_fit_order, load_schedule, nearest_free_times, occupancy
from .errors import (
    BookingError,
    GuestAlreadyBooked,
    PaceExceeded,
    ReservationNotFound,
    SlotTaken,
    TableInactive,
    TableRemoved,
)
from .languages import booking_language, checked
from .rules import (
    MAX_PARTY,
    ONLINE_SOURCES,
    TRANSITIONS,
    ChangePlan,
    GuestDetails,
    Placement,
    candidates,
    check_guest_may_change,
    check_owner_may_change,
    check_reinstatable,
    check_status_move,
    check_version,
    plan_change,
    plan_stay,
)
from .setup import RestaurantSetup, restaurant_setup
from .slots import Schedule
from .tokens import hash_token, new_manage_token, normalise_email, normalise_phone
from .transaction import DEFAULT_POLICY, WritePolicy, write_transaction

__all__ = [
    "BEFORE_WRITE_HOOKS", "BOOKED_OBSERVERS", "DEFAULT_POLICY", "MAX_PARTY", "ONLINE_SOURCES",
    "TRANSITIONS", "AfterWrite", "BeforeWrite", "BookingResult", "GuestDetails", "WritePolicy",
    "book", "cancel", "change", "find_by_token", "hash_token", "new_manage_token",
    "normalise_email", "normalise_phone", "plan_stay", "reinstate", "set_status", "utcnow",
    "write_transaction",
]


class AfterWrite(Protocol):
    """Called inside the booking transaction after the write, e.g. to queue the e-mail in
    the outbox, so a rolled-back booking leaves no trace. ``action`` is "created",
    "changed", "reinstated" (a no-show or cancellation taken back) or the new status;
    ``manage_token`` is the guest's clear manage token on "created" (it exists nowhere
    else: only its hash is stored), else None."""

    def __call__(self, session: Session, reservation: Reservation, action: str, *,
                 manage_token: str | None) -> None: ...


# Called with the source ("online", "api", "phone", "walk_in") of each booking once it
# has committed (the metrics module counts them). Observers must be quick and must not raise.
BOOKED_OBSERVERS: list[Callable[[str], None]] = []

# TEST-ONLY. Called inside the write transaction once the locks are held and the
# re-checks passed, right before the INSERT/UPDATE: hook(session, table_id, starts_at,
# ends_at). The concurrency tests use it to hold writers at exactly that point, so
# the control race (locks off) is certain rather than lucky. Application code never
# adds to it.
BeforeWrite = Callable[[Session, int, dt.datetime, dt.datetime], None]
BEFORE_WRITE_HOOKS: list[BeforeWrite] = []


@dataclass(frozen=True)
class BookingResult:
    reservation: Reservation
    # The guest's private manage token, in clear text exactly once: now.
    manage_token: str
    # The table's name, known without loading ``reservation.table``.
    table_name: str = ""
    # Every table it holds, first the reservation's own (a joined booking's parts after
    # it): known without reading the parts back.
    table_ids: tuple[int, ...] = ()


def utcnow() -> dt.datetime:
    return clock.now()


# --------------------------------------------------------------------------- statements

# The hot statements, built once (building a statement costs about as much as running
# it). ``ignore`` 0 ignores nothing: ids start at 1. A joined booking's part rows (its
# further tables) hold their tables like any row; ``ignore`` leaves out a booking with
# its parts (BOOKING_ID).
_STAY_OVERLAPS = and_(Reservation.status.in_(ACTIVE_STATUSES), overlapping_stays(
    bindparam("starts_at"), bindparam("ends_at"), looks_back_to=bindparam("looks_back_to")))
# A hold of someone else (not ``own_holder``'s) not yet expired at ``now``, overlapping the
# stay: it takes its table as a booking does (booking/holds.py).
_HOLD_OVERLAPS = and_(Hold.expires_at > bindparam("now"),
                      Hold.holder_hash != bindparam("own_holder"),
                      Hold.starts_at < bindparam("ends_at"), Hold.ends_at > bindparam("starts_at"),
                      Hold.starts_at > bindparam("looks_back_to"))
_TABLE_TAKEN = union_all(
    select(Reservation.id).where(Reservation.table_id == bindparam("table_id"), _STAY_OVERLAPS,
                                 BOOKING_ID.is_distinct_from(bindparam("ignore"))),
    select(-Hold.id).where(Hold.table_id == bindparam("table_id"), _HOLD_OVERLAPS),
).limit(1)
# The same for several tables at once (a joined booking's).
_TABLES_TAKEN = union_all(
    select(Reservation.id).where(Reservation.table_id.in_(bindparam("table_ids", expanding=True)),
                                 _STAY_OVERLAPS, BOOKING_ID.is_distinct_from(bindparam("ignore"))),
    select(-Hold.id).where(Hold.table_id.in_(bindparam("table_ids", expanding=True)),
                           _HOLD_OVERLAPS),
).limit(1)
# The re-check of a paced write: the pace's counts and the first stay or hold in the way,
# in one statement under the keys (one round trip less than counting apart; the same
# snapshot, taken after the keys, as the two statements had).
_COUNTED = pacing.COVERS.subquery("counted")
_PACED_TABLE_TAKEN = select(_COUNTED.c.in_slot, _COUNTED.c.in_service,
                            _TABLE_TAKEN.scalar_subquery().label("taken"))
_PACED_TABLES_TAKEN = select(_COUNTED.c.in_slot, _COUNTED.c.in_service,
                             _TABLES_TAKEN.scalar_subquery().label("taken"))
_PARTS_OF = select(Reservation.table_id).where(Reservation.part_of == bindparam("id"))
# A stay of this guest: the same e-mail or phone (an empty one matches nothing).
_SAME_GUEST = or_(and_(bindparam("email") != "", Reservation.guest_email == bindparam("email")),
                  and_(bindparam("phone") != "", Reservation.guest_phone == bindparam("phone")))
_IN_RESTAURANT = Reservation.restaurant_id == bindparam("restaurant_id")
# Tables held over the stay, and whether by this guest.
_SAME_EMAIL = and_(bindparam("email") != "", Reservation.guest_email == bindparam("email"))
_HELD_OVER_STAY = union_all(
    select(Reservation.table_id, _SAME_GUEST.label("same_guest"),
           _SAME_EMAIL.label("same_email")).where(_IN_RESTAURANT, _STAY_OVERLAPS),
    select(Hold.table_id, false(), false()).where(
        Hold.restaurant_id == bindparam("restaurant_id"), _HOLD_OVERLAPS))
# This guest's other stay overlapping the stay, if any (parts carry no contact details).
_GUEST_STAY = (select(Reservation.id, _SAME_EMAIL.label("same_email"))
               .where(_IN_RESTAURANT, _STAY_OVERLAPS, _SAME_GUEST,
                      Reservation.id != bindparam("ignore"))
               .limit(1))
# Built once like the queries above; the columns come from the parameters' keys.
_INSERT_EVENT = insert(ReservationEvent.__table__)
_reservations = Reservation.__table__
_tables = DiningTable.__table__


@functools.cache
def _insert_on_bookable_table(columns: tuple[str, ...]) -> Executable:
    """The new reservation's INSERT, its row SELECTed from its table's row while that table
    is active, under FOR KEY SHARE (left out on SQLite, which runs one writer at a time);
    RETURNING its id, or nothing when the table is inactive or gone. Built once per set
    of columns.

    FOR KEY SHARE conflicts only with the FOR UPDATE a deactivation or a removal takes on
    the table's row (``operations.deactivation``, ``operations.setup.remove_table``) before
    it reads the table's bookings. Either this INSERT holds the row first, and the other
    waits for its commit and then sees this booking; or the other holds it first, and this
    INSERT waits, reads the row again as committed (inactive, or deleted) and writes
    nothing. No order leaves an active booking on an inactive table, nor a foreign-key
    violation (a 500) for a table removed under the booking. One statement: the foreign
    key's own check takes the same lock, so reading ``active`` here costs no round trip."""
    row = (select(*(_tables.c.id if name == "table_id"
                    else _tables.c.restaurant_id if name == "restaurant_id"
                    else bindparam(name, type_=_reservations.c[name].type)
                    for name in columns))
           .where(_tables.c.id == bindparam("table_id"),
                  _tables.c.restaurant_id == bindparam("restaurant_id"), _tables.c.active)
           .with_for_update(read=True, key_share=True))
    return insert(_reservations).from_select(columns, row).returning(_reservations.c.id)


@dataclass(frozen=True)
class HoldsSeen:
    """Which holds a write's reads and re-checks respect (booking/holds.py): every hold
    not yet expired at ``now``, but those of ``own_holder`` (the writer's own: "" none).
    Expiry is by time alone: an expired hold blocks nobody, whether deleted or not."""

    now: dt.datetime
    own_holder: str = ""

    def params(self) -> dict[str, Any]:
        return {"now": self.now, "own_holder": self.own_holder}


def _stay(starts_at: dt.datetime, ends_at: dt.datetime) -> dict[str, dt.datetime]:
    """The parameters of _STAY_OVERLAPS for the stay [starts_at, ends_at)."""
    return {"starts_at": starts_at, "ends_at": ends_at,
            "looks_back_to": starts_at - OVERLAP_LOOKBACK}


# --------------------------------------------------------------------------- reads and locks


def _tables_are_free(session: Session, table_ids: tuple[int, ...], starts_at: dt.datetime,
                     ends_at: dt.datetime, ignore: int | None, holds: HoldsSeen) -> bool:
    """No active stay but ``ignore``'s, and no live hold but ``holds.own_holder``'s,
    overlaps [starts_at, ends_at) on any of the tables (one query)."""
    statement, params = _taken_query(table_ids, _TABLE_TAKEN, _TABLES_TAKEN)
    return session.connection().execute(statement, {
        **params, **_stay(starts_at, ends_at), "ignore": ignore or 0,
        **holds.params()}).first() is None


def _taken_query(table_ids: tuple[int, ...], one: Executable, several: Executable
                 ) -> tuple[Executable, dict[str, Any]]:
    """The form of a re-check for one table, or for a joined booking's tables, with its
    table parameter."""
    if len(table_ids) == 1:
        return one, {"table_id": table_ids[0]}
    return several, {"table_ids": list(table_ids)}


def tables_of(session: Session, reservation: Reservation) -> tuple[int, ...]:
    """The tables a reservation holds: its own, then its parts' (one query)."""
    parts = session.connection().execute(_PARTS_OF, {"id": reservation.id}).scalars().all()
    return (reservation.table_id, *parts)


def _matched_field(same_email: object) -> str:
    """The guest's field that matched another stay: the e-mail when it did, else the phone
    (read in the same row as the match, no extra query)."""
    return "email" if same_email else "phone"


def _check_guest_free(session: Session, restaurant_id: int, guest: GuestDetails,
                      starts_at: dt.datetime, ends_at: dt.datetime, ignore: int | None) -> None:
    if not (guest.email or guest.phone):
        return  # no way to tell this guest's other stays
    other = session.execute(_GUEST_STAY, {
        "restaurant_id": restaurant_id, **_stay(starts_at, ends_at),
        "email": guest.email, "phone": guest.phone, "ignore": ignore or 0}).first()
    if other:
        raise GuestAlreadyBooked(field=_matched_field(other.same_email))


def _lock_guest(session: Session, policy: WritePolicy, restaurant_id: int,
                guest: GuestDetails) -> None:
    if policy.advisory_locks:
        keys = [locks.guest_lock_key(restaurant_id, i) for i in guest.identities()]
        locks.advisory_xact_lock(session, (), keys)


def _claim_tables(session: Session, policy: WritePolicy, table_ids: tuple[int, ...],
                  starts_at: dt.datetime, ends_at: dt.datetime, holds: HoldsSeen,
                  ignore: int | None = None,
                  pace: pacing.PaceCheck | None = None) -> tuple[bool, str | None]:
    """Lock every (table, bucket) of the stay on every table of the placement and the
    pace keys, all sorted together in one statement; then re-count the pace (raises
    PaceExceeded) and re-check every table: (True when the tables are ours, the pace
    override's text when one was needed).

    One placement per transaction: a writer that finds a table taken rolls back and
    tries the next candidate in a new transaction, so it never holds one placement's
    locks while waiting for another's; within a placement the keys of all its tables
    are taken in one sorted order (spec: SortedAcrossTables), so two joined bookings
    sharing a table cannot wait for each other in a cycle. The pace keys
    (restaurant-level, the same for every candidate) sort before every table key."""
    if policy.advisory_locks:
        locked = table_ids if policy.joined_table_locks else table_ids[:1]
        keys = [key for table_id in locked
                for key in locks.slot_lock_keys(table_id, starts_at, ends_at)]
        if pace is not None and policy.pace_locks:
            keys = [*pace.keys(), *keys]
        locks.advisory_xact_lock(session, keys)
    locks.settle_lock_timeout(session)  # no lock statement carried it (locks off)
    if pace is None:
        return _tables_are_free(session, table_ids, starts_at, ends_at, ignore, holds), None
    statement, params = _taken_query(table_ids, _PACED_TABLE_TAKEN, _PACED_TABLES_TAKEN)
    in_slot, in_service, taken = session.connection().execute(statement, {
        **params, **_stay(starts_at, ends_at), **holds.params(),
        **pace.count_params(ignore)}).one()
    note = pace.judge(int(in_slot), int(in_service))  # the pace first, as it was counted
    return taken is None, note


def _guest_check_and_busy_tables(session: Session, restaurant_id: int, guest: GuestDetails,
                                 starts_at: dt.datetime, ends_at: dt.datetime,
                                 holds: HoldsSeen) -> set[int]:
    """One read for a new booking, after the guest lock: raise GuestAlreadyBooked when
    the guest holds an active stay overlapping [starts_at, ends_at), else return the
    tables visibly taken then (the unlocked read of :func:`_busy_tables`). The guest
    part is exactly :func:`_check_guest_free`'s query (a reservation of this guest
    overlapping the stay is also one the occupancy query returns)."""
    rows = session.connection().execute(_HELD_OVER_STAY, {
        "restaurant_id": restaurant_id, **_stay(starts_at, ends_at),
        "email": guest.email, "phone": guest.phone, **holds.params()}).all()
    for row in rows:
        if row.same_guest:
            raise GuestAlreadyBooked(field=_matched_field(row.same_email))
    return {row.table_id for row in rows}


def _busy_tables(session: Session, restaurant_id: int, starts_at: dt.datetime,
                 ends_at: dt.datetime, ignore: int | None, holds: HoldsSeen) -> set[int]:
    """Tables that hold an active stay or a live hold overlapping [starts_at, ends_at)
    (one unlocked read, used only to skip hopeless candidates; the locked re-check
    decides)."""
    return set(occupancy(session, restaurant_id, starts_at, ends_at, ignore=ignore,
                         holds_at=holds.now, own_holder=holds.own_holder).stays)


def _before_write(session: Session, table_id: int, starts_at: dt.datetime,
                  ends_at: dt.datetime) -> None:
    for hook in BEFORE_WRITE_HOOKS:
        hook(session, table_id, starts_at, ends_at)


def _locked_reservation(session: Session, restaurant_id: int, reservation_id: int) -> Reservation:
    reservation = session.scalars(
        select(Reservation)
        .where(Reservation.id == reservation_id, Reservation.restaurant_id == restaurant_id,
               IS_BOOKING)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if reservation is None:
        raise ReservationNotFound()
    return reservation


# --------------------------------------------------------------------------- the candidate loop


class _TableTaken(Exception):
    """Internal: the candidate was taken (seen under the lock); try the next one."""


class _NoTableLeft(Exception):
    """Internal: every candidate has been tried or is visibly taken."""


def _next_free(session: Session, restaurant_id: int, candidates: Sequence[Placement],
               starts_at: dt.datetime, ends_at: dt.datetime, ignore: int | None,
               tried: set[tuple[int, ...]], holds: HoldsSeen,
               busy: set[int] | None = None) -> Placement:
    """The first candidate not tried yet and none of whose tables is visibly taken. Read
    afresh at every attempt (``busy``: read by the caller in this attempt): under
    contention, tables others took while we waited for a lock are skipped without
    queueing for theirs."""
    if busy is None:
        busy = _busy_tables(session, restaurant_id, starts_at, ends_at, ignore, holds)
    for candidate in candidates:
        if candidate.table_ids not in tried and busy.isdisjoint(candidate.table_ids):
            return candidate
    raise _NoTableLeft()


_Result = TypeVar("_Result")


class CandidateLoop:
    """Trying candidate tables one per transaction until one is ours: the loop that
    :func:`book` and :func:`change` share.

    :meth:`run` runs an attempt in a fresh write transaction, again and again; the
    attempt calls :meth:`claim` to get the next candidate locked and re-checked. A
    candidate found taken under its lock, or refused by the backstop at the write, rolls
    the attempt back and the next one goes on with the candidates not tried yet."""

    __slots__ = ("by_constraint", "claimed", "holds", "pace_note", "policy", "restaurant_id",
                 "session", "tried")

    def __init__(self, session: Session, policy: WritePolicy, restaurant_id: int,
                 holds: HoldsSeen) -> None:
        self.session = session
        self.policy = policy
        self.restaurant_id = restaurant_id
        self.holds = holds
        self.tried: set[tuple[int, ...]] = set()
        self.claimed = False  # did this attempt lock and re-check a table?
        self.by_constraint = False  # did the backstop refuse a write on the way?
        self.pace_note: str | None = None  # this attempt's pace override, when needed

    def run(self, attempt: Callable[[], _Result], *, keep_loaded: bool = False,
            timeout_with_first_lock: bool = False, tail_with_commit: bool = False
            ) -> _Result | None:
        """``attempt()``'s result once its transaction committed, or None when no
        candidate was left (``by_constraint`` then says whether the backstop refused
        one). A refusal by the backstop of an attempt that claimed no table (an edit
        that does not move the stay) is raised as it is. ``timeout_with_first_lock`` (when
        ``attempt`` locks before any other statement) and ``tail_with_commit``: as for
        :func:`write_transaction`."""
        while True:
            self.claimed = False
            self.pace_note = None
            try:
                with write_transaction(self.session, self.policy, keep_loaded=keep_loaded,
                                       timeout_with_first_lock=timeout_with_first_lock,
                                       tail_with_commit=tail_with_commit):
                    result = attempt()
                return result
            except _TableTaken:
                continue
            except _NoTableLeft:
                return None
            except PaceExceeded:  # restaurant-wide: no other table can help
                raise
            except SlotTaken as error:  # the backstop refused the write
                if not self.claimed:
                    raise
                # That table is taken too: try the next one.
                self.by_constraint = self.by_constraint or error.by_constraint

    def claim(self, candidates: Sequence[Placement], starts_at: dt.datetime,
              ends_at: dt.datetime, *, ignore: int | None = None,
              busy: set[int] | None = None,
              pace: pacing.PaceCheck | None = None) -> Placement:
        """Inside an attempt: the first candidate not tried and not visibly taken, the
        buckets of all its tables (and ``pace``'s keys) locked, the pace re-counted and
        the stay re-checked free on each table under the locks (``ignore``: the
        reservation being moved). Then the test-only hooks, right before the write."""
        session = self.session
        chosen = _next_free(session, self.restaurant_id, candidates, starts_at, ends_at,
                            ignore, self.tried, self.holds, busy)
        self.tried.add(chosen.table_ids)
        self.claimed = True
        free, self.pace_note = _claim_tables(session, self.policy, chosen.table_ids, starts_at,
                                             ends_at, self.holds, ignore, pace)
        if not free:
            raise _TableTaken()
        _before_write(session, chosen.table_ids[0], starts_at, ends_at)
        return chosen


@dataclass(frozen=True)
class _NamedHold:
    token_hash: str
    holder_hash: str
    table_ids: tuple[int, ...]
    starts_at: dt.datetime


_HOLD_BY_TOKEN = (select(Hold.table_id, Hold.holder_hash, Hold.starts_at)
                  .where(Hold.token_hash == bindparam("token_hash"),
                         Hold.restaurant_id == bindparam("restaurant_id"))
                  .order_by(Hold.id))
_DELETE_HOLD = delete(Hold.__table__).where(Hold.__table__.c.token_hash == bindparam("token_hash"))


def _delete_hold(session: Session, token_hash: str) -> None:
    session.connection().execute(_DELETE_HOLD, {"token_hash": token_hash})


def _named_hold(session: Session, restaurant_id: int, token: str) -> _NamedHold | None:
    """The hold a booking names (expired or not: the re-check decides), or None."""
    if len(token) > 200:
        return None
    return _hold_with_hash(session, restaurant_id, hash_token(token))


def _hold_with_hash(session: Session, restaurant_id: int, token_hash: str) -> _NamedHold | None:
    rows = session.execute(_HOLD_BY_TOKEN, {"token_hash": token_hash,
                                            "restaurant_id": restaurant_id}).all()
    if not rows:
        return None
    return _NamedHold(token_hash, rows[0].holder_hash, tuple(r.table_id for r in rows),
                      rows[0].starts_at)


def _held_first(tables: Sequence[AnyTable], party_size: int, setup: RestaurantSetup,
                named: _NamedHold, placements: list[Placement]) -> list[Placement]:
    """The held tables first, when they still take the party (else as if unheld)."""
    try:
        held = candidates(tables, party_size, combinations=setup.combinations,
                          table_ids=list(named.table_ids))[0]
    except BookingError:
        return placements
    return [held, *(p for p in placements if p.table_ids != held.table_ids)]


def _own_tables_first(setup: RestaurantSetup, party_size: int, held: tuple[int, ...],
                      placements: list[Placement]) -> list[Placement]:
    """A joined booking moved in time keeps its tables when they are free then, also
    when the owner joined them without a combination (the candidates list only those)."""
    try:
        own = candidates(setup.tables, party_size, combinations=setup.combinations,
                         table_ids=held)[0]
    except BookingError:
        return placements  # no longer takes the party, or a table is out of service
    return [own, *(p for p in placements if p.table_ids != own.table_ids)]


# How many following days the alternatives for a refused new online booking look at.
GUEST_OTHER_DAYS = 7


def attach_alternatives(error: SlotTaken, session: Session, restaurant: Restaurant,
                         schedule: Schedule, starts_at: dt.datetime, ends_at: dt.datetime,
                         party_size: int, online: bool, now: dt.datetime,
                         ignore: int | None = None, leaving: int | None = None) -> SlotTaken:
    """Fill in nearby free times and the other free tables (fixed number of queries).
    ``leaving``: the moved reservation's own table, never offered as "free" (it looks
    free only because the reservation itself is ignored, and the owner is moving off it)."""
    # A new online booking (nothing ignored) is also offered the same service on the next
    # days; a change and the owner's messages list times of the asked day only.
    other_days = GUEST_OTHER_DAYS if online and ignore is None else 0
    error.alternatives = nearest_free_times(session, restaurant, starts_at, party_size, now,
                                            online=online, schedule=schedule, ignore=ignore,
                                            other_days=other_days)
    if not isinstance(error, PaceExceeded):  # over the pace, a free table does not help
        busy = _busy_tables(session, restaurant.id, starts_at, ends_at, ignore, HoldsSeen(now))
        error.free_tables = [t.name for t in best_fit_order(
            restaurant_setup(session, restaurant).tables, party_size)
            if t.id not in busy and t.id != leaving]
    session.rollback()
    return error


# --------------------------------------------------------------------------- writes and history


_INSERTED_NULL: dict[str, Any] = {"confirmed_at": None, "reminder_token_hash": None}


def _insert_reservation(session: Session, values: dict[str, Any], *, table_name: str = "",
                        asked: bool = False) -> Reservation:
    """INSERT the new reservation with a plain statement and hand back the ORM object,
    persistent in the session as if just loaded: the unit of work's flush of one new
    object was the largest single cost of a booking after the queries themselves.

    The INSERT writes nothing when the table is no longer bookable (see
    :func:`_insert_on_bookable_table`): the table the caller ``asked`` for is refused
    with the reason, a table the service chose is passed over for the next candidate."""
    now = utcnow()
    values = {**values, "created_at": now, "updated_at": now, "version": 1}
    new_id = session.connection().execute(_insert_on_bookable_table(tuple(values)),
                                          values).scalar()
    if new_id is None:
        if not asked:
            raise _TableTaken()
        gone = session.connection().execute(
            select(_tables.c.id).where(_tables.c.id == values["table_id"])).first() is None
        raise TableRemoved(table_name) if gone else TableInactive(table_name)
    # The columns the INSERT leaves NULL are set too, so that reading them (the API's
    # answer does) is no reload of the row after the commit.
    reservation = Reservation(id=new_id, **values, **_INSERTED_NULL)
    make_transient_to_detached(reservation)
    session.add(reservation)
    return reservation


def _insert_parts(session: Session, reservation: Reservation, table_ids: Sequence[int], *,
                  table_name: str = "", asked: bool = False) -> None:
    """A part row for each further table of a joined booking: the reservation's stay,
    status, name and party (the grid shows them on each table), no contact details and
    no token (no guest reaches a part, no guest check matches one). Each INSERT, like the
    reservation's, writes nothing when its table is no longer bookable."""
    now = utcnow()
    for table_id in table_ids:
        values = {
            "restaurant_id": reservation.restaurant_id, "table_id": table_id,
            "starts_at": reservation.starts_at, "ends_at": reservation.ends_at,
            "party_size": reservation.party_size, "guest_name": reservation.guest_name,
            "guest_email": "", "guest_phone": "", "notes": "", "status": reservation.status,
            "source": reservation.source, "language": reservation.language,
            "part_of": reservation.id, "created_at": now, "updated_at": now, "version": 1}
        if session.connection().execute(_insert_on_bookable_table(tuple(values)),
                                        values).scalar() is None:
            if not asked:
                raise _TableTaken()
            raise TableInactive(table_name)


def _record_history(session: Session, reservation: Reservation, actor: str, action: str,
                    changes: dict[str, Any]) -> None:
    """One history row, written with a plain INSERT (flushing the reservation first): an
    ORM object here would cost a second unit-of-work flush on every write. In a write
    that keeps its tail (a new booking on PostgreSQL) it goes with the COMMIT
    (booking/tail.py): nothing reads it before."""
    session.flush()
    row = {"reservation_id": reservation.id, "at": utcnow(), "actor": actor[:200],
           "action": action, "changes": changes}
    if not tail.defer_insert(session, "reservation_events", [row]):
        session.connection().execute(_INSERT_EVENT, row)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def _snapshot(reservation: Reservation) -> dict[str, Any]:
    return {
        "starts_at": reservation.starts_at, "ends_at": reservation.ends_at,
        "party_size": reservation.party_size, "table_id": reservation.table_id,
        "guest_name": reservation.guest_name, "guest_email": reservation.guest_email,
        "guest_phone": reservation.guest_phone, "notes": reservation.notes,
        "status": reservation.status,
    }


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [_jsonable(before[key]), _jsonable(after[key])]
            for key in before if before[key] != after[key]}


def _apply_change(session: Session, reservation: Reservation, plan: ChangePlan,
                  tables: tuple[int, ...], held: tuple[int, ...],
                  new_guest: GuestDetails | None, actor: str,
                  after_write: AfterWrite | None,
                  overrides: Mapping[str, str] | None = None) -> None:
    """``tables``: where the booking sits now, ``held``: where it sat (the first table
    holds the reservation row, the others its parts; the parts' stay follows the row)."""
    before = _snapshot(reservation)
    if tables != held and len(held) > 1:
        # The old parts go first: moved with the row they would hold tables left behind.
        session.execute(delete(_reservations).where(_reservations.c.part_of == reservation.id))
    reservation.starts_at, reservation.ends_at = plan.starts_at, plan.ends_at
    reservation.party_size = plan.party_size
    reservation.table_id = tables[0]
    if new_guest is not None:
        reservation.guest_name = new_guest.name
        reservation.guest_email = new_guest.email
        reservation.guest_phone = new_guest.phone
        reservation.notes = new_guest.notes
    if tables != held and len(tables) > 1:
        session.flush()
        _insert_parts(session, reservation, tables[1:])
    diff = _diff(before, _snapshot(reservation))
    if tables != held and (len(tables) > 1 or len(held) > 1):
        diff["tables"] = [list(held), list(tables)]
    if diff:
        reservation.version += 1
        _record_history(session, reservation, actor, "changed",
                        {**diff, "overrides": dict(overrides)} if overrides else diff)
        if after_write:
            after_write(session, reservation, "changed", manage_token=None)


# --------------------------------------------------------------------------- the operations


def book(
    session: Session,
    restaurant: Restaurant,
    *,
    starts_at: dt.datetime,
    party_size: int,
    guest: GuestDetails,
    table_id: int | None = None,
    table_ids: Sequence[int] | None = None,
    source: str = "online",
    status: str = "booked",
    duration_minutes: int | None = None,
    actor: str = "guest",
    now: dt.datetime | None = None,
    policy: WritePolicy = DEFAULT_POLICY,
    after_write: AfterWrite | None = None,
    schedule: Schedule | None = None,
    tables: Sequence[AnyTable] | None = None,
    overrides: Mapping[str, str] | None = None,
    language: str | None = None,
    hold: str | None = None,
    hold_hash: str | None = None,
) -> BookingResult:
    """Book a table: the given one (``table_id``), the given tables joined for the party
    (``table_ids``, owners), or the best free fit: a single table, else a combination the
    restaurant defined. Raises a BookingError.

    Each candidate table is tried in its own locked transaction, best fit first,
    skipping tables an unlocked read already shows as taken; the first one whose
    re-check passes under the lock is written and committed.

    ``schedule`` and ``tables`` (the restaurant's active tables): what the caller has
    at hand (``restaurant_setup``'s cached copies by default). They only choose the stay
    and the candidates; the locked re-check decides.

    The reservation comes back loaded, usable without a reload; with ORM ``tables`` its
    ``table`` too (else the result's ``table_name`` saves loading it). The guest's clear
    manage token is in the result (and handed to ``after_write``), nowhere else.

    ``overrides`` (owners only, never online): the rules the owner chose to set aside,
    each with the text the history records: ``past_closing`` (a phone booking's stay may
    end after closing), ``same_guest`` (recorded only when this guest's other stay
    really overlaps), ``pace`` (recorded only when the booking really goes over the
    service's pace: booking/pacing.py).

    ``language``: the guest's (their page's, or the API's field); None: the restaurant's
    default language, else English (``languages.booking_language``). Every e-mail about
    the booking is written in the one recorded.

    ``hold``: the token of the guest's hold (booking/holds.py): when it is for this start
    and its tables take the party, they are tried first and its holder's holds block
    nothing; the booking deletes the hold in its transaction. An expired hold still
    books its tables when nobody took them meanwhile (the re-check decides).
    ``hold_hash``: the same by the token's stored hash, for the owner booking a guest
    whose waitlist offer holds a table (only the hash of an offer's token is kept)."""
    overrides = overrides or {}
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    if status not in ACTIVE_STATUSES:
        raise ValueError("a new reservation is booked or (a walk-in) seated")
    now = now or utcnow()
    guest = guest.normalised(restaurant.country)
    online = source in ONLINE_SOURCES
    if online and overrides:
        raise ValueError("online bookings keep the strict rules")
    restaurant_id = restaurant.id
    language = booking_language(restaurant, language)
    if schedule is None:
        schedule = load_schedule(session, restaurant)
    starts_at, ends_at = plan_stay(schedule, starts_at, party_size, online=online,
                                   within_hours=source == "phone"
                                   and "past_closing" not in overrides, now=now,
                                   duration_minutes=None if online else duration_minutes)
    setup = restaurant_setup(session, restaurant)
    if tables is None:
        tables = setup.tables
    if online and table_ids is not None:
        raise ValueError("guests do not choose tables")
    # Plain values: the ORM objects expire at an attempt's rollback.
    placements = candidates(tables, party_size, table_id, combinations=setup.combinations,
                            table_ids=table_ids)
    table_objects = {t.id: t for t in tables}
    asked = table_id is not None or table_ids is not None
    named = (_named_hold(session, restaurant_id, hold) if hold
             else _hold_with_hash(session, restaurant_id, hold_hash) if hold_hash else None)
    seen = HoldsSeen(now, named.holder_hash if named else "")
    if named is not None and named.starts_at == starts_at and not asked:
        placements = _held_first(tables, party_size, setup, named, placements)
    token, token_hash = new_manage_token()
    loop = CandidateLoop(session, policy, restaurant_id, seen)
    pace = pacing.check_for(restaurant_id, schedule, starts_at, party_size,
                            override=overrides.get("pace"), may_override=not online)

    def attempt() -> BookingResult:
        _lock_guest(session, policy, restaurant_id, guest)
        used = {k: v for k, v in overrides.items() if k not in ("same_guest", "pace")}
        try:
            busy = _guest_check_and_busy_tables(session, restaurant_id, guest, starts_at,
                                                ends_at, seen)
        except GuestAlreadyBooked:
            if "same_guest" not in overrides:
                raise
            used["same_guest"] = overrides["same_guest"]
            busy = _busy_tables(session, restaurant_id, starts_at, ends_at, None, seen)
        chosen = loop.claim(placements, starts_at, ends_at, busy=busy, pace=pace)
        first = chosen.table_ids[0]
        if loop.pace_note:
            used["pace"] = loop.pace_note
        reservation = _insert_reservation(session, dict(
            restaurant_id=restaurant_id, table_id=first, starts_at=starts_at,
            ends_at=ends_at, party_size=party_size, guest_name=guest.name,
            guest_email=guest.email, guest_phone=guest.phone, notes=guest.notes,
            status=status, source=source, manage_token_hash=token_hash, language=language),
            table_name=chosen.name, asked=asked)
        if len(chosen.table_ids) > 1:
            _insert_parts(session, reservation, chosen.table_ids[1:], table_name=chosen.name,
                          asked=asked)
        if named is not None:  # converted: the hold's work is done
            _delete_hold(session, named.token_hash)
        if isinstance(table_objects.get(first), DiningTable):
            # The table we already hold: no lazy load when the caller reads it.
            set_committed_value(reservation, "table", table_objects[first])
        _record_history(session, reservation, actor, "created", {
            "table": chosen.name, "starts_at": starts_at.isoformat(),
            "party_size": party_size, "status": status, "source": source,
            **({"tables": list(chosen.table_ids)} if len(chosen.table_ids) > 1 else {}),
            **({"overrides": used} if used else {})})
        if after_write:
            after_write(session, reservation, "created", manage_token=token)
        return BookingResult(reservation, token, chosen.name, tuple(chosen.table_ids))

    try:
        # The guest's lock (or, for a guest without contact details, the tables') is the
        # attempt's first statement and sets the lock timeout; the history and outbox
        # rows go with the COMMIT (booking/tail.py).
        result = loop.run(attempt, keep_loaded=True, timeout_with_first_lock=True,
                          tail_with_commit=True)
    except PaceExceeded as error:
        raise attach_alternatives(error, session, restaurant, schedule, starts_at, ends_at,
                                   party_size, online, now) from None
    if result is None:
        raise attach_alternatives(SlotTaken(by_constraint=loop.by_constraint), session,
                                   restaurant, schedule, starts_at, ends_at, party_size, online,
                                   now)
    for observer in BOOKED_OBSERVERS:
        observer(source)
    return result


def change(
    session: Session,
    restaurant: Restaurant,
    reservation_id: int,
    *,
    starts_at: dt.datetime | None = None,
    party_size: int | None = None,
    table_id: int | None = None,
    table_ids: Sequence[int] | None = None,
    guest: GuestDetails | None = None,
    duration_minutes: int | None = None,
    expected_version: int | None = None,
    online: bool = False,
    actor: str = "guest",
    now: dt.datetime | None = None,
    policy: WritePolicy = DEFAULT_POLICY,
    after_write: AfterWrite | None = None,
    overrides: Mapping[str, str] | None = None,
    language: str | None = None,
) -> Reservation:
    """Move or edit a reservation: time, party size, table, guest details.

    ``online`` applies the guest rules (only a booked, future reservation; the
    slot grid, lead time and horizon). Owners may move to any time and table and
    keep the stay's length; the table must still be free. Without ``table_id`` (or
    ``table_ids``: tables joined for the party) the reservation keeps its table or
    tables when they are free at the new time, else gets the best free fit (a single
    table, else a combination); like :func:`book`, each candidate is tried in its own
    transaction.
    ``overrides``: as for :func:`book` (``same_guest`` and ``pace``; never ``online``).
    The pace is re-counted only when covers arrive somewhere limited: a new pace slot or
    service, or a larger party (booking/pacing.py); the old start's covers just leave.
    ``language``: the guest changing their own booking records the language they use
    now (its e-mails from now on are written in it); None keeps the booking's."""
    overrides = {} if online else dict(overrides or {})
    language = checked(language) if language is not None else None
    now = now or utcnow()
    restaurant_id = restaurant.id
    schedule = load_schedule(session, restaurant)
    new_guest = guest.normalised(restaurant.country) if guest is not None else None
    loop = CandidateLoop(session, policy, restaurant_id, HoldsSeen(now))
    plan: ChangePlan | None = None  # the last attempt's, for the alternatives
    leaving: int | None = None  # the table it is on, for the alternatives

    def attempt() -> Reservation:
        nonlocal plan, leaving
        reservation = _locked_reservation(session, restaurant_id, reservation_id)
        leaving = reservation.table_id
        held = tables_of(session, reservation)
        check_version(reservation, expected_version)
        if online:
            check_guest_may_change(reservation, now, "changed",
                                   cutoff_hours=restaurant.cancel_cutoff_hours,
                                   phone=restaurant.phone)
        else:
            check_owner_may_change(reservation)
        plan = plan_change(schedule, reservation, starts_at, party_size, duration_minutes,
                           online, now)
        effective_guest = new_guest or GuestDetails(
            reservation.guest_name, reservation.guest_email, reservation.guest_phone,
            reservation.notes)
        _lock_guest(session, policy, restaurant_id, effective_guest)
        used: dict[str, str] = {}
        try:
            _check_guest_free(session, restaurant_id, effective_guest, plan.starts_at,
                              plan.ends_at, reservation.id)
        except GuestAlreadyBooked:
            if "same_guest" not in overrides:
                raise
            used["same_guest"] = overrides["same_guest"]
        new_tables = held
        if table_id is not None or table_ids is not None or plan.moves:
            setup = restaurant_setup(session, restaurant)
            placements = candidates(setup.tables, plan.party_size, table_id, prefer=held,
                                    combinations=setup.combinations, table_ids=table_ids)
            if table_id is None and table_ids is None and len(held) > 1:
                placements = _own_tables_first(setup, plan.party_size, held, placements)
            pace = pacing.check_for(
                restaurant_id, schedule, plan.starts_at, plan.party_size,
                override=overrides.get("pace"), may_override=not online,
                was=(reservation.starts_at, reservation.party_size,
                     reservation.status in pacing.PACED_STATUSES))
            new_tables = loop.claim(placements, plan.starts_at, plan.ends_at,
                                    ignore=reservation.id, pace=pace).table_ids
            if loop.pace_note:
                used["pace"] = loop.pace_note
        if language is not None:
            reservation.language = language  # before after_write: the e-mail speaks it
        _apply_change(session, reservation, plan, new_tables, held, new_guest, actor,
                      after_write, used)
        return reservation

    try:
        changed = loop.run(attempt)
    except PaceExceeded as error:
        assert plan is not None
        raise attach_alternatives(error, session, restaurant, schedule, plan.starts_at,
                                   plan.ends_at, plan.party_size, online, now,
                                   ignore=reservation_id, leaving=leaving) from None
    if changed is not None:
        return changed
    assert plan is not None
    raise attach_alternatives(SlotTaken(by_constraint=loop.by_constraint), session, restaurant,
                               schedule, plan.starts_at, plan.ends_at, plan.party_size, online,
                               now, ignore=reservation_id, leaving=leaving)


def set_status(
    session: Session,
    restaurant: Restaurant,
    reservation_id: int,
    new_status: str,
    *,
    expected_version: int | None = None,
    online: bool = False,
    actor: str = "owner",
    now: dt.datetime | None = None,
    policy: WritePolicy = DEFAULT_POLICY,
    after_write: AfterWrite | None = None,
    check: Callable[[Reservation], Mapping[str, str] | None] | None = None,
    language: str | None = None,
) -> Reservation:
    """Move a reservation along booked -> seated -> completed, booked -> no_show, or
    booked/seated -> cancelled. Other moves raise InvalidTransition. A guest
    (``online``) may only cancel a booked reservation that has not started.

    No advisory locks: a status move never makes a stay active, so it cannot create
    an overlap; the row lock orders it against a concurrent change.

    ``check``: the caller's own rule (the owner's service-day rule), called with the
    locked reservation; it may raise a BookingError, or return the overrides it let
    through, which the history records. ``language``: as for :func:`change` (a guest
    cancelling their own booking is told in the language they use now)."""
    now = now or utcnow()
    restaurant_id = restaurant.id
    language = checked(language) if language is not None else None
    with write_transaction(session, policy):
        reservation = _locked_reservation(session, restaurant_id, reservation_id)
        check_version(reservation, expected_version)
        check_status_move(reservation, new_status, online=online, now=now,
                          cutoff_hours=restaurant.cancel_cutoff_hours, phone=restaurant.phone)
        used = check(reservation) if check is not None else None
        old = reservation.status
        reservation.status = new_status
        reservation.version += 1
        if language is not None:
            reservation.language = language
        _record_history(session, reservation, actor, new_status, {
            "status": [old, new_status], **({"overrides": dict(used)} if used else {})})
        if after_write:
            after_write(session, reservation, new_status, manage_token=None)
    return reservation


def reinstate(
    session: Session,
    restaurant: Restaurant,
    reservation_id: int,
    new_status: str,
    *,
    expected_version: int | None = None,
    actor: str = "owner",
    now: dt.datetime | None = None,
    policy: WritePolicy = DEFAULT_POLICY,
    after_write: AfterWrite | None = None,
    check: Callable[[Reservation], Mapping[str, str] | None] | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Reservation:
    """Take back a no-show or a cancellation (owners only): the stay becomes active again
    on its own table and time, so this is a placing write like :func:`change`: row lock,
    guest keys, the table's bucket keys, re-check, UPDATE, in one transaction. A table
    taken meanwhile refuses it (:class:`SlotTaken`, the stay is never moved elsewhere).
    ``check`` and ``overrides`` (``same_guest``) as for :func:`set_status` and :func:`change`.
    ``after_write`` is told "reinstated": for the guest's e-mail it is a change (the
    booking exists again), for an integration a status change (webhooks)."""
    now = now or utcnow()
    restaurant_id = restaurant.id
    overrides = dict(overrides or {})
    loop = CandidateLoop(session, policy, restaurant_id, HoldsSeen(now))
    stay: tuple[dt.datetime, dt.datetime, int] | None = None

    def attempt() -> Reservation:
        nonlocal stay
        reservation = _locked_reservation(session, restaurant_id, reservation_id)
        check_version(reservation, expected_version)
        check_reinstatable(reservation, new_status, now)
        used = dict(check(reservation) or {}) if check is not None else {}
        stay = (reservation.starts_at, reservation.ends_at, reservation.party_size)
        guest = GuestDetails(reservation.guest_name, reservation.guest_email,
                             reservation.guest_phone, reservation.notes)
        _lock_guest(session, policy, restaurant_id, guest)
        try:
            _check_guest_free(session, restaurant_id, guest, reservation.starts_at,
                              reservation.ends_at, reservation.id)
        except GuestAlreadyBooked:
            if "same_guest" not in overrides:
                raise
            used["same_guest"] = overrides["same_guest"]
        # A cancelled or no-show booking's covers counted nowhere: they arrive again.
        pace = pacing.check_for(restaurant_id, load_schedule(session, restaurant),
                                reservation.starts_at, reservation.party_size,
                                override=overrides.get("pace"))
        # All its tables: a joined booking's parts become active with it.
        loop.claim([Placement(tables_of(session, reservation), "")], reservation.starts_at,
                   reservation.ends_at, ignore=reservation.id, pace=pace)
        if loop.pace_note:
            used["pace"] = loop.pace_note
        old = reservation.status
        reservation.status = new_status
        reservation.version += 1
        _record_history(session, reservation, actor, "reinstated", {
            "status": [old, new_status], **({"overrides": used} if used else {})})
        if after_write:
            after_write(session, reservation, "reinstated", manage_token=None)
        return reservation

    try:
        done = loop.run(attempt)
    except PaceExceeded as error:
        assert stay is not None
        raise attach_alternatives(error, session, restaurant,
                                   load_schedule(session, restaurant), stay[0], stay[1],
                                   stay[2], False, now, ignore=reservation_id) from None
    if done is not None:
        return done
    assert stay is not None
    raise attach_alternatives(SlotTaken(by_constraint=loop.by_constraint), session,
                               restaurant, load_schedule(session, restaurant), stay[0], stay[1],
                               stay[2], False, now, ignore=reservation_id)


def cancel(session: Session, restaurant: Restaurant, reservation_id: int, **kwargs: Any
           ) -> Reservation:
    """Cancel a booked or seated reservation (a guest: only a future booked one)."""
    return set_status(session, restaurant, reservation_id, "cancelled", **kwargs)


def find_by_token(session: Session, token: str) -> Reservation | None:
    """The reservation a guest's private link points at (the manage token, or the one
    in the last reminder e-mail), or None."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    return session.scalar(select(Reservation).where(or_(
        Reservation.manage_token_hash == digest, Reservation.reminder_token_hash == digest)))
