"""The schema's triggers, as DDL: SQLite's stand-ins for PostgreSQL's exclusion and CHECK
constraints on reservations, the set-up stamp triggers of both backends, and the
``btree_gist`` extension PostgreSQL's exclusion constraint needs.

Importing this module attaches the DDL to the models' metadata (``create_all`` runs it);
``create_app`` imports it, so every app builds the whole schema. The migrations hold frozen
copies of these statements as of their revision (a migration must not change when this
module does); ``tests/test_migrations.py`` checks that the two agree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event
from sqlalchemy.schema import DDL

from .extensions import db
from .models import ACTIVE_STATUSES, OVERLAP_LOOKBACK, Hold, Reservation

_active_list = ", ".join(f"'{s}'" for s in ACTIVE_STATUSES)

# SQLite has no exclusion constraints: the same rule as triggers on insert and update,
# bounded below like every overlap query (overlapping_stays).
# migrations/versions/0003 holds a frozen copy; the schema test checks both agree.
_LOOKBACK_MINUTES = OVERLAP_LOOKBACK // dt.timedelta(minutes=1)
_OVERLAP_CHECK = f"""
WHEN NEW.status IN ({_active_list})
BEGIN
    SELECT RAISE(ABORT, 'reservations_no_overlap')
    WHERE EXISTS (
        SELECT 1 FROM reservations AS other
        WHERE other.table_id = NEW.table_id
          AND other.id IS NOT NEW.id
          AND other.status IN ({_active_list})
          AND other.starts_at < NEW.ends_at
          AND NEW.starts_at < other.ends_at
          AND other.starts_at > strftime('%Y-%m-%d %H:%M:%f', NEW.starts_at, '-{_LOOKBACK_MINUTES} minutes')
    );
END
"""
SQLITE_NO_OVERLAP_TRIGGERS = [
    "CREATE TRIGGER reservations_no_overlap_insert BEFORE INSERT ON reservations" + _OVERLAP_CHECK,
    "CREATE TRIGGER reservations_no_overlap_update BEFORE UPDATE OF table_id, starts_at, ends_at, "
    "status ON reservations" + _OVERLAP_CHECK,
]
# SQLite: the MAX_STAY rule (stored values share one fixed text format, so the limit
# is a string comparison; the '999' keeps a stay of exactly a day, microseconds and all).
# migrations/versions/0003 holds a frozen copy; the schema test checks both agree.
_MAX_STAY_CHECK = """
WHEN NEW.ends_at > strftime('%Y-%m-%d %H:%M:%f', NEW.starts_at, '+1 day') || '999'
BEGIN
    SELECT RAISE(ABORT, 'reservations_stay_at_most_a_day');
END
"""
SQLITE_MAX_STAY_TRIGGERS = [
    "CREATE TRIGGER reservations_max_stay_insert BEFORE INSERT ON reservations" + _MAX_STAY_CHECK,
    "CREATE TRIGGER reservations_max_stay_update BEFORE UPDATE OF starts_at, ends_at "
    "ON reservations" + _MAX_STAY_CHECK,
]


# SQLite: holds' stand-in for PostgreSQL's holds_no_overlap (no two hold rows of one table
# overlap; expired ones are deleted under the lock before a new hold is written).
# migrations/versions/0013 holds a frozen copy; the schema test checks both agree.
_HOLD_OVERLAP_CHECK = """
BEGIN
    SELECT RAISE(ABORT, 'holds_no_overlap')
    WHERE EXISTS (
        SELECT 1 FROM holds AS other
        WHERE other.table_id = NEW.table_id
          AND other.id IS NOT NEW.id
          AND other.starts_at < NEW.ends_at
          AND NEW.starts_at < other.ends_at
    );
END
"""
SQLITE_HOLD_OVERLAP_TRIGGERS = [
    "CREATE TRIGGER holds_no_overlap_insert BEFORE INSERT ON holds" + _HOLD_OVERLAP_CHECK,
    "CREATE TRIGGER holds_no_overlap_update BEFORE UPDATE OF table_id, starts_at, ends_at "
    "ON holds" + _HOLD_OVERLAP_CHECK,
]


SQLITE_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS reservations_no_overlap_insert",
    "DROP TRIGGER IF EXISTS reservations_no_overlap_update",
]

# Any change to a restaurant's set-up gives it a new setup_stamp (random, so that a
# stamp seen in a transaction that rolled back never comes back; see booking/setup.py).
# migrations/versions/0002 holds a frozen copy; the schema test checks both agree.
SETUP_TABLES = ("dining_tables", "opening_hours", "special_days", "special_day_services",
                "table_combinations", "combination_tables")
_PG_NEW_STAMP = "floor(random() * 9007199254740992)::bigint"
SETUP_STAMP_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION restaurant_setup_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE restaurants SET setup_stamp = {_PG_NEW_STAMP} WHERE id = OLD.restaurant_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE restaurants SET setup_stamp = {_PG_NEW_STAMP} WHERE id = NEW.restaurant_id;
    END IF;
    RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION special_day_service_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE restaurants SET setup_stamp = {_PG_NEW_STAMP}
        WHERE id = (SELECT restaurant_id FROM special_days WHERE id = OLD.special_day_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE restaurants SET setup_stamp = {_PG_NEW_STAMP}
        WHERE id = (SELECT restaurant_id FROM special_days WHERE id = NEW.special_day_id);
    END IF;
    RETURN NULL;
END $$""",
    *(f"CREATE TRIGGER {table}_setup_stamp AFTER INSERT OR UPDATE OR DELETE ON {table} "
      f"FOR EACH ROW EXECUTE FUNCTION "
      f"{'special_day_service_changed' if table == 'special_day_services' else 'restaurant_setup_changed'}()"
      for table in SETUP_TABLES),
]


