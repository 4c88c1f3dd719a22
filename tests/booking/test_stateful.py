"""The booking service against a tiny reference model, driven by Hypothesis.

A ``RuleBasedStateMachine`` books, moves, re-sizes, cancels and walks reservations
through their statuses at random (as a guest and as the owner), and after every
step checks that the database holds exactly what the model predicts, that no
table holds two overlapping active reservations (a booking on joined tables holds each of
them), and that dinner's pace (PACE covers starting per 15 minutes) is kept unless the
owner chose to go over it. Two guests also hold tables while they type (booking/holds.py)
and book with their hold, while the clock moves on: a live hold blocks everyone but its
holder, an expired one nobody, and no two live holds (nor a live hold and an active
booking) ever share a table. The model is deliberately naive:
lists and interval arithmetic, no SQL, no slot generator.

Runs on both backends (the ``app`` fixture): PostgreSQL and SQLite.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select, update

from tests.clock import fixed_now
from tests.factories import future_day, join_tables, local, make_restaurant
from webapp.booking import holds, service
from webapp.booking.errors import BookingError
from webapp.extensions import db
from webapp.models import Hold, OpeningHours, Reservation

TABLES = (("A", 2), ("B", 4), ("C", 6))  # position = index
# The combinations (tables in the owner's order, smallest and largest party), position =
# index: single tables are tried first, then these, best fit first.
COMBOS = ((("A", "B"), 5, 6), (("B", "C"), 7, 10))
TURN = {1: 60, 3: 90, 5: 120}  # minutes by smallest party size
MAX_ONLINE = 6
SERVICES = ((dt.time(12), dt.time(15)), (dt.time(18), dt.time(23)))
HOURS = ["12:00", "16:00", "18:00", "18:30", "19:00", "19:30", "20:00", "20:30", "21:00",
         "21:30", "22:00"]  # 16:00 is between the services
GUESTS = (  # the last two are one guest: same phone, different e-mail
    service.GuestDetails("Ann", "ann@example.com"),
    service.GuestDetails("Bob", "bob@example.com"),
    service.GuestDetails("Cid", "", "+49 30 111"),
    service.GuestDetails("Cid again", "cid@example.com", "+4930111"),
)
TRANSITIONS = {"booked": {"seated", "no_show", "cancelled"}, "seated": {"completed", "cancelled"}}
ACTIVE = ("booked", "seated")
# Dinner's pace: the most covers that may start in one 15-minute slot (lunch has none),
# counted over booked, seated and completed bookings (booking/pacing.py).
PACE = 3
PACED = ("booked", "seated", "completed")
OVER_PACE = {"pace": "Booked over the pace"}
HOLDERS = (0, 1)  # two guests' browser sessions
HOLD_MINUTES = 7  # the restaurant's default


def holder_identity(holder: int) -> str:
    return f"browser-{holder}"


def turn(party: int) -> int:
    return TURN[max(k for k in TURN if k <= party)]


@dataclass(frozen=True)
class Booking:
    tables: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    party: int
    status: str
    guest: int

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class HeldTables:
    token: str
    tables: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    party: int
    expires: dt.datetime


def same_guest(a: int, b: int) -> bool:
    ga, gb = GUESTS[a].normalised(), GUESTS[b].normalised()
    return bool((ga.email and ga.email == gb.email) or (ga.phone and ga.phone == gb.phone))


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


class BookingModel:
    """What the service should do, in the plainest terms."""

    def __init__(self, day: dt.date, at) -> None:
        self.day = day
        self.at = at  # "HH:MM" -> aware UTC datetime
        self.bookings: dict[int, Booking] = {}
        # Dinner slots the owner filled over the pace on purpose.
        self.over_pace: set[dt.datetime] = set()
        self.now = fixed_now()
        self.holds: dict[int, HeldTables] = {}  # holder -> their (latest) hold

    def live_holds(self, but: int | None = None) -> list[HeldTables]:
        """Holds not yet expired, but ``but``'s (a holder's own block nothing for them)."""
        return [h for holder, h in self.holds.items() if holder != but and h.expires > self.now]

    def paced(self, start: dt.datetime) -> bool:
        return self.at("18:00") <= start < self.at("23:00")

    def covers_at(self, start: dt.datetime, ignore: int | None = None) -> int:
        return sum(b.party for rid, b in self.bookings.items()
                   if rid != ignore and b.status in PACED and b.start == start)

    def over_the_pace(self, start: dt.datetime, party: int, ignore: int | None = None) -> bool:
        """Would ``party`` more covers starting at ``start`` pass dinner's pace? (Every
        start the machine uses is on the 15-minute grid, so a slot is its start.)"""
        return self.paced(start) and self.covers_at(start, ignore) + party > PACE

    def in_service(self, start: dt.datetime, party: int) -> bool:
        for opens, closes in SERVICES:
            first = self.at(f"{opens:%H:%M}")
            last = self.at(f"{closes:%H:%M}") - dt.timedelta(minutes=turn(party))
            if first <= start <= last:
                return True
        return False

    def taken(self, table: str, start, end, ignore: int | None = None,
              holder: int | None = None) -> bool:
        """An active stay (but ``ignore``) or a live hold (but ``holder``'s) overlaps."""
        return any(b.active and table in b.tables and rid != ignore
                   and overlaps(b.start, b.end, start, end)
                   for rid, b in self.bookings.items()) or any(
            table in h.tables and overlaps(h.start, h.end, start, end)
            for h in self.live_holds(but=holder))

    def guest_busy(self, guest: int, start, end, ignore: int | None = None) -> bool:
        return any(b.active and rid != ignore and same_guest(b.guest, guest)
                   and overlaps(b.start, b.end, start, end) for rid, b in self.bookings.items())

    @staticmethod
    def order(party: int, prefer: tuple[str, ...] | None = None) -> list[tuple[str, ...]]:
        """Where the party may sit, in the order tried: single tables best fit, then the
        combinations best fit (a moved booking's own tables first)."""
        seats = dict(TABLES)
        singles = [(seats_ - party, position, (name,))
                   for position, (name, seats_) in enumerate(TABLES) if party <= seats_]
        joined = [(sum(seats[t] for t in names) - party, position, names)
                  for position, (names, low, high) in enumerate(COMBOS) if low <= party <= high]
        placements = [p for _, _, p in sorted(singles)] + [p for _, _, p in sorted(joined)]
        if prefer in placements:
            placements.remove(prefer)
            placements.insert(0, prefer)
        return placements

    def place(self, party: int, table: str | None, start, end, guest: int | None,
              ignore: int | None = None, prefer: tuple[str, ...] | None = None,
              holder: int | None = None) -> tuple[set[str], tuple[str, ...] | None]:
        """(the errors any of which may be raised, the tables it goes to if none)."""
        errors = set()
        if table is not None:
            seats = dict(TABLES)[table]
            candidates = [(table,)] if party <= seats else []
        else:
            candidates = self.order(party, prefer)
        if not candidates:
            errors.add("NoSuitableTable")
        free = [p for p in candidates
                if not any(self.taken(t, start, end, ignore, holder) for t in p)]
        if candidates and not free:
            errors.add("SlotTaken")
        if guest is not None and self.guest_busy(guest, start, end, ignore):
            errors.add("GuestAlreadyBooked")
        return errors, (free[0] if free and not errors else None)


class BookingMachine(RuleBasedStateMachine):
    def __init__(self, app, clock) -> None:
        super().__init__()
        self.app = app
        self.clock = clock
        self.session = db.session

    @initialize()
    def open_restaurant(self):
        # A new restaurant per example (cheaper than emptying the database each time):
        # everything the model checks is scoped to it. Each starts at the same instant.
        self.clock.set(fixed_now())
        self.restaurant = make_restaurant(
            self.session, tables=list(TABLES), turn_times={str(k): v for k, v in TURN.items()},
            max_online_party=MAX_ONLINE, slot_interval_minutes=15)
        self.restaurant_id = self.restaurant.id
        self.table_ids = {t.name: t.id for t in self.restaurant.tables}
        self.table_names = {v: k for k, v in self.table_ids.items()}
        for position, (names, low, high) in enumerate(COMBOS):
            join_tables(self.session, self.restaurant, list(names), low, high,
                        position=position)
        day = future_day(9)
        times = {hhmm: local(self.restaurant, day, int(hhmm[:2]), int(hhmm[3:]))
                 for hhmm in [*HOURS, "15:00", "23:00"]}
        self.model = BookingModel(day, times.__getitem__)
        self.session.execute(update(OpeningHours).where(
            OpeningHours.restaurant_id == self.restaurant_id,
            OpeningHours.name == "Dinner").values(pace_covers=PACE))
        self.session.commit()

    def tables_of(self, reservation_id: int) -> tuple[str, ...]:
        """The reservation's tables as the database holds them: its own, then its parts'."""
        rows = self.session.execute(
            select(Reservation.table_id, Reservation.part_of)
            .where((Reservation.id == reservation_id) | (Reservation.part_of == reservation_id))
            .order_by(Reservation.part_of.is_not(None), Reservation.id)).all()
        self.session.rollback()
        return tuple(self.table_names[table_id] for table_id, _ in rows)

    def outcome(self, call) -> tuple[str, object]:
        try:
            return "ok", call()
        except BookingError as error:
            return type(error).__name__, error

    # ------------------------------------------------------------------ rules

    @rule(party=st.integers(1, 10), hour=st.sampled_from(HOURS),
          table=st.none() | st.sampled_from([name for name, _ in TABLES]),
          guest=st.integers(0, len(GUESTS) - 1), online=st.booleans(),
          over_pace=st.booleans())
    def book(self, party, hour, table, guest, online, over_pace):
        over_pace = over_pace and not online  # only the restaurant may go over the pace
        start = self.model.at(hour)
        end = start + dt.timedelta(minutes=turn(party))
        if online and party > MAX_ONLINE:
            expected, goes_to = {"PartyTooLarge"}, None
        elif not self.model.in_service(start, party):
            # StayPastClosing: the kind of OutsideOpeningHours an owner may override.
            expected, goes_to = {"OutsideOpeningHours", "StayPastClosing"}, None
        else:
            expected, goes_to = self.model.place(party, table, start, end, guest)
            expected |= self._pace_refusal(start, party, over_pace)
        kind, result = self.outcome(lambda: service.book(
            self.session, self.restaurant, starts_at=start, party_size=party,
            guest=GUESTS[guest], table_id=self.table_ids.get(table),
            source="online" if online else "phone",
            overrides=OVER_PACE if over_pace else None))
        if not expected:
            assert kind == "ok", (result, goes_to)
            reservation = result.reservation
            assert self.tables_of(reservation.id) == goes_to
            self._note_over_pace(start, party, None)
            self.model.bookings[reservation.id] = Booking(goes_to, start, end, party, "booked",
                                                          guest)
        else:
            assert kind in expected, (kind, expected, result)

    @precondition(lambda self: self.model.bookings)
    @rule(data=st.data(), hour=st.none() | st.sampled_from(HOURS),
          party=st.none() | st.integers(1, 10),
          table=st.none() | st.sampled_from([name for name, _ in TABLES]),
          over_pace=st.booleans())
    def owner_changes(self, data, hour, party, table, over_pace):
        rid = data.draw(st.sampled_from(sorted(self.model.bookings)))
        before = self.model.bookings[rid]
        start = self.model.at(hour) if hour else before.start
        new_party = party or before.party
        if not before.active:
            expected, goes_to = {"NotChangeable"}, None
        else:
            moves = start != before.start or new_party != before.party
            length = before.end - before.start if new_party == before.party \
                else dt.timedelta(minutes=turn(new_party))
            end = start + length if moves else before.end
            if table is None and not moves:
                expected = {"GuestAlreadyBooked"} if self.model.guest_busy(
                    before.guest, start, end, rid) else set()
                goes_to = before.tables
            else:
                expected, goes_to = self.model.place(new_party, table, start, end, before.guest,
                                                     ignore=rid, prefer=before.tables)
            if self._covers_arrive(before, start, new_party):
                expected |= self._pace_refusal(start, new_party, over_pace, ignore=rid)
        kind, result = self.outcome(lambda: service.change(
            self.session, self.restaurant, rid, starts_at=start if hour else None,
            party_size=party, table_id=self.table_ids.get(table), actor="owner",
            overrides=OVER_PACE if over_pace else None))
        if not expected:
            assert kind == "ok", result
            if self._covers_arrive(before, start, new_party):
                self._note_over_pace(start, new_party, rid)
            self.model.bookings[rid] = replace(before, tables=goes_to, start=start, end=end,
                                               party=new_party)
        else:
            assert kind in expected, (kind, expected, result)

    @precondition(lambda self: self.model.bookings)
    @rule(data=st.data(), hour=st.sampled_from(HOURS))
    def guest_moves(self, data, hour):
        rid = data.draw(st.sampled_from(sorted(self.model.bookings)))
        before = self.model.bookings[rid]
        start = self.model.at(hour)
        end = start + dt.timedelta(minutes=turn(before.party))  # the turn time, not the old length
        if before.status != "booked":
            expected, goes_to = {"NotChangeable"}, None
        elif start == before.start:  # nothing moves, nothing is checked or changed
            expected, goes_to, end = set(), before.tables, before.end
        elif before.party > MAX_ONLINE:  # booked by phone (joined tables): not online
            expected, goes_to = {"PartyTooLarge", "OutsideOpeningHours"}, None
        elif not self.model.in_service(start, before.party):
            expected, goes_to = {"OutsideOpeningHours"}, None
        else:
            expected, goes_to = self.model.place(before.party, None, start, end, before.guest,
                                                 ignore=rid, prefer=before.tables)
            expected |= self._pace_refusal(start, before.party, False, ignore=rid)
        kind, result = self.outcome(lambda: service.change(
            self.session, self.restaurant, rid, starts_at=start, online=True))
        if not expected:
            assert kind == "ok", result
            self.model.bookings[rid] = replace(before, tables=goes_to, start=start, end=end)
        else:
            assert kind in expected, (kind, expected, result)

    @precondition(lambda self: self.model.bookings)
    @rule(data=st.data(), status=st.sampled_from(["seated", "completed", "no_show", "cancelled"]),
          online=st.booleans())
    def set_status(self, data, status, online):
        rid = data.draw(st.sampled_from(sorted(self.model.bookings)))
        before = self.model.bookings[rid]
        if online and (status != "cancelled" or before.status != "booked"):
            expected = {"NotChangeable"}  # a guest may only cancel a booked reservation
        elif status not in TRANSITIONS.get(before.status, ()):
            expected = {"InvalidTransition"}
        else:
            expected = set()
        kind, result = self.outcome(lambda: service.set_status(
            self.session, self.restaurant, rid, status, online=online))
        if not expected:
            assert kind == "ok", result
            self.model.bookings[rid] = replace(before, status=status)
        else:
            assert kind in expected, (kind, expected, result)

    # ------------------------------------------------------------------ holds

    @rule(party=st.integers(1, 8), hour=st.sampled_from(HOURS), holder=st.sampled_from(HOLDERS))
    def guest_holds(self, party, hour, holder):
        start = self.model.at(hour)
        end = start + dt.timedelta(minutes=turn(party))
        if party > MAX_ONLINE:
            expected, goes_to = {"PartyTooLarge"}, None
        elif not self.model.in_service(start, party):
            expected, goes_to = {"OutsideOpeningHours", "StayPastClosing"}, None
        else:
            # Holds check no guest; the holder's own earlier hold blocks nothing.
            expected, goes_to = self.model.place(party, None, start, end, None, holder=holder)
            expected |= self._pace_refusal(start, party, False)
        kind, result = self.outcome(lambda: holds.place(
            self.session, self.restaurant, starts_at=start, party_size=party,
            holder=holder_identity(holder)))
        if not expected:
            assert kind == "ok", (result, goes_to)
            assert {self.table_names[t] for t in result.table_ids} == set(goes_to), result
            self.model.holds[holder] = HeldTables(
                result.token, goes_to, start, end, party,
                self.model.now + dt.timedelta(minutes=HOLD_MINUTES))
        else:
            assert kind in expected, (kind, expected, result)

    @precondition(lambda self: self.model.holds)
    @rule(data=st.data(), guest=st.integers(0, len(GUESTS) - 1))
    def guest_books_with_the_hold(self, data, guest):
        holder = data.draw(st.sampled_from(sorted(self.model.holds)))
        held = self.model.holds[holder]
        # The held tables first; the holder's own hold (expired or not) blocks nothing,
        # others' live holds and every booking do.
        expected, goes_to = self.model.place(held.party, None, held.start, held.end, guest,
                                             prefer=held.tables, holder=holder)
        expected |= self._pace_refusal(held.start, held.party, False)
        kind, result = self.outcome(lambda: service.book(
            self.session, self.restaurant, starts_at=held.start, party_size=held.party,
            guest=GUESTS[guest], source="online", hold=held.token))
        if not expected:
            assert kind == "ok", (result, goes_to)
            reservation = result.reservation
            assert self.tables_of(reservation.id) == goes_to
            self.model.bookings[reservation.id] = Booking(goes_to, held.start, held.end,
                                                          held.party, "booked", guest)
            del self.model.holds[holder]  # converted in the booking's transaction
        else:
            assert kind in expected, (kind, expected, result)

    @rule(minutes=st.sampled_from([1, 3, 6, 8]))
    def time_passes(self, minutes):
        self.clock.advance(minutes=minutes)
        self.model.now += dt.timedelta(minutes=minutes)

    # ------------------------------------------------------------------ the pace

    def _pace_refusal(self, start, party, over_pace: bool, ignore: int | None = None) -> set:
        """{"PaceExceeded"} when the covers would pass the pace and the owner did not say
        to go over it. Added to the other refusals that may come first (any of the set
        may be raised); alone, it must be."""
        if self.model.over_the_pace(start, party, ignore) and not over_pace:
            return {"PaceExceeded"}
        return set()

    def _note_over_pace(self, start, party, ignore: int | None) -> None:
        if self.model.over_the_pace(start, party, ignore):
            self.model.over_pace.add(start)

    @staticmethod
    def _covers_arrive(before: Booking, start, party: int) -> bool:
        """Does the change bring covers to a slot? A new start, or more guests (a stay
        that keeps its slot and does not grow is not re-counted: pacing.check_for)."""
        return start != before.start or party > before.party

    # ------------------------------------------------------------------ checks

    @invariant()
    def database_matches_the_model(self):
        if not hasattr(self, "model"):
            return
        self.session.expire_all()
        rows = self.session.scalars(select(Reservation).where(
            Reservation.restaurant_id == self.restaurant_id).order_by(Reservation.id)).all()
        parts: dict[int, list[str]] = {}
        for r in rows:
            if r.part_of is not None:
                parts.setdefault(r.part_of, []).append(self.table_names[r.table_id])
                # A part holds its table for its booking's stay and status.
                booking = next(b for b in rows if b.id == r.part_of)
                assert (r.starts_at, r.ends_at, r.status) == \
                    (booking.starts_at, booking.ends_at, booking.status)
        actual = {r.id: Booking((self.table_names[r.table_id], *parts.get(r.id, ())),
                                r.starts_at, r.ends_at, r.party_size, r.status, -1)
                  for r in rows if r.part_of is None}
        expected = {rid: replace(b, guest=-1) for rid, b in self.model.bookings.items()}
        assert actual == expected
        active = [r for r in rows if r.status in ACTIVE]
        for a in active:
            for b in active:
                if a.id < b.id and a.table_id == b.table_id:
                    assert not overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at), (a, b)
        for start in {b.start for b in self.model.bookings.values()}:
            if self.model.paced(start) and start not in self.model.over_pace:
                assert self.model.covers_at(start) <= PACE, start
        self._holds_match_the_model(active)
        self.session.rollback()  # end the read: the service owns its transactions

    def _holds_match_the_model(self, active: list[Reservation]) -> None:
        now = self.model.now
        live = self.session.scalars(select(Hold).where(
            Hold.restaurant_id == self.restaurant_id, Hold.expires_at > now)).all()
        actual: dict[str, tuple] = {}
        for h in live:
            tables, *stay = actual.get(h.holder_hash, (frozenset(), h.starts_at, h.ends_at))
            actual[h.holder_hash] = (tables | {self.table_names[h.table_id]}, *stay)
        expected = {holds.holder_hash(holder_identity(holder)):
                    (frozenset(h.tables), h.start, h.end)
                    for holder, h in self.model.holds.items() if h.expires > now}
        assert actual == expected
        for h in live:  # a live hold shares its table with no other hold, nor a stay
            for other in live:
                if other.id != h.id and other.table_id == h.table_id:
                    assert not overlaps(h.starts_at, h.ends_at, other.starts_at, other.ends_at)
            for r in active:
                if r.table_id == h.table_id:
                    assert not overlaps(h.starts_at, h.ends_at, r.starts_at, r.ends_at), (h, r)


@pytest.mark.slow
def test_service_agrees_with_the_reference_model(app, session, clock):
    run_state_machine_as_test(
        lambda: BookingMachine(app, clock),
        settings=settings(max_examples=30, stateful_step_count=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.function_scoped_fixture]),
    )

