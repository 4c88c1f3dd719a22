"""`flask db upgrade` from an empty database builds exactly the models' schema.

The databases here are built by the migrations alone, through the real command line
(``migrated_database_url``: one per backend and worker, shared by these read-mostly
tests; ``fresh_database_url``: an empty one per test), never by the fixtures' create_all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Engine, Integer, MetaData, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from tests.fresh_db import flask_db
from webapp.extensions import db
from webapp.models import MAX_STAY
from webapp.schema_triggers import (
    PARTS_FOLLOW_POSTGRESQL,
    PARTS_FOLLOW_SQLITE,
    SETUP_STAMP_POSTGRESQL,
    SETUP_STAMP_SQLITE,
    SQLITE_HOLD_OVERLAP_TRIGGERS,
    SQLITE_MAX_STAY_TRIGGERS,
    SQLITE_NO_OVERLAP_TRIGGERS,
)


@pytest.fixture
def migrated(migrated_database_url: str) -> Iterator[Engine]:
    engine = create_engine(migrated_database_url)
    yield engine
    engine.dispose()


def schema_differences(engine: Engine, metadata: MetaData = db.metadata) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def sqlite_triggers(conn, name_like: str) -> list[str]:
    """The SQL of the triggers so named, as SQLite keeps it (as written, minus trailing
    whitespace), in name order."""
    return conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                             "AND name LIKE :name ORDER BY name"), {"name": name_like}).scalars().all()


def test_upgrade_builds_exactly_the_models_schema(migrated: Engine):
    # Alembic does not reflect PostgreSQL exclusion constraints, so they cannot show up
    # here either way; test_overlap_rule_is_installed checks that one by name.
    assert schema_differences(migrated) == []


def test_schema_differences_would_be_seen(migrated: Engine):
    # The comparison above can fail: models with one more column than the database differ.
    models = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(models)
    models.tables["restaurants"].append_column(Column("stray", Integer, nullable=True))
    differences = schema_differences(migrated, models)
    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "restaurants", "stray")]


def test_overlap_rule_is_installed(migrated: Engine):
    with migrated.connect() as conn:
        if migrated.dialect.name == "sqlite":
            assert sqlite_triggers(conn, "reservations_no_overlap%") == \
                sorted(ddl.strip() for ddl in SQLITE_NO_OVERLAP_TRIGGERS)
        else:
            constraints = conn.execute(text(
                "SELECT conname FROM pg_constraint WHERE contype = 'x' "
                "AND conrelid = 'reservations'::regclass")).scalars().all()
            assert constraints == ["reservations_no_overlap"]
            extensions = conn.execute(text("SELECT extname FROM pg_extension")).scalars().all()
            assert "btree_gist" in extensions


def test_hold_overlap_rule_is_installed(migrated: Engine):
    with migrated.connect() as conn:
        if migrated.dialect.name == "sqlite":
            assert sqlite_triggers(conn, "holds_no_overlap%") == \
                sorted(ddl.strip() for ddl in SQLITE_HOLD_OVERLAP_TRIGGERS)
        else:
            assert conn.execute(text(
                "SELECT conname FROM pg_constraint WHERE contype = 'x' "
                "AND conrelid = 'holds'::regclass")).scalars().all() == ["holds_no_overlap"]


def test_parts_follow_trigger_is_the_models(migrated: Engine):
    with migrated.connect() as conn:
        if migrated.dialect.name == "sqlite":
            assert sqlite_triggers(conn, "reservations_parts_follow") == PARTS_FOLLOW_SQLITE
        else:
            body = conn.execute(text(
                "SELECT prosrc FROM pg_proc WHERE proname = 'reservation_parts_follow'")).scalar()
            assert body == PARTS_FOLLOW_POSTGRESQL[0].split("$$")[1]
            definition = conn.execute(text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgname = 'reservations_parts_follow'")).scalar()
            assert definition is not None and "AFTER UPDATE OF starts_at, ends_at, status" in definition


def test_setup_stamp_triggers_are_the_models(migrated: Engine):
    with migrated.connect() as conn:
        if migrated.dialect.name == "sqlite":
            assert sqlite_triggers(conn, "%setup_stamp%") == sorted(SETUP_STAMP_SQLITE)
        else:
            triggers = conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%setup_stamp' "
                "ORDER BY tgname")).scalars().all()
            assert triggers == sorted(ddl.split()[2] for ddl in SETUP_STAMP_POSTGRESQL
                                      if ddl.startswith("CREATE TRIGGER"))
            bodies = conn.execute(text(
                "SELECT prosrc FROM pg_proc WHERE proname IN "
                "('restaurant_setup_changed', 'special_day_service_changed') ORDER BY proname")
            ).scalars().all()
            expected = sorted((ddl for ddl in SETUP_STAMP_POSTGRESQL if "FUNCTION" in ddl.split()[:4]),
                              key=lambda ddl: ddl.split()[4])
            assert bodies == [ddl.split("$$")[1] for ddl in expected]


def test_every_set_up_write_gives_a_new_setup_stamp(migrated: Engine):
    """Inserts, updates and deletes on each set-up table, in plain SQL as an operator
    might do them: each one changes the restaurant's stamp, and only that restaurant's."""
    start = dt.datetime(2030, 6, 1, 18, tzinfo=dt.UTC)
    tables = db.metadata.tables

    def restaurant(slug: str) -> int:
        with migrated.begin() as conn:
            return conn.execute(tables["restaurants"].insert().values(
                name="R", slug=slug, timezone="UTC", slot_interval_minutes=15,
                default_turn_minutes=120, turn_times={}, lead_time_minutes=0, horizon_days=30,
                max_online_party=8, phone="", email="", address="", description="",
                created_at=start)).inserted_primary_key[0]

    mine, other = restaurant("stamp-mine"), restaurant("stamp-other")

    def stamps() -> tuple[int, int]:
        with migrated.connect() as conn:
            found = dict(conn.execute(text("SELECT id, setup_stamp FROM restaurants")).all())
            return found[mine], found[other]

    def changes(statement, **params) -> bool:
        before = stamps()
        with migrated.begin() as conn:
            conn.execute(statement, params)
        after = stamps()
        assert after[1] == before[1], "another restaurant's stamp changed"
        return after[0] != before[0]

    try:
        assert changes(tables["dining_tables"].insert().values(
            restaurant_id=mine, name="T1", seats=4, min_party=1, area="", active=True, position=0))
        assert changes(text("UPDATE dining_tables SET seats = 6 WHERE restaurant_id = :r"), r=mine)
        assert changes(tables["opening_hours"].insert().values(
            restaurant_id=mine, weekday=0, name="Dinner", opens=dt.time(18), closes=dt.time(23)))
        assert changes(text("UPDATE opening_hours SET closes = '22:00' WHERE restaurant_id = :r"), r=mine)
        assert changes(tables["special_days"].insert().values(
            restaurant_id=mine, start_date=dt.date(2030, 12, 24), end_date=dt.date(2030, 12, 24),
            closed=False, reason="Christmas Eve"))
        with migrated.connect() as conn:
            day_id = conn.execute(text("SELECT id FROM special_days WHERE restaurant_id = :r"),
                                  {"r": mine}).scalar_one()
        assert changes(tables["special_day_services"].insert().values(
            special_day_id=day_id, name="Early", opens=dt.time(17), closes=dt.time(21)))
        assert changes(text("UPDATE special_day_services SET closes = '20:00'"))
        assert changes(text("DELETE FROM special_day_services"))
        assert changes(text("DELETE FROM special_days WHERE restaurant_id = :r"), r=mine)
        assert changes(text("DELETE FROM opening_hours WHERE restaurant_id = :r"), r=mine)
        assert changes(text("DELETE FROM dining_tables WHERE restaurant_id = :r"), r=mine)
        # Reservations are not set-up: writing them leaves the stamp alone.
        assert not changes(text("UPDATE restaurants SET name = 'Renamed' WHERE id = :r"), r=mine)
    finally:  # the database is shared with other tests
        with migrated.begin() as conn:
            conn.execute(text("DELETE FROM restaurants WHERE id IN (:a, :b)"), {"a": mine, "b": other})


START = dt.datetime(2030, 6, 1, 18, tzinfo=dt.UTC)


@pytest.fixture
def one_table(migrated: Engine) -> Iterator[Callable[..., None]]:
    """A restaurant with one table in the migrated database, and a function that inserts
    a reservation on it (starts_at, status, length); all removed afterwards."""
    tables = db.metadata.tables
    with migrated.begin() as conn:
        restaurant_id = conn.execute(tables["restaurants"].insert().values(
            name="R", slug="overlap-check", timezone="UTC", slot_interval_minutes=15,
            default_turn_minutes=120, turn_times={}, lead_time_minutes=0, horizon_days=30,
            max_online_party=8, phone="", email="", address="", description="",
            created_at=START)).inserted_primary_key[0]
        table_id = conn.execute(tables["dining_tables"].insert().values(
            restaurant_id=restaurant_id, name="T1", seats=4, min_party=1, area="",
            active=True, position=0)).inserted_primary_key[0]

    def insert(starts_at: dt.datetime, status: str = "booked",
               length: dt.timedelta = dt.timedelta(hours=2)) -> None:
        with migrated.begin() as conn:
            conn.execute(tables["reservations"].insert().values(
                restaurant_id=restaurant_id, table_id=table_id, starts_at=starts_at,
                ends_at=starts_at + length, party_size=2, guest_name="G",
                guest_email="", guest_phone="", notes="", status=status, source="phone",
                created_at=START, updated_at=START, version=1))

    try:
        yield insert
    finally:  # the database is shared with other tests
        with migrated.begin() as conn:
            conn.execute(tables["reservations"].delete())
            conn.execute(tables["dining_tables"].delete())
            conn.execute(tables["restaurants"].delete())


def test_overlap_rule_refuses_an_overlapping_insert(migrated: Engine, one_table):
    one_table(START)
    one_table(START + dt.timedelta(hours=2))  # back to back is fine
    one_table(START + dt.timedelta(hours=1), status="cancelled")  # inactive stays do not count
    with pytest.raises(DBAPIError, match="reservations_no_overlap"):
        one_table(START + dt.timedelta(hours=1))
    with migrated.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reservations")).scalar() == 3


def test_max_stay_rule_is_the_models(migrated: Engine):
    with migrated.connect() as conn:
        if migrated.dialect.name == "sqlite":
            assert sqlite_triggers(conn, "reservations_max_stay%") == \
                sorted(ddl.strip() for ddl in SQLITE_MAX_STAY_TRIGGERS)
        else:
            definition = conn.execute(text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'ck_reservations_stay_at_most_a_day'")).scalar_one()
            assert "24:00:00" in definition


def test_a_stay_of_more_than_a_day_is_refused(migrated: Engine, one_table):
    """The overlap queries look back only MAX_STAY (models.overlapping_stays): the schema
    must refuse anything longer, on insert and on update, to the millisecond."""
    one_table(START, length=MAX_STAY)  # exactly a day is allowed
    for length in (MAX_STAY + dt.timedelta(milliseconds=2), MAX_STAY + dt.timedelta(days=3)):
        with pytest.raises(DBAPIError, match="stay_at_most_a_day"):
            one_table(START + dt.timedelta(days=10), length=length)
    with pytest.raises(DBAPIError, match="stay_at_most_a_day"), migrated.begin() as conn:
        conn.execute(text("UPDATE reservations SET ends_at = :late"),
                     {"late": (START + dt.timedelta(days=2)).replace(tzinfo=None)
                      if migrated.dialect.name == "sqlite" else START + dt.timedelta(days=2)})
    with migrated.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM reservations")).scalar() == 1


@pytest.mark.slow
def test_downgrade_to_base_leaves_only_the_version_table(fresh_database_url: str):
    flask_db(fresh_database_url, "upgrade")
    flask_db(fresh_database_url, "downgrade", "base")
    engine = create_engine(fresh_database_url)
    try:
        assert inspect(engine).get_table_names() == ["alembic_version"]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 0
            if engine.dialect.name == "sqlite":
                assert conn.execute(text(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")).scalar() == 0
            else:
                assert conn.execute(text(
                    "SELECT count(*) FROM pg_proc WHERE proname IN "
                    "('restaurant_setup_changed', 'special_day_service_changed')")).scalar() == 0
    finally:
        engine.dispose()


# Phones as the code before 0005 stored them (digits and a leading + kept), and text an
# owner may have typed: each with the E.164 form 0007 must leave, in each restaurant's
# country.
OLD_PHONES = [
    ("DE", "01715555555", "+491715555555"),  # "0171 5555555" before 0005
    ("DE", "+4901701234567", "+491701234567"),  # "+49 (0) 170 / 123 45 67" before 0005
    ("DE", "030 1234567", "+49301234567"),
    ("DE", "+491701234567", "+491701234567"),  # already E.164: unchanged
    ("DE", "+44 20 7946 0958", "+442079460958"),  # a guest from abroad
    ("DE", "walk-in, no phone", "walk-in, no phone"),  # not a number: kept as written
    ("DE", "12", "12"),  # not a valid number: kept
    ("DE", "", ""),
    ("GB", "020 7946 0958", "+442079460958"),  # read as the restaurant's country's
    ("GB", "01715555555", "01715555555"),  # not a valid UK number: kept
    ("", "0171 5555555", "0171 5555555"),  # no country (UTC): cannot be read, kept
    ("", "+49 171 5555555", "+491715555555"),
]


@pytest.mark.slow
def test_0007_rewrites_stored_phones_in_e164_and_keeps_what_it_cannot_read(
        fresh_database_url: str):
    flask_db(fresh_database_url, "upgrade", "0006")
    engine = create_engine(fresh_database_url)
    # Plain SQL with the columns revision 0006 has: the models describe the head, which
    # later revisions move on.
    at = START.replace(tzinfo=None)
    try:
        with engine.begin() as conn:
            places = {}
            for country, zone in (("DE", "Europe/Berlin"), ("GB", "Europe/London"), ("", "UTC")):
                slug = f"phones-{country or 'none'}"
                conn.execute(text(
                    "INSERT INTO restaurants (name, slug, timezone, country, "
                    "slot_interval_minutes, default_turn_minutes, turn_times, lead_time_minutes, "
                    "horizon_days, max_online_party, phone, email, address, description, "
                    "created_at) VALUES (:zone, :slug, :zone, :country, 15, 120, '{}', 0, 30, 8, "
                    "'', '', '', '', :at)"), {"zone": zone, "slug": slug, "country": country,
                                             "at": at})
                restaurant_id = conn.execute(text("SELECT id FROM restaurants WHERE slug = :s"),
                                             {"s": slug}).scalar_one()
                conn.execute(text(
                    "INSERT INTO dining_tables (restaurant_id, name, seats, min_party, area, "
                    "position, active, created_at) VALUES (:r, 'T1', 4, 1, '', 0, :yes, :at)"),
                    {"r": restaurant_id, "yes": True, "at": at})
                table_id = conn.execute(text(
                    "SELECT id FROM dining_tables WHERE restaurant_id = :r"),
                    {"r": restaurant_id}).scalar_one()
                places[country] = (restaurant_id, table_id)
            for n, (country, raw, _) in enumerate(OLD_PHONES):
                restaurant_id, table_id = places[country]
                starts = at + dt.timedelta(hours=3 * n)
                conn.execute(text(
                    "INSERT INTO reservations (restaurant_id, table_id, starts_at, ends_at, "
                    "party_size, guest_name, guest_email, guest_phone, notes, status, source, "
                    "created_at, updated_at, version) VALUES (:r, :t, :starts, :ends, 2, 'G', "
                    "'', :phone, :n, 'booked', 'phone', :at, :at, 3)"),
                    {"r": restaurant_id, "t": table_id, "starts": starts,
                     "ends": starts + dt.timedelta(hours=2), "phone": raw, "n": str(n),
                     "at": at})
            ids: dict[int, int] = dict(conn.execute(text(  # OLD_PHONES' index -> row id
                "SELECT CAST(notes AS INTEGER), id FROM reservations")).all())

        flask_db(fresh_database_url, "upgrade")

        with engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(text(
                "SELECT id, guest_phone, version FROM reservations"))}
        assert {n: rows[ids[n]].guest_phone for n in ids} == \
            {n: expected for n, (_, _, expected) in enumerate(OLD_PHONES)}
        assert {row.version for row in rows.values()} == {3}  # the same number: no new version
        flask_db(fresh_database_url, "downgrade", "0006")  # a no-op, and it runs
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT guest_phone FROM reservations WHERE id = :id"), {"id": ids[0]}
            ).scalar() == "+491715555555"
    finally:
        engine.dispose()
