"""The locked write: book, change, cancel and status moves.

Every write is one transaction that follows the same protocol (see
``spec/BookingManager.tla`` and ``webapp/booking/README.md``)::

    BEGIN                                  -- BEGIN IMMEDIATE on SQLite
    SET LOCAL lock_timeout = '3000ms'
    SELECT ... FOR UPDATE                  -- change/status: the reservation row, first
    pg_advisory_xact_lock(guest)           -- sorted; one guest, one stay at a time
    pg_advisory_xact_lock(table, bucket)   -- sorted; every bucket the new stay touches
    re-check: nothing active on that table overlaps the stay
    INSERT / UPDATE
    COMMIT                                 -- locks are released here, also on error

Auto-assignment tries the candidate tables best fit first, ONE TABLE PER
TRANSACTION: when the re-check finds a table taken, that transaction rolls back
(releasing its locks) and the next candidate gets a fresh one. Tables an
unlocked read already shows as taken are skipped without locking.

Lock order is therefore fixed: row lock, then guest keys, then the keys of a
single table, each group sorted. Nobody waits for a row while holding an
advisory lock, nor for a second table while holding a first, so no cycle of
waits (deadlock) can form. The exclusion constraint (a trigger on SQLite) stays
as a backstop: if a bug let two writers past the re-check, the second write
fails and becomes :class:`SlotTaken` with ``by_constraint=True``, never a 500.

Status moves take the row lock only: they never make a stay active, so they
cannot create an overlap.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, make_transient_to_detached, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

from ..database import BEGIN_IMMEDIATE, writes_in_transaction
from ..models import (
    ACTIVE_STATUSES,
    MAX_STAY_MINUTES,
    OVERLAP_LOOKBACK,
    SOURCES,
    DiningTable,
    Reservation,
    ReservationEvent,
    Restaurant,
    overlapping_stays,
)
from . import locks
from . import slots as slotlib
from .availability import (
    AnyTable,
    best_fit_order,
    load_schedule,
    nearest_free_times,
    occupancy,
)
from .errors import (
    GuestAlreadyBooked,
    InvalidDuration,
    InvalidTransition,
    LockTimeout,
    NoSuitableTable,
    NotChangeable,
    OutsideOpeningHours,
    PartyTooLarge,
    ReservationNotFound,
    SlotTaken,
    StaleReservation,
    TableNotFound,
    TooFarAhead,
    TooLate,
)
from .setup import restaurant_setup
from .slots import Schedule, Slot

# Sources whose bookings follow the guest rules (slot grid, lead time, horizon, party limit).
ONLINE_SOURCES = frozenset({"online", "api"})
TRANSITIONS: dict[str, frozenset[str]] = {
    "booked": frozenset({"seated", "no_show", "cancelled"}),
    "seated": frozenset({"completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "no_show": frozenset(),
}
MAX_PARTY = 500

# Called inside the booking transaction after the write, e.g. to queue the e-mail in
# the outbox, so a rolled-back booking leaves no trace: (session, reservation, action).
AfterWrite = Callable[[Session, Reservation, str], None]


@dataclass(frozen=True)
class WritePolicy:
    lock_timeout_ms: int = 3000
    # Off only in the control test that shows the race reaching the database backstop.
    advisory_locks: bool = True


DEFAULT_POLICY = WritePolicy()

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
class GuestDetails:
    name: str
    email: str = ""
    phone: str = ""
    notes: str = ""

    def normalised(self) -> GuestDetails:
        return GuestDetails(self.name.strip(), normalise_email(self.email),
                            normalise_phone(self.phone), self.notes.strip())


@dataclass(frozen=True)
class BookingResult:
    reservation: Reservation
    # The guest's private manage token, in clear text exactly once: now.
    manage_token: str
    # The table's name, known without loading ``reservation.table``.
    table_name: str = ""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str) -> str:
    """Digits (and a leading +) only, so "+49 30 1234-5" and "+493012345" are one guest."""
    phone = phone.strip()
    digits = re.sub(r"\D", "", phone)
    return ("+" + digits) if phone.startswith("+") and digits else digits


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_manage_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- transaction


def _is_overlap_violation(error: sa_exc.DBAPIError) -> bool:
    orig = error.orig
    return getattr(orig, "sqlstate", None) == "23P01" or "reservations_no_overlap" in str(orig)


def _is_lock_failure(error: sa_exc.DBAPIError) -> bool:
    # 55P03 lock_not_available (lock_timeout), 40P01 deadlock_detected; SQLite: busy.
    return (getattr(error.orig, "sqlstate", None) in ("55P03", "40P01")
            or "database is locked" in str(error.orig))


def _commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring the objects in the session: what was just read or written
    stays usable without a reload (a round trip per object otherwise)."""
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _can_continue(session: Session) -> bool:
    """Whether the caller's transaction can simply go on as the write transaction:
    on PostgreSQL, when it has only read. Every statement at READ COMMITTED sees what
    was committed before it began, so the re-check after the locks is exactly as fresh
    as in a new transaction, and nothing was locked yet; this saves a COMMIT and a
    BEGIN per booking. SQLite needs its fresh BEGIN IMMEDIATE; a transaction that wrote
    is committed first, as before, so a retry's rollback cannot take the caller's
    writes with it."""
    return (session.in_transaction() and writes_in_transaction(session) == 0
            and session.get_bind().dialect.name == "postgresql")


