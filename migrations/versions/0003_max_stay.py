"""a stay lasts at most a day, so overlap queries can bound their index scans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Every overlap query (the booking re-checks, availability, the owner's day) now reads
only stays that start at most a day (MAX_STAY) before its window; this rule makes that
exact. The booking rules already refused longer stays (plan_stay: 5 minutes to 24 hours).
"""
import importlib.util
from pathlib import Path

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Frozen copies of webapp.schema_triggers' rule as of this revision (the schema test checks both agree).
POSTGRESQL_CHECK = "ends_at - starts_at <= interval '24 hours'"
_MAX_STAY_CHECK = """
WHEN NEW.ends_at > strftime('%Y-%m-%d %H:%M:%f', NEW.starts_at, '+1 day') || '999'
BEGIN
    SELECT RAISE(ABORT, 'reservations_stay_at_most_a_day');
END
"""
# SQLite's overlap triggers (0001) again, bounded below the same way.
_ACTIVE = "'booked', 'seated'"
_OVERLAP_CHECK = f"""
WHEN NEW.status IN ({_ACTIVE})
BEGIN
    SELECT RAISE(ABORT, 'reservations_no_overlap')
    WHERE EXISTS (
        SELECT 1 FROM reservations AS other
        WHERE other.table_id = NEW.table_id
          AND other.id IS NOT NEW.id
          AND other.status IN ({_ACTIVE})
          AND other.starts_at < NEW.ends_at
          AND NEW.starts_at < other.ends_at
          AND other.starts_at > strftime('%Y-%m-%d %H:%M:%f', NEW.starts_at, '-1441 minutes')
    );
END
"""
SQLITE_NO_OVERLAP_TRIGGERS = [
    "CREATE TRIGGER reservations_no_overlap_insert BEFORE INSERT ON reservations" + _OVERLAP_CHECK,
    "CREATE TRIGGER reservations_no_overlap_update BEFORE UPDATE OF table_id, starts_at, ends_at, "
    "status ON reservations" + _OVERLAP_CHECK,
]
SQLITE_MAX_STAY_TRIGGERS = [
    "CREATE TRIGGER reservations_max_stay_insert BEFORE INSERT ON reservations" + _MAX_STAY_CHECK,
    "CREATE TRIGGER reservations_max_stay_update BEFORE UPDATE OF starts_at, ends_at "
    "ON reservations" + _MAX_STAY_CHECK,
]


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _drop_overlap_triggers()
        for statement in SQLITE_NO_OVERLAP_TRIGGERS + SQLITE_MAX_STAY_TRIGGERS:
            op.execute(statement)
    else:
        op.create_check_constraint(op.f("ck_reservations_stay_at_most_a_day"), "reservations",
                                   POSTGRESQL_CHECK)


def _drop_overlap_triggers():
    op.execute("DROP TRIGGER IF EXISTS reservations_no_overlap_insert")
    op.execute("DROP TRIGGER IF EXISTS reservations_no_overlap_update")


def _revision_0001():
    """0001's module, for its triggers (loaded from its file: revisions are not a package;
    only when downgrading, not on every command that reads the revisions)."""
    spec = importlib.util.spec_from_file_location(
        "revision_0001", Path(__file__).with_name("0001_initial_schema.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS reservations_max_stay_insert")
        op.execute("DROP TRIGGER IF EXISTS reservations_max_stay_update")
        # Back to 0001's unbounded overlap triggers.
        _drop_overlap_triggers()
        for statement in _revision_0001().SQLITE_NO_OVERLAP_TRIGGERS:
            op.execute(statement)
    else:
        op.drop_constraint(op.f("ck_reservations_stay_at_most_a_day"), "reservations", type_="check")