def _sqlite_stamp_triggers(table: str) -> list[str]:
    def restaurant_of(row: str) -> str:
        if table == "special_day_services":
            return f"(SELECT restaurant_id FROM special_days WHERE id = {row}.special_day_id)"
        return f"{row}.restaurant_id"

    def trigger(op: str, rows: tuple[str, ...]) -> str:
        targets = ", ".join(restaurant_of(row) for row in rows)
        return (f"CREATE TRIGGER {table}_setup_stamp_{op.lower()} AFTER {op} ON {table} BEGIN "
                f"UPDATE restaurants SET setup_stamp = random() WHERE id IN ({targets}); END")

    return [trigger("INSERT", ("NEW",)), trigger("UPDATE", ("OLD", "NEW")),
            trigger("DELETE", ("OLD",))]


SETUP_STAMP_SQLITE = [ddl for table in SETUP_TABLES for ddl in _sqlite_stamp_triggers(table)]


# A booking on joined tables: its part rows (one per further table, models.Reservation
# .part_of) follow the reservation's stay, status, party and name, whoever updates it, so each part
# holds its table exactly as long as the booking does and the overlap rule (constraint
# or trigger) checks each. The booking code moves parts between tables itself (it deletes
# and writes them); this keeps a time or status change from ever leaving one behind.
# migrations/versions/0012 holds a frozen copy; the schema test checks both agree.
_FOLLOW_SET = ("starts_at = NEW.starts_at, ends_at = NEW.ends_at, status = NEW.status, "
               "party_size = NEW.party_size, guest_name = NEW.guest_name")
PARTS_FOLLOW_POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION reservation_parts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reservations SET {_FOLLOW_SET} WHERE part_of = NEW.id;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER reservations_parts_follow AFTER UPDATE OF starts_at, ends_at, status, "
    "party_size, guest_name ON reservations FOR EACH ROW WHEN (NEW.part_of IS NULL AND "
    "(OLD.starts_at, OLD.ends_at, OLD.status, OLD.party_size, OLD.guest_name) IS DISTINCT FROM "
    "(NEW.starts_at, NEW.ends_at, NEW.status, NEW.party_size, NEW.guest_name)) "
    "EXECUTE FUNCTION reservation_parts_follow()",
]
PARTS_FOLLOW_SQLITE = [
    "CREATE TRIGGER reservations_parts_follow AFTER UPDATE OF starts_at, ends_at, status, "
    "party_size, guest_name ON reservations WHEN NEW.part_of IS NULL AND "
    "(OLD.starts_at IS NOT NEW.starts_at OR OLD.ends_at IS NOT NEW.ends_at OR "
    "OLD.status IS NOT NEW.status OR OLD.party_size IS NOT NEW.party_size OR "
    "OLD.guest_name IS NOT NEW.guest_name) BEGIN "
    f"UPDATE reservations SET {_FOLLOW_SET} WHERE part_of = NEW.id; END",
]


event.listen(
    db.metadata, "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
for _ddl in SQLITE_NO_OVERLAP_TRIGGERS + SQLITE_MAX_STAY_TRIGGERS:
    # DDL() reads "%" as a format character (strftime's need doubling).
    event.listen(Reservation.__table__, "after_create",
                 DDL(_ddl.replace("%", "%%")).execute_if(dialect="sqlite"))
# After the last set-up table exists (the metadata creates tables in dependency order).
for _ddl in SETUP_STAMP_POSTGRESQL:
    event.listen(db.metadata, "after_create", DDL(_ddl).execute_if(dialect="postgresql"))
for _ddl in SETUP_STAMP_SQLITE:
    event.listen(db.metadata, "after_create", DDL(_ddl).execute_if(dialect="sqlite"))
for _ddl in PARTS_FOLLOW_POSTGRESQL:
    event.listen(Reservation.__table__, "after_create", DDL(_ddl).execute_if(dialect="postgresql"))
for _ddl in PARTS_FOLLOW_SQLITE:
    event.listen(Reservation.__table__, "after_create", DDL(_ddl).execute_if(dialect="sqlite"))
for _ddl in SQLITE_HOLD_OVERLAP_TRIGGERS:
    event.listen(Hold.__table__, "after_create", DDL(_ddl).execute_if(dialect="sqlite"))