@contextmanager
def write_transaction(session: Session, policy: WritePolicy = DEFAULT_POLICY, *,
                      keep_loaded: bool = False) -> Iterator[None]:
    """One write transaction with the lock timeout set; commits, or rolls back and
    translates the database's refusals into booking errors.

    ``keep_loaded``: neither the commit that ends the caller's read transaction nor the
    final one expires the session's objects: what the caller read (the restaurant...)
    and what this transaction wrote stay usable without a reload (a round trip each).
    Only for writes that re-read under the locks everything their decision rests on."""
    if isinstance(session, scoped_session):
        session = session()  # the proxy lacks in_transaction(); use the real session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("the booking service owns its transaction: flush or discard "
                           "pending changes before calling it")
    go_on = _can_continue(session)
    if session.in_transaction() and not go_on:
        # End the caller's transaction; our writes start fresh.
        if keep_loaded:
            _commit_keeping_loaded(session)
        else:
            session.commit()
    try:
        if not go_on:
            # On SQLite a writer that waited out the busy timeout fails right here, at
            # BEGIN IMMEDIATE: that is a lock timeout too, not a database outage.
            session.connection(execution_options={BEGIN_IMMEDIATE: True})
        locks.set_lock_timeout(session, policy.lock_timeout_ms)
        yield
        if keep_loaded:
            _commit_keeping_loaded(session)
        else:
            session.commit()
    except sa_exc.IntegrityError as error:
        session.rollback()
        if _is_overlap_violation(error):
            # The backstop caught what the locks and the re-check did not.
            raise SlotTaken(by_constraint=True) from error
        raise
    except sa_exc.DBAPIError as error:
        session.rollback()
        if _is_lock_failure(error):
            raise LockTimeout() from error
        raise
    except BaseException:
        session.rollback()
        raise


# The hot statements, built once (building a statement costs about as much as running
# it). ``ignore`` 0 ignores nothing: ids start at 1.
_STAY_OVERLAPS = and_(Reservation.status.in_(ACTIVE_STATUSES), overlapping_stays(
    bindparam("starts_at"), bindparam("ends_at"), looks_back_to=bindparam("looks_back_to")))
_TABLE_TAKEN = (select(Reservation.id)
                .where(Reservation.table_id == bindparam("table_id"), _STAY_OVERLAPS,
                       Reservation.id != bindparam("ignore"))
                .limit(1))
# A stay of this guest: the same e-mail or phone (an empty one matches nothing).
_SAME_GUEST = or_(and_(bindparam("email") != "", Reservation.guest_email == bindparam("email")),
                  and_(bindparam("phone") != "", Reservation.guest_phone == bindparam("phone")))
_IN_RESTAURANT = Reservation.restaurant_id == bindparam("restaurant_id")
# Tables held over the stay, and whether by this guest.
_HELD_OVER_STAY = (select(Reservation.table_id, _SAME_GUEST.label("same_guest"))
                   .where(_IN_RESTAURANT, _STAY_OVERLAPS))
# This guest's other stay overlapping the stay, if any.
_GUEST_STAY = (select(Reservation.id)
               .where(_IN_RESTAURANT, _STAY_OVERLAPS, _SAME_GUEST,
                      Reservation.id != bindparam("ignore"))
               .limit(1))


