"""holds: a table held for a guest for a few minutes while they book it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

* restaurants.hold_minutes: how long a guest's picked table is held (default 7; 0: no holds).
* holds: one row per held table, expiring by time alone (webapp/booking/holds.py); no two
  rows of one table overlap: an exclusion constraint on PostgreSQL, triggers on SQLite
  (frozen copies of webapp/schema_triggers.py as of this revision).
"""
# ruff: noqa: E501  (frozen SQL statements, one per line as the schema test compares them)
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

HOLD_MINUTES_CHECK = "hold_minutes BETWEEN 0 AND 60"
SQLITE_HOLD_OVERLAP_TRIGGERS = [
    "CREATE TRIGGER holds_no_overlap_insert BEFORE INSERT ON holds\nBEGIN\n    SELECT RAISE(ABORT, 'holds_no_overlap')\n    WHERE EXISTS (\n        SELECT 1 FROM holds AS other\n        WHERE other.table_id = NEW.table_id\n          AND other.id IS NOT NEW.id\n          AND other.starts_at < NEW.ends_at\n          AND NEW.starts_at < other.ends_at\n    );\nEND\n",
    "CREATE TRIGGER holds_no_overlap_update BEFORE UPDATE OF table_id, starts_at, ends_at ON holds\nBEGIN\n    SELECT RAISE(ABORT, 'holds_no_overlap')\n    WHERE EXISTS (\n        SELECT 1 FROM holds AS other\n        WHERE other.table_id = NEW.table_id\n          AND other.id IS NOT NEW.id\n          AND other.starts_at < NEW.ends_at\n          AND NEW.starts_at < other.ends_at\n    );\nEND\n",
]


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("ALTER TABLE restaurants ADD COLUMN hold_minutes INTEGER NOT NULL DEFAULT 7 "
                   f"CONSTRAINT ck_restaurants_hold_minutes CHECK ({HOLD_MINUTES_CHECK})")
    else:
        op.add_column('restaurants', sa.Column('hold_minutes', sa.Integer(),
                                               server_default='7', nullable=False))
        op.create_check_constraint("ck_restaurants_hold_minutes", "restaurants",
                                   HOLD_MINUTES_CHECK)
    op.create_table(
        'holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('restaurant_id', sa.Integer(), nullable=False),
        sa.Column('table_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('party_size', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('holder_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_holds_ends_after_start')),
        sa.CheckConstraint('party_size >= 1', name=op.f('ck_holds_party_size_positive')),
        sa.ForeignKeyConstraint(['restaurant_id'], ['restaurants.id'],
                                name=op.f('fk_holds_restaurant_id_restaurants'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['table_id'], ['dining_tables.id'],
                                name=op.f('fk_holds_table_id_dining_tables'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_holds')),
    )
    op.create_index('ix_holds_table_starts', 'holds', ['table_id', 'starts_at'])
    op.create_index('ix_holds_restaurant_starts', 'holds', ['restaurant_id', 'starts_at'])
    op.create_index(op.f('ix_holds_token_hash'), 'holds', ['token_hash'])
    op.create_index(op.f('ix_holds_holder_hash'), 'holds', ['holder_hash'])
    if sqlite:
        for statement in SQLITE_HOLD_OVERLAP_TRIGGERS:
            op.execute(statement)
    else:
        op.execute("ALTER TABLE holds ADD CONSTRAINT holds_no_overlap "
                   "EXCLUDE USING gist (table_id WITH =, tstzrange(starts_at, ends_at) WITH &&)")


def downgrade():
    op.drop_table('holds')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_restaurants_hold_minutes", "restaurants", type_="check")
    op.drop_column('restaurants', 'hold_minutes')
