"""The schema: restaurants, their tables and hours, reservations, people and tokens.

Integrity rules live in the database as well as in the code: check constraints,
and the no-overlap rule for active reservations of one table (an exclusion
constraint on PostgreSQL, triggers on SQLite: ``webapp/schema_triggers.py``, which also
holds the set-up stamp triggers).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    and_,
    false,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import clock
from .extensions import Model

UTC = dt.UTC

ACTIVE_STATUSES = ("booked", "seated")
STATUSES = ("booked", "seated", "completed", "cancelled", "no_show")
SOURCES = ("online", "phone", "walk_in", "api")
ROLES = ("owner", "staff")
# What an API token may do (webapp/api/auth.py): read anything, write reservations,
# change the set-up. Tokens made before scopes existed hold all three.
TOKEN_SCOPES = ("read", "bookings", "setup")
# One-time links e-mailed to people (webapp/booking/operations/accounts.py).
LINK_PURPOSES = ("verify_email", "reset_password", "invitation")


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on PostgreSQL (timestamptz) and SQLite.

    SQLite has no time zones: values are stored as naive UTC text in one fixed
    format, so string comparison (used by the overlap trigger) is time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def owned_by(session: Any, model: type, object_id: int, restaurant_id: int) -> Any | None:
    """The ``model`` row with that id if it belongs to the restaurant, else None: another
    restaurant's ids must look exactly like ids that do not exist."""
    row = session.get(model, object_id)
    if row is None or row.restaurant_id != restaurant_id:
        return None
    # A joined booking's part row (Reservation.part_of) is no booking of its own.
    return None if getattr(row, "part_of", None) is not None else row


def _country_of_zone(context: Any) -> str:
    from .booking.phones import country_for_zone

    return country_for_zone(context.get_current_parameters().get("timezone") or "Europe/Berlin")