def _stay(starts_at: dt.datetime, ends_at: dt.datetime) -> dict[str, dt.datetime]:
    """The parameters of _STAY_OVERLAPS for the stay [starts_at, ends_at)."""
    return {"starts_at": starts_at, "ends_at": ends_at,
            "looks_back_to": starts_at - OVERLAP_LOOKBACK}


def _table_is_free(session: Session, table_id: int, starts_at: dt.datetime,
                   ends_at: dt.datetime, ignore: int | None) -> bool:
    return session.connection().execute(_TABLE_TAKEN, {
        "table_id": table_id, **_stay(starts_at, ends_at), "ignore": ignore or 0,
    }).first() is None


def _guest_identities(guest: GuestDetails) -> list[str]:
    identities = []
    if guest.email:
        identities.append(f"email:{guest.email}")
    if guest.phone:
        identities.append(f"phone:{guest.phone}")
    return identities


def _check_guest_free(session: Session, restaurant_id: int, guest: GuestDetails,
                      starts_at: dt.datetime, ends_at: dt.datetime, ignore: int | None) -> None:
    if not (guest.email or guest.phone):
        return  # no way to tell this guest's other stays
    if session.execute(_GUEST_STAY, {
            "restaurant_id": restaurant_id, **_stay(starts_at, ends_at),
            "email": guest.email, "phone": guest.phone, "ignore": ignore or 0}).first():
        raise GuestAlreadyBooked()


def _lock_guest(session: Session, policy: WritePolicy, restaurant_id: int,
                guest: GuestDetails) -> None:
    if policy.advisory_locks:
        keys = [locks.guest_lock_key(restaurant_id, i) for i in _guest_identities(guest)]
        locks.advisory_xact_lock(session, (), keys)


def _claim_table(session: Session, policy: WritePolicy, table_id: int,
                 starts_at: dt.datetime, ends_at: dt.datetime, ignore: int | None = None) -> bool:
    """Lock every (table, bucket) of the stay, then re-check: True when the table is ours.

    One table per transaction: a writer that finds its table taken rolls back and
    tries the next candidate in a new transaction, so it never holds one table's
    locks while waiting for another's (no lock-order cycles between tables)."""
    if policy.advisory_locks:
        locks.advisory_xact_lock(session, locks.slot_lock_keys(table_id, starts_at, ends_at))
    return _table_is_free(session, table_id, starts_at, ends_at, ignore)


def _guest_check_and_busy_tables(session: Session, restaurant_id: int, guest: GuestDetails,
                                 starts_at: dt.datetime, ends_at: dt.datetime) -> set[int]:
    """One read for a new booking, after the guest lock: raise GuestAlreadyBooked when
    the guest holds an active stay overlapping [starts_at, ends_at), else return the
    tables visibly taken then (the unlocked read of :func:`_busy_tables`). The guest
    part is exactly :func:`_check_guest_free`'s query (a reservation of this guest
    overlapping the stay is also one the occupancy query returns)."""
    rows = session.connection().execute(_HELD_OVER_STAY, {
        "restaurant_id": restaurant_id, **_stay(starts_at, ends_at),
        "email": guest.email, "phone": guest.phone}).all()
    if any(row.same_guest for row in rows):
        raise GuestAlreadyBooked()
    return {row.table_id for row in rows}


def _busy_tables(session: Session, restaurant_id: int, starts_at: dt.datetime,
                 ends_at: dt.datetime, ignore: int | None) -> set[int]:
    """Tables that hold an active stay overlapping [starts_at, ends_at) (one unlocked read,
    used only to skip hopeless candidates; the locked re-check decides)."""
    return set(occupancy(session, restaurant_id, starts_at, ends_at, ignore=ignore).stays)


def _before_write(session: Session, table_id: int, starts_at: dt.datetime,
                  ends_at: dt.datetime) -> None:
    for hook in BEFORE_WRITE_HOOKS:
        hook(session, table_id, starts_at, ends_at)


class _TableTaken(Exception):
    """Internal: the candidate was taken (seen under the lock); try the next one."""


class _NoTableLeft(Exception):
    """Internal: every candidate has been tried or is visibly taken."""


