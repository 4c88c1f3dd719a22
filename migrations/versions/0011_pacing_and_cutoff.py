"""pacing per service, and the guests' cancellation cut-off

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

* opening_hours / special_day_services .pace_covers: the most covers (guests) that may
  start in one slot interval of the service (19:00-19:15 with a 15-minute interval);
  NULL: no pace. .max_covers: the most covers the whole service may start; NULL: no
  limit. Both counted over booked, seated and completed bookings
  (webapp/booking/pacing.py).
* restaurants.cancel_cutoff_hours: guests may change or cancel online until this many
  hours before the start; 0 (the default): until the start.

SQLite adds a column with its CHECK in the one ALTER TABLE (a table-level CHECK would
need the table rebuilt, which would drop the set-up stamp triggers on these tables).
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# (table, column, CHECK) — the models' CheckConstraints, named by the naming convention.
CHECKS = [
    ("opening_hours", "pace_covers", "pace_covers IS NULL OR pace_covers BETWEEN 1 AND 10000"),
    ("opening_hours", "max_covers", "max_covers IS NULL OR max_covers BETWEEN 1 AND 100000"),
    ("special_day_services", "pace_covers",
     "pace_covers IS NULL OR pace_covers BETWEEN 1 AND 10000"),
    ("special_day_services", "max_covers", "max_covers IS NULL OR max_covers BETWEEN 1 AND 100000"),
]
CUTOFF_CHECK = "cancel_cutoff_hours BETWEEN 0 AND 720"


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, check in CHECKS:
        if sqlite:
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                       f"CONSTRAINT ck_{table}_{column} CHECK ({check})")
        else:
            op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
            op.create_check_constraint(f"ck_{table}_{column}", table, check)
    if sqlite:
        op.execute("ALTER TABLE restaurants ADD COLUMN cancel_cutoff_hours INTEGER NOT NULL "
                   f"DEFAULT 0 CONSTRAINT ck_restaurants_cancel_cutoff CHECK ({CUTOFF_CHECK})")
    else:
        op.add_column('restaurants', sa.Column('cancel_cutoff_hours', sa.Integer(),
                                               server_default='0', nullable=False))
        op.create_check_constraint("ck_restaurants_cancel_cutoff", "restaurants", CUTOFF_CHECK)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite (3.35+) drops a column with a column-level CHECK of its own in place.
    if not sqlite:
        op.drop_constraint("ck_restaurants_cancel_cutoff", "restaurants", type_="check")
    op.drop_column('restaurants', 'cancel_cutoff_hours')
    for table, column, _ in reversed(CHECKS):
        if not sqlite:
            op.drop_constraint(f"ck_{table}_{column}", table, type_="check")
        op.drop_column(table, column)