class Restaurant(Model):
    __tablename__ = "restaurants"
    __table_args__ = (
        CheckConstraint("slot_interval_minutes BETWEEN 5 AND 120", name="slot_interval"),
        CheckConstraint("default_turn_minutes BETWEEN 15 AND 720", name="default_turn"),
        CheckConstraint("lead_time_minutes >= 0", name="lead_time"),
        CheckConstraint("horizon_days BETWEEN 1 AND 730", name="horizon"),
        CheckConstraint("max_online_party >= 1", name="max_online_party"),
        CheckConstraint("cancel_cutoff_hours BETWEEN 0 AND 720", name="cancel_cutoff"),
        CheckConstraint("hold_minutes BETWEEN 0 AND 60", name="hold_minutes"),
        CheckConstraint("waitlist_offer_minutes BETWEEN 1 AND 60",
                        name="waitlist_offer_minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    slot_interval_minutes: Mapped[int] = mapped_column(Integer, default=15)
    default_turn_minutes: Mapped[int] = mapped_column(Integer, default=120)
    # Turn time by party size: {"1": 90, "3": 120, "5": 150} means parties of 1-2 stay
    # 90 minutes, 3-4 stay 120 and 5 or more 150.  Sizes below the smallest key use
    # default_turn_minutes.
    turn_times: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    lead_time_minutes: Mapped[int] = mapped_column(Integer, default=60)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    max_online_party: Mapped[int] = mapped_column(Integer, default=8)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Hours before a booking its guest is e-mailed a reminder; 0: no reminders.
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24, server_default=text("24"))
    # ISO 3166 country (e.g. "DE"): the default region for guests' phone numbers; from
    # the time zone when the restaurant is created (webapp/booking/phones.py).
    country: Mapped[str] = mapped_column(String(2), default=_country_of_zone, server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A new random value whenever a table, service, special day (or one of its services)
    # changes, set by the triggers below (SETUP_STAMP_*): webapp/booking/setup.py
    # reuses its cached copy of the set-up while the stamp stays the same.
    setup_stamp: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    # When the guest page started taking bookings; None: not yet (a restaurant made at
    # sign-up is published from onboarding's last step, once its owner's e-mail is
    # verified). Restaurants made any other way (CLI, demo, tests) start published.
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                            default=utcnow)
    # When onboarding was finished or dismissed; None: the dashboard still offers it.
    onboarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                            default=utcnow)
    # The events any of the restaurant's active webhook endpoints subscribe to, space
    # separated ("" when none): a booking of a restaurant without webhooks costs no query
    # for them (webapp/booking/webhooks.py keeps it in step with the endpoints).
    webhook_events: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The web origins allowed to frame the booking embed (/r/<slug>/embed), one per line,
    # each "scheme://host[:port]" (booking/embed.py checks them); "": embedding is off.
    embed_origins: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Whether the staff calendar feeds (booking/calendar_feed.py) show guests' contacts.
    calendar_feed_contact: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default=false())
    # The language the guest page opens in unless the guest picks one on the page, and
    # that of the bookings the restaurant takes itself; "": the guest's browser decides.
    default_language: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # Guests may change or cancel online until this many hours before the start (0: until
    # the start); after it the manage page and the guest API send them to the phone.
    # Owners are not bound by it (rules.check_guest_may_change).
    cancel_cutoff_hours: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # How long the table a guest picked a time for is held while they type their details
    # (booking/holds.py); 0: no holds.
    hold_minutes: Mapped[int] = mapped_column(Integer, default=7, server_default=text("7"))
    # How long a waitlist offer holds its table for the guest e-mailed (booking/waitlist.py).
    waitlist_offer_minutes: Mapped[int] = mapped_column(Integer, default=15,
                                                        server_default=text("15"))

    tables: Mapped[list[DiningTable]] = relationship(
        back_populates="restaurant", order_by="(DiningTable.position, DiningTable.id)"
    )
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="restaurant", order_by="(OpeningHours.weekday, OpeningHours.opens)",
        cascade="all, delete-orphan",
    )
    special_days: Mapped[list[SpecialDay]] = relationship(
        back_populates="restaurant", order_by="SpecialDay.start_date", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Restaurant {self.slug}>"


class PreviousSlug(Model):
    """A web address a restaurant had before: links e-mailed under it redirect to the
    current one (webapp/booking/slugs.py records them whenever a slug changes)."""

    __tablename__ = "previous_slugs"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True
    )
    replaced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DiningTable(Model):
    __tablename__ = "dining_tables"
    __table_args__ = (
        UniqueConstraint("restaurant_id", "name", name="uq_dining_tables_restaurant_name"),
        CheckConstraint("seats > 0", name="seats_positive"),
        CheckConstraint("min_party >= 1", name="min_party_positive"),
        CheckConstraint("min_party <= seats", name="min_party_le_seats"),
        CheckConstraint("max_party IS NULL OR max_party >= min_party", name="max_party_ge_min"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(60))
    seats: Mapped[int] = mapped_column(Integer)
    min_party: Mapped[int] = mapped_column(Integer, default=1)
    # Largest party the table takes; NULL means its seat count.
    max_party: Mapped[int | None] = mapped_column(Integer, nullable=True)
    area: Mapped[str] = mapped_column(String(60), default="")
    # The owner's preference order: lower is offered first among equally good fits.
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    restaurant: Mapped[Restaurant] = relationship(back_populates="tables")

    @property
    def largest_party(self) -> int:
        return self.max_party if self.max_party is not None else self.seats

    def fits(self, party_size: int) -> bool:
        return self.min_party <= party_size <= self.largest_party

    def __repr__(self) -> str:
        return f"<DiningTable {self.name} ({self.seats})>"


class TableCombination(Model):
    """Tables the owner lets be joined for one party ("Napoli + Milano" for 6 to 8): a
    reservation on it holds every one of its tables (one reservation row per extra table,
    ``Reservation.part_of``, so the overlap constraint covers each)."""

    __tablename__ = "table_combinations"
    __table_args__ = (
        UniqueConstraint("restaurant_id", "name", name="uq_table_combinations_restaurant_name"),
        CheckConstraint("min_party >= 1", name="min_party_positive"),
        CheckConstraint("max_party >= min_party", name="max_party_ge_min"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    min_party: Mapped[int] = mapped_column(Integer)
    max_party: Mapped[int] = mapped_column(Integer)
    # The owner's preference order among equally good fits, as for tables.
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[CombinationTable]] = relationship(
        back_populates="combination", cascade="all, delete-orphan",
        order_by="CombinationTable.table_id")

    def __repr__(self) -> str:
        return f"<TableCombination {self.name} ({self.min_party}-{self.max_party})>"


class CombinationTable(Model):
    """One table of a combination. ``restaurant_id`` repeats the combination's so the set-up
    stamp trigger (and a split by restaurant) needs no join."""

    __tablename__ = "combination_tables"

    combination_id: Mapped[int] = mapped_column(
        ForeignKey("table_combinations.id", ondelete="CASCADE"), primary_key=True)
    table_id: Mapped[int] = mapped_column(
        ForeignKey("dining_tables.id", ondelete="CASCADE"), primary_key=True, index=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True)

    combination: Mapped[TableCombination] = relationship(back_populates="members")
    table: Mapped[DiningTable] = relationship()


class OpeningHours(Model):
    """One service on one weekday (0 = Monday).  ``closes`` at or before ``opens``
    means the service runs past midnight into the next day."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("opens <> closes", name="not_empty"),
        CheckConstraint("pace_covers IS NULL OR pace_covers BETWEEN 1 AND 10000",
                        name="pace_covers"),
        CheckConstraint("max_covers IS NULL OR max_covers BETWEEN 1 AND 100000",
                        name="max_covers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40), default="")
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)
    # Latest start; NULL means closing time minus the party's turn time.
    last_seating: Mapped[dt.time | None] = mapped_column(Time, nullable=True)
    # Pacing (booking/pacing.py): the most covers that may start in one slot interval
    # of the service, and the most for the whole service; NULL: no limit.
    pace_covers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_covers: Mapped[int | None] = mapped_column(Integer, nullable=True)

    restaurant: Mapped[Restaurant] = relationship(back_populates="opening_hours")


class SpecialDay(Model):
    """A closure (``closed``) or days with their own services, overriding the week."""

    __tablename__ = "special_days"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="date_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(String(200), default="")

    restaurant: Mapped[Restaurant] = relationship(back_populates="special_days")
    services: Mapped[list[SpecialDayService]] = relationship(
        back_populates="special_day", order_by="SpecialDayService.opens",
        cascade="all, delete-orphan",
    )


class SpecialDayService(Model):
    __tablename__ = "special_day_services"
    __table_args__ = (
        CheckConstraint("opens <> closes", name="not_empty"),
        CheckConstraint("pace_covers IS NULL OR pace_covers BETWEEN 1 AND 10000",
                        name="pace_covers"),
        CheckConstraint("max_covers IS NULL OR max_covers BETWEEN 1 AND 100000",
                        name="max_covers"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    special_day_id: Mapped[int] = mapped_column(
        ForeignKey("special_days.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(40), default="")
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)
    last_seating: Mapped[dt.time | None] = mapped_column(Time, nullable=True)
    # Pacing (booking/pacing.py): the most covers that may start in one slot interval
    # of the service, and the most for the whole service; NULL: no limit.
    pace_covers: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_covers: Mapped[int | None] = mapped_column(Integer, nullable=True)

    special_day: Mapped[SpecialDay] = relationship(back_populates="services")


_status_list = ", ".join(f"'{s}'" for s in STATUSES)
_active_list = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)
_source_list = ", ".join(f"'{s}'" for s in SOURCES)


# The longest stay the schema allows (a CHECK on PostgreSQL, triggers on SQLite, exact to
# the millisecond). Overlap queries rely on it: a stay overlapping [s, e) starts after
# s - MAX_STAY, so with that bound the (table or restaurant, starts_at) indexes read about
# a day of rows instead of the whole history before s, which grows with every booking.
MAX_STAY_MINUTES = 24 * 60
MAX_STAY = dt.timedelta(minutes=MAX_STAY_MINUTES)
# How far before a window the queries look: a minute of slack over MAX_STAY covers
# SQLite's millisecond rounding.
OVERLAP_LOOKBACK = MAX_STAY + dt.timedelta(minutes=1)


class Reservation(Model):
    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("ends_at - starts_at <= interval '24 hours'",
                        name="stay_at_most_a_day").ddl_if(dialect="postgresql"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        CheckConstraint(f"status IN ({_status_list})", name="status_valid"),
        CheckConstraint(f"source IN ({_source_list})", name="source_valid"),
        Index("ix_reservations_table_starts", "table_id", "starts_at"),
        Index("ix_reservations_restaurant_starts", "restaurant_id", "starts_at"),
        Index("ix_reservations_part_of", "part_of"),
        # The backstop behind the advisory locks: no two active stays of one table overlap.
        ExcludeConstraint(
            ("table_id", "="),
            (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="reservations_no_overlap",
            using="gist",
            where=text(f"status IN ({_active_list})"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(ForeignKey("restaurants.id", ondelete="CASCADE"))
    table_id: Mapped[int] = mapped_column(ForeignKey("dining_tables.id", ondelete="RESTRICT"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    party_size: Mapped[int] = mapped_column(Integer)
    guest_name: Mapped[str] = mapped_column(String(120))
    guest_email: Mapped[str] = mapped_column(String(254), default="", index=True)
    guest_phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="booked")
    source: Mapped[str] = mapped_column(String(16), default="online")
    # sha256 of the guest's private manage token; the token itself is never stored.
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    # sha256 of the token in the last reminder e-mail (issued when it is sent, so the
    # outbox never holds it in clear); it opens the booking like the manage token.
    reminder_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True,
                                                            index=True, nullable=True)
    # When the guest confirmed they are coming (the reminder's "Confirm" link).
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The language the guest booked in (webapp/i18n.LANGUAGES): every e-mail about the
    # booking is written in it, whoever causes the e-mail.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # A booking on joined tables is one reservation (its first table in ``table_id``) and a
    # "part" row per further table, part_of = the reservation's id: each part holds its
    # table under the same overlap constraint. Parts copy the stay, status and name (a
    # trigger keeps the stay and status in step, schema_triggers.py); they carry no contact
    # details and are no booking of their own: lists and counts take ``IS_BOOKING`` rows.
    part_of: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), nullable=True)

    restaurant: Mapped[Restaurant] = relationship()
    table: Mapped[DiningTable] = relationship()
    events: Mapped[list[ReservationEvent]] = relationship(
        back_populates="reservation", order_by="ReservationEvent.id", cascade="all, delete-orphan"
    )

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Reservation {self.id} table={self.table_id} {self.starts_at:%Y-%m-%d %H:%M} {self.status}>"


class Hold(Model):
    """A table held for a guest for a few minutes while they finish booking it: one row
    per held table (a combination's: one per table, sharing the token). It expires by
    time alone: every check ignores a hold whose ``expires_at`` has passed (nothing has
    to delete it for correctness; a new hold on the table deletes it under the lock).
    The backstop behind the locks: no two hold rows of one table overlap (expired ones
    are deleted under the lock before a new one is written)."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        Index("ix_holds_table_starts", "table_id", "starts_at"),
        Index("ix_holds_restaurant_starts", "restaurant_id", "starts_at"),
        ExcludeConstraint(
            ("table_id", "="),
            (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="holds_no_overlap",
            using="gist",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(ForeignKey("restaurants.id", ondelete="CASCADE"))
    table_id: Mapped[int] = mapped_column(ForeignKey("dining_tables.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    party_size: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # sha256 of the hold's token (its id for the guest and the API; never stored in clear).
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    # sha256 of who holds it (a guest's browser session, an API token): one hold each.
    holder_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


WAITLIST_STATUSES = ("waiting", "offered", "booked", "removed", "expired")


class WaitlistEntry(Model):
    """A guest waiting for a table on a service date (booking/waitlist.py). The window is
    stored as UTC instants (the earliest and latest start the guest accepts), like every
    stay: compared with slots and stays without a zone, right across DST changes and
    services that run past midnight. ``token_hash``: the guest's private link (leave, see
    the status); ``offer_token_hash``: the hold an offer placed, whose token is the
    offer's one-click link."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'offered', 'booked', 'removed', 'expired')",
                        name="status_valid"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        CheckConstraint("window_end >= window_start", name="window_ordered"),
        Index("ix_waitlist_entries_line", "restaurant_id", "service_date", "status",
              "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(ForeignKey("restaurants.id", ondelete="CASCADE"))
    service_date: Mapped[dt.date] = mapped_column(Date)
    party_size: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    guest_name: Mapped[str] = mapped_column(String(120))
    guest_email: Mapped[str] = mapped_column(String(254))
    guest_phone: Mapped[str] = mapped_column(String(40), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    # Order in line on its service date (smaller first); owners reorder.
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    offer_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    offer_starts_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReservationEvent(Model):
    """History: who changed a reservation, when, and what changed."""

    __tablename__ = "reservation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(
        ForeignKey("reservations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    reservation: Mapped[Reservation] = relationship(back_populates="events")


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's id (get_id): a new value at each password change and at
    # "log out everywhere" makes every session and remember cookie issued before worthless.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    # When the address was proven by the link e-mailed at sign-up; None: not yet.
    # Accounts made by the CLI or by accepting an invitation count as verified.
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True,
                                                                 default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    if TYPE_CHECKING:  # not a column: the login this request was made under (auth/logins.py)
        login_token: str | None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """Flask-Login's alternative id, kept in the session and the remember cookie:
        account, session version and the login's own token (webapp/auth/logins.py)."""
        return f"{self.id}:{self.session_version}:{getattr(self, 'login_token', None) or ''}"


class LoginSession(Model):
    """One login on one device: logging out deletes it, so a copied session or remember
    cookie of that login stops opening. Only a hash of the login's token is kept."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "Keep me logged in" was ticked: a password change re-issues this login's remember cookie.
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint("role IN ('owner', 'staff')", name="role_valid"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default="owner")
    # sha256 of the member's secret calendar-feed token (/calendar/<token>.ics); None: none.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True,
                                                            nullable=True)

    user: Mapped[User] = relationship(back_populates="memberships")
    restaurant: Mapped[Restaurant] = relationship()


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # sha256 of the token; only its first characters are kept readable to tell tokens apart.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Space-separated TOKEN_SCOPES chosen when the token was made.
    scopes: Mapped[str] = mapped_column(String(64), default="read bookings setup",
                                        server_default="read bookings setup")

    restaurant: Mapped[Restaurant] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())


class AccountLink(Model):
    """A one-time link e-mailed to someone: verify an address, reset a password, or join
    a restaurant's staff. Only a hash of the link's token is kept; a link works until
    ``expires_at``, once (``used_at``), and not after it was revoked."""

    __tablename__ = "account_links"
    __table_args__ = (
        CheckConstraint("purpose IN ('verify_email', 'reset_password', 'invitation')",
                        name="purpose_valid"),
        CheckConstraint("role IS NULL OR role IN ('owner', 'staff')", name="role_valid"),
        Index("ix_account_links_restaurant_purpose", "restaurant_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The account it is for (verification, reset); None for an invitation to a new address.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    email: Mapped[str] = mapped_column(String(254))
    # Invitations: the restaurant, the role offered and who sent it.
    restaurant_id: Mapped[int | None] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), nullable=True)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    restaurant: Mapped[Restaurant | None] = relationship()


class WebhookEndpoint(Model):
    """An owner's receiver of reservation events, signed with its own secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    restaurant_id: Mapped[int] = mapped_column(
        ForeignKey("restaurants.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    # Space-separated event types (webhooks.EVENTS).
    events: Mapped[str] = mapped_column(String(200))
    # The Standard Webhooks signing key ("whsec_" + base64). Kept as it is: signing needs
    # it; it is shown once when the endpoint is made and never again.
    secret: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(self.events.split())


class WebhookDelivery(Model):
    """One event for one endpoint, written in the transaction of the change it reports
    and sent after commit by the worker until the receiver acknowledges it (2xx)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_valid"),
        Index("ix_webhook_deliveries_pending", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    # The webhook-id header: the same on every attempt, so receivers de-duplicate by it.
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    endpoint: Mapped[WebhookEndpoint] = relationship()


class OutboxEmail(Model):
    """E-mails written in the same transaction as the booking they announce;
    a rolled-back booking leaves none, and delivery is retried until it succeeds."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_valid"),
        Index("ix_outbox_emails_pending", "status", "next_attempt_at"),
        # Re-planning or dropping a booking's reminder finds its rows by reservation.
        Index("ix_outbox_emails_reservation_id", "reservation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int | None] = mapped_column(
        ForeignKey("reservations.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    ics: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdempotencyKey(Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# Rows that are bookings, not the extra tables of one (Reservation.part_of).
IS_BOOKING = Reservation.part_of.is_(None)
# The booking a row belongs to: its own id, or for a part its reservation's.
BOOKING_ID = func.coalesce(Reservation.part_of, Reservation.id)


def overlapping_stays(window_start: Any, window_end: Any = None, *, looks_back_to: Any = None) -> Any:
    """The condition "the reservation's stay overlaps [window_start, window_end)" (no end:
    from window_start on), bounded below through MAX_STAY so that it stays an index
    range scan of about a day. ``looks_back_to`` (window_start - OVERLAP_LOOKBACK by
    default) lets a statement built once take that bound as a parameter too."""
    if looks_back_to is None:
        looks_back_to = window_start - OVERLAP_LOOKBACK
    condition = and_(Reservation.ends_at > window_start, Reservation.starts_at > looks_back_to)
    return condition if window_end is None else and_(condition, Reservation.starts_at < window_end)


def upcoming_stays_of_table(session: Any, table_id: int, columns: Any = None) -> list[Any]:
    """The table's active reservations not yet over (or ``columns`` of them), in time order."""
    return list(session.scalars(
        select(columns if columns is not None else Reservation)
        .where(Reservation.table_id == table_id, Reservation.status.in_(ACTIVE_STATUSES),
               overlapping_stays(clock.now()))
        .order_by(Reservation.starts_at)))


__all__ = [
    "ACTIVE_STATUSES", "STATUSES", "SOURCES", "ROLES", "TOKEN_SCOPES", "LINK_PURPOSES", "utcnow",
    "UTCDateTime", "Restaurant", "DiningTable", "OpeningHours", "SpecialDay",
    "SpecialDayService", "Reservation", "ReservationEvent", "User", "Membership", "ApiToken",
    "AccountLink", "OutboxEmail", "IdempotencyKey", "WebhookEndpoint", "WebhookDelivery",
]