def _next_free(session: Session, restaurant_id: int, candidates: Sequence[tuple[int, str]],
               starts_at: dt.datetime, ends_at: dt.datetime, ignore: int | None,
               tried: set[int], busy: set[int] | None = None) -> tuple[int, str]:
    """The first (id, name) candidate not tried yet and not visibly taken. Read afresh at
    every attempt (``busy``: read by the caller in this attempt): under contention,
    tables others took while we waited for a lock are skipped without queueing for
    theirs."""
    if busy is None:
        busy = _busy_tables(session, restaurant_id, starts_at, ends_at, ignore)
    for candidate in candidates:
        if candidate[0] not in tried and candidate[0] not in busy:
            return candidate
    raise _NoTableLeft()


# --------------------------------------------------------------------------- rules


def _online_slot(schedule: Schedule, starts_at: dt.datetime, party_size: int,
                 now: dt.datetime) -> Slot:
    if party_size > schedule.max_online_party:
        raise PartyTooLarge(f"Parties of more than {schedule.max_online_party} cannot book "
                            "online; please call the restaurant.")
    if starts_at <= now:  # before the slot search, which cannot step back from year 1
        raise TooLate("That time has already passed.")
    slot = slotlib.find_slot(schedule, starts_at, party_size)
    if slot is None:
        raise OutsideOpeningHours()
    earliest, last_day = slotlib.online_window(schedule, now)
    if slot.starts_at <= now:
        raise TooLate("That time has already passed.")
    if slot.starts_at < earliest:
        raise TooLate(f"Online bookings close {schedule.lead_time_minutes} minutes before the "
                      "start; please call the restaurant.")
    if slot.service_date is not None and slot.service_date > last_day:
        raise TooFarAhead(f"Bookings open {schedule.horizon_days} days ahead.")
    return slot


