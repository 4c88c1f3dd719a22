"""a stay lasts at most a day, so overlap queries can bound their index scans

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

Every overlap query (the booking re-checks, availability, the owner's day) now reads
only stays that start at most a day (MAX_STAY) before its window; this rule makes that
exact. The booking rules already refused longer stays (plan_stay: 5 minutes to 24 hours).
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Frozen copies of webapp.models' rule as of this revision (the schema test checks both agree).
POSTGRESQL_CHECK = "ends_at - starts_at <= interval '24 hours'"
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


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_MAX_STAY_TRIGGERS:
            op.execute(statement)
    else:
        op.create_check_constraint(op.f("ck_reservations_stay_at_most_a_day"), "reservations",
                                   POSTGRESQL_CHECK)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS reservations_max_stay_insert")
        op.execute("DROP TRIGGER IF EXISTS reservations_max_stay_update")
    else:
        op.drop_constraint(op.f("ck_reservations_stay_at_most_a_day"), "reservations", type_="check")