def plan_stay(schedule: Schedule, starts_at: dt.datetime, party_size: int, *, online: bool,
              within_hours: bool, now: dt.datetime,
              duration_minutes: int | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The stay [start, end) a booking will hold, after the rules that apply to it:
    guests get the slot grid, lead time, horizon and party limit; owners' phone
    bookings must fall inside a service; walk-ins and moves are the owner's call."""
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    if not 1 <= party_size <= MAX_PARTY:
        raise NoSuitableTable(f"A party must be between 1 and {MAX_PARTY} people.")
    if online:
        slot = _online_slot(schedule, starts_at, party_size, now)
        return slot.starts_at, slot.ends_at
    if within_hours and not slotlib.within_service(schedule, starts_at, party_size):
        raise OutsideOpeningHours("That time is outside the restaurant's services.")
    minutes = duration_minutes or slotlib.turn_minutes(schedule, party_size)
    if not 5 <= minutes <= MAX_STAY_MINUTES:
        raise InvalidDuration()
    return starts_at, starts_at + dt.timedelta(minutes=minutes)


def _candidates(tables: Sequence[AnyTable], party_size: int, table_id: int | None,
                prefer: int | None = None) -> list[AnyTable]:
    """The tables to try, in order: the one asked for, or every table that takes the
    party, best fit first (a moved guest's own table first when it still fits)."""
    if table_id is not None:
        table = next((t for t in tables if t.id == table_id), None)
        if table is None:
            raise TableNotFound()
        if not table.fits(party_size):
            raise NoSuitableTable(f"Table {table.name} takes parties of {table.min_party} to "
                                  f"{table.largest_party}.")
        return [table]
    ordered = best_fit_order(tables, party_size)
    if not ordered:
        raise NoSuitableTable(f"No table takes a party of {party_size}.")
    if prefer is not None:  # keep a guest on their table when it still fits
        ordered.sort(key=lambda t: t.id != prefer)
    return ordered


def _attach_alternatives(error: SlotTaken, session: Session, restaurant: Restaurant,
                         schedule: Schedule, starts_at: dt.datetime, ends_at: dt.datetime,
                         party_size: int, online: bool, now: dt.datetime,
                         ignore: int | None = None) -> SlotTaken:
    """Fill in nearby free times and the other free tables (fixed number of queries)."""
    error.alternatives = nearest_free_times(session, restaurant, starts_at, party_size, now,
                                            online=online, schedule=schedule, ignore=ignore)
    busy = _busy_tables(session, restaurant.id, starts_at, ends_at, ignore)
    error.free_tables = [t.name for t in best_fit_order(
        restaurant_setup(session, restaurant).tables, party_size) if t.id not in busy]
    session.rollback()
    return error


# Built once like the queries above; the columns come from the parameters' keys.
_INSERT_RESERVATION = insert(Reservation.__table__).returning(Reservation.__table__.c.id)
_INSERT_EVENT = insert(ReservationEvent.__table__)


def _insert_reservation(session: Session, values: dict[str, Any]) -> Reservation:
    """INSERT the new reservation with a plain statement and hand back the ORM object,
    persistent in the session as if just loaded: the unit of work's flush of one new
    object was the largest single cost of a booking after the queries themselves."""
    now = utcnow()
    values = {**values, "created_at": now, "updated_at": now, "version": 1}
    new_id = session.connection().execute(_INSERT_RESERVATION, values).scalar_one()
    reservation = Reservation(id=new_id, **values)
    make_transient_to_detached(reservation)
    session.add(reservation)
    return reservation


def _record_history(session: Session, reservation: Reservation, actor: str, action: str,
                    changes: dict[str, Any]) -> None:
    """One history row, written with a plain INSERT (flushing the reservation first): an
    ORM object here would cost a second unit-of-work flush on every write."""
    session.flush()
    session.connection().execute(_INSERT_EVENT, {
        "reservation_id": reservation.id, "actor": actor[:200], "action": action,
        "changes": changes, "at": utcnow()})


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


# --------------------------------------------------------------------------- writes


def book(
    session: Session,
    restaurant: Restaurant,
    *,
    starts_at: dt.datetime,
    party_size: int,
    guest: GuestDetails,
    table_id: int | None = None,
    source: str = "online",
    status: str = "booked",
    duration_minutes: int | None = None,
    actor: str = "guest",
    now: dt.datetime | None = None,
    policy: WritePolicy = DEFAULT_POLICY,
    after_write: AfterWrite | None = None,
    schedule: Schedule | None = None,
    tables: Sequence[AnyTable] | None = None,
) -> BookingResult:
    """Book a table: the given one, or the best free fit. Raises a BookingError.

    Each candidate table is tried in its own locked transaction, best fit first,
    skipping tables an unlocked read already shows as taken; the first one whose
    re-check passes under the lock is written and committed.

    ``schedule`` and ``tables`` (the restaurant's active tables): what the caller has
    at hand (``restaurant_setup``'s cached copies by default). They only choose the stay
    and the candidates; the locked re-check decides.

    The reservation comes back loaded, usable without a reload; with ORM ``tables`` its
    ``table`` too (else the result's ``table_name`` saves loading it)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    if status not in ACTIVE_STATUSES:
        raise ValueError("a new reservation is booked or (a walk-in) seated")
    now = now or utcnow()
    guest = guest.normalised()
    online = source in ONLINE_SOURCES
    restaurant_id = restaurant.id
    if schedule is None:
        schedule = load_schedule(session, restaurant)
    starts_at, ends_at = plan_stay(schedule, starts_at, party_size, online=online,
                                   within_hours=source == "phone", now=now,
                                   duration_minutes=None if online else duration_minutes)
    if tables is None:
        tables = restaurant_setup(session, restaurant).tables
    # Plain values: the ORM objects expire at an attempt's rollback.
    candidate_tables = _candidates(tables, party_size, table_id)
    candidates = [(t.id, t.name) for t in candidate_tables]
    table_objects = {t.id: t for t in candidate_tables}
    token, token_hash = new_manage_token()
    tried: set[int] = set()
    by_constraint = False
    while True:
        try:
            with write_transaction(session, policy, keep_loaded=True):
                _lock_guest(session, policy, restaurant_id, guest)
                busy = _guest_check_and_busy_tables(session, restaurant_id, guest, starts_at,
                                                    ends_at)
                chosen, chosen_name = _next_free(session, restaurant_id, candidates, starts_at,
                                                 ends_at, None, tried, busy)
                tried.add(chosen)
                if not _claim_table(session, policy, chosen, starts_at, ends_at):
                    raise _TableTaken()
                _before_write(session, chosen, starts_at, ends_at)
                reservation = _insert_reservation(session, dict(
                    restaurant_id=restaurant_id, table_id=chosen, starts_at=starts_at,
                    ends_at=ends_at, party_size=party_size, guest_name=guest.name,
                    guest_email=guest.email, guest_phone=guest.phone, notes=guest.notes,
                    status=status, source=source, manage_token_hash=token_hash))
                # The clear token, for an after_write that mails it (never stored).
                reservation.issued_manage_token = token
                if isinstance(table_objects[chosen], DiningTable):
                    # The table we already hold: no lazy load when the caller reads it.
                    set_committed_value(reservation, "table", table_objects[chosen])
                _record_history(session, reservation, actor, "created", {
                    "table": chosen_name, "starts_at": starts_at.isoformat(),
                    "party_size": party_size, "status": status, "source": source})
                if after_write:
                    after_write(session, reservation, "created")
            for observer in BOOKED_OBSERVERS:
                observer(source)
            return BookingResult(reservation, token, chosen_name)
        except _TableTaken:
            continue
        except _NoTableLeft:
            break
        except SlotTaken as error:  # the backstop refused the write: that table is taken too
            by_constraint = by_constraint or error.by_constraint
    raise _attach_alternatives(SlotTaken(by_constraint=by_constraint), session, restaurant,
                               schedule, starts_at, ends_at, party_size, online, now)


def _locked_reservation(session: Session, restaurant_id: int, reservation_id: int) -> Reservation:
    reservation = session.scalars(
        select(Reservation)
        .where(Reservation.id == reservation_id, Reservation.restaurant_id == restaurant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if reservation is None:
        raise ReservationNotFound()
    return reservation


def _check_version(reservation: Reservation, expected_version: int | None) -> None:
    if expected_version is not None and reservation.version != expected_version:
        raise StaleReservation()


def _check_guest_may_change(reservation: Reservation, now: dt.datetime, what: str) -> None:
    if reservation.status != "booked":
        raise NotChangeable(f"This booking is {reservation.status.replace('_', ' ')} and can no "
                            f"longer be {what}.")
    if reservation.starts_at <= now:
        raise NotChangeable(f"This booking has already started and can no longer be {what}.")


@dataclass(frozen=True)
class _ChangePlan:
    starts_at: dt.datetime
    ends_at: dt.datetime
    party_size: int
    moves: bool  # the stay (time, length or party) changes


def _plan_change(schedule: Schedule, reservation: Reservation, starts_at: dt.datetime | None,
                 party_size: int | None, duration_minutes: int | None, online: bool,
                 now: dt.datetime) -> _ChangePlan:
    """The new stay. Guests move on the slot grid with their party's turn time; owners
    keep the stay's length unless they give a duration or change the party size (which
    recomputes the turn time)."""
    new_party = party_size if party_size is not None else reservation.party_size
    new_start = starts_at if starts_at is not None else reservation.starts_at
    moves = (new_start != reservation.starts_at or new_party != reservation.party_size
             or duration_minutes is not None)
    if not moves:
        return _ChangePlan(reservation.starts_at, reservation.ends_at, new_party, False)
    if not online and duration_minutes is None and new_party == reservation.party_size:
        length = reservation.ends_at - reservation.starts_at
        duration_minutes = max(1, int(length.total_seconds() // 60))
    new_start, new_end = plan_stay(schedule, new_start, new_party, online=online,
                                   within_hours=False, now=now,
                                   duration_minutes=duration_minutes)
    return _ChangePlan(new_start, new_end, new_party, True)


def change(
    session: Session,
    restaurant: Restaurant,
    reservation_id: int,
    *,
    starts_at: dt.datetime | None = None,
    party_size: int | None = None,
    table_id: int | None = None,
    guest: GuestDetails | None = None,
    duration_minutes: int | None = None,
    expected_version: int | None = None,
    online: bool = False,
    actor: str = "guest",
    now: dt.datetime | None = None,
    policy: WritePolicy = DEFAULT_POLICY,
    after_write: AfterWrite | None = None,
) -> Reservation:
    """Move or edit a reservation: time, party size, table, guest details.

    ``online`` applies the guest rules (only a booked, future reservation; the
    slot grid, lead time and horizon). Owners may move to any time and table and
    keep the stay's length; the table must still be free. Without ``table_id`` the
    reservation keeps its table when that is free at the new time, else gets the
    best free fit; like :func:`book`, each candidate is tried in its own transaction."""
    now = now or utcnow()
    restaurant_id = restaurant.id
    schedule = load_schedule(session, restaurant)
    new_guest = guest.normalised() if guest is not None else None
    tried: set[int] = set()
    by_constraint = False
    plan: _ChangePlan | None = None
    while True:
        claimed = False  # did this attempt lock and re-check a table?
        try:
            with write_transaction(session, policy):
                reservation = _locked_reservation(session, restaurant_id, reservation_id)
                _check_version(reservation, expected_version)
                if online:
                    _check_guest_may_change(reservation, now, "changed")
                elif not reservation.active:
                    raise NotChangeable(f"A {reservation.status.replace('_', ' ')} reservation "
                                        "cannot be changed.")
                plan = _plan_change(schedule, reservation, starts_at, party_size,
                                    duration_minutes, online, now)
                effective_guest = new_guest or GuestDetails(
                    reservation.guest_name, reservation.guest_email, reservation.guest_phone,
                    reservation.notes)
                _lock_guest(session, policy, restaurant_id, effective_guest)
                _check_guest_free(session, restaurant_id, effective_guest, plan.starts_at,
                                  plan.ends_at, reservation.id)
                new_table = reservation.table_id
                if table_id is not None or plan.moves:
                    candidates = [(t.id, t.name) for t in _candidates(
                        restaurant_setup(session, restaurant).tables, plan.party_size, table_id,
                        prefer=reservation.table_id)]
                    new_table, _ = _next_free(session, restaurant_id, candidates, plan.starts_at,
                                              plan.ends_at, reservation.id, tried)
                    tried.add(new_table)
                    claimed = True
                    if not _claim_table(session, policy, new_table, plan.starts_at,
                                        plan.ends_at, ignore=reservation.id):
                        raise _TableTaken()
                    _before_write(session, new_table, plan.starts_at, plan.ends_at)
                _apply_change(session, reservation, plan, new_table, new_guest, actor,
                              after_write)
            return reservation
        except _TableTaken:
            continue
        except _NoTableLeft:
            break
        except SlotTaken:  # the backstop refused the write
            if not claimed:
                raise
            by_constraint = True  # that table is taken too: try the next one
    assert plan is not None
    raise _attach_alternatives(SlotTaken(by_constraint=by_constraint), session, restaurant,
                               schedule, plan.starts_at, plan.ends_at, plan.party_size, online,
                               now, ignore=reservation_id)


def _apply_change(session: Session, reservation: Reservation, plan: _ChangePlan, table_id: int,
                  new_guest: GuestDetails | None, actor: str,
                  after_write: AfterWrite | None) -> None:
    before = _snapshot(reservation)
    reservation.starts_at, reservation.ends_at = plan.starts_at, plan.ends_at
    reservation.party_size = plan.party_size
    reservation.table_id = table_id
    if new_guest is not None:
        reservation.guest_name = new_guest.name
        reservation.guest_email = new_guest.email
        reservation.guest_phone = new_guest.phone
        reservation.notes = new_guest.notes
    diff = _diff(before, _snapshot(reservation))
    if diff:
        reservation.version += 1
        _record_history(session, reservation, actor, "changed", diff)
        if after_write:
            after_write(session, reservation, "changed")


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
) -> Reservation:
    """Move a reservation along booked -> seated -> completed, booked -> no_show, or
    booked/seated -> cancelled. Other moves raise InvalidTransition. A guest
    (``online``) may only cancel a booked reservation that has not started.

    No advisory locks: a status move never makes a stay active, so it cannot create
    an overlap; the row lock orders it against a concurrent change."""
    now = now or utcnow()
    restaurant_id = restaurant.id
    with write_transaction(session, policy):
        reservation = _locked_reservation(session, restaurant_id, reservation_id)
        _check_version(reservation, expected_version)
        if online:
            if new_status != "cancelled":
                raise NotChangeable("Guests can cancel a booking, nothing else.")
            _check_guest_may_change(reservation, now, "cancelled")
        if new_status not in TRANSITIONS.get(reservation.status, ()):
            raise InvalidTransition(reservation.status, new_status)
        old = reservation.status
        reservation.status = new_status
        reservation.version += 1
        _record_history(session, reservation, actor, new_status, {"status": [old, new_status]})
        if after_write:
            after_write(session, reservation, new_status)
    return reservation


def cancel(session: Session, restaurant: Restaurant, reservation_id: int, **kwargs: Any
           ) -> Reservation:
    """Cancel a booked or seated reservation (a guest: only a future booked one)."""
    return set_status(session, restaurant, reservation_id, "cancelled", **kwargs)


def find_by_token(session: Session, token: str) -> Reservation | None:
    """The reservation a guest's private link points at, or None."""
    if not token or len(token) > 200:
        return None
    return session.scalar(select(Reservation).where(
        Reservation.manage_token_hash == hash_token(token)))
