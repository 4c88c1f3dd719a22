"""table combinations, and bookings that hold several tables

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

* table_combinations: tables the owner lets be joined for one party, with the party range
  of the combination; combination_tables: its tables (restaurant_id repeated, so the set-up
  stamp trigger needs no join). Both give the restaurant a new set-up stamp on any change
  (as 0002 does for the other set-up tables).
* reservations.part_of: a booking on joined tables is its reservation (first table) plus a
  part row per further table, each under the overlap constraint / trigger; a trigger keeps
  the parts' stay, status, party and name those of their reservation.

The trigger statements are frozen copies of webapp/schema_triggers.py as of this revision.
"""
# ruff: noqa: E501  (frozen SQL statements, one per line as the schema test compares them)
import contextlib

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

STAMP_POSTGRESQL = [
    'CREATE TRIGGER table_combinations_setup_stamp AFTER INSERT OR UPDATE OR DELETE ON table_combinations FOR EACH ROW EXECUTE FUNCTION restaurant_setup_changed()',
    'CREATE TRIGGER combination_tables_setup_stamp AFTER INSERT OR UPDATE OR DELETE ON combination_tables FOR EACH ROW EXECUTE FUNCTION restaurant_setup_changed()',
]
STAMP_SQLITE = [
    'CREATE TRIGGER table_combinations_setup_stamp_insert AFTER INSERT ON table_combinations BEGIN UPDATE restaurants SET setup_stamp = random() WHERE id IN (NEW.restaurant_id); END',
    'CREATE TRIGGER table_combinations_setup_stamp_update AFTER UPDATE ON table_combinations BEGIN UPDATE restaurants SET setup_stamp = random() WHERE id IN (OLD.restaurant_id, NEW.restaurant_id); END',
    'CREATE TRIGGER table_combinations_setup_stamp_delete AFTER DELETE ON table_combinations BEGIN UPDATE restaurants SET setup_stamp = random() WHERE id IN (OLD.restaurant_id); END',
    'CREATE TRIGGER combination_tables_setup_stamp_insert AFTER INSERT ON combination_tables BEGIN UPDATE restaurants SET setup_stamp = random() WHERE id IN (NEW.restaurant_id); END',
    'CREATE TRIGGER combination_tables_setup_stamp_update AFTER UPDATE ON combination_tables BEGIN UPDATE restaurants SET setup_stamp = random() WHERE id IN (OLD.restaurant_id, NEW.restaurant_id); END',
    'CREATE TRIGGER combination_tables_setup_stamp_delete AFTER DELETE ON combination_tables BEGIN UPDATE restaurants SET setup_stamp = random() WHERE id IN (OLD.restaurant_id); END',
]
PARTS_FOLLOW_POSTGRESQL = [
    'CREATE OR REPLACE FUNCTION reservation_parts_follow() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    UPDATE reservations SET starts_at = NEW.starts_at, ends_at = NEW.ends_at, status = NEW.status, party_size = NEW.party_size, guest_name = NEW.guest_name WHERE part_of = NEW.id;\n    RETURN NULL;\nEND $$',
    'CREATE TRIGGER reservations_parts_follow AFTER UPDATE OF starts_at, ends_at, status, party_size, guest_name ON reservations FOR EACH ROW WHEN (NEW.part_of IS NULL AND (OLD.starts_at, OLD.ends_at, OLD.status, OLD.party_size, OLD.guest_name) IS DISTINCT FROM (NEW.starts_at, NEW.ends_at, NEW.status, NEW.party_size, NEW.guest_name)) EXECUTE FUNCTION reservation_parts_follow()',
]
PARTS_FOLLOW_SQLITE = [
    'CREATE TRIGGER reservations_parts_follow AFTER UPDATE OF starts_at, ends_at, status, party_size, guest_name ON reservations WHEN NEW.part_of IS NULL AND (OLD.starts_at IS NOT NEW.starts_at OR OLD.ends_at IS NOT NEW.ends_at OR OLD.status IS NOT NEW.status OR OLD.party_size IS NOT NEW.party_size OR OLD.guest_name IS NOT NEW.guest_name) BEGIN UPDATE reservations SET starts_at = NEW.starts_at, ends_at = NEW.ends_at, status = NEW.status, party_size = NEW.party_size, guest_name = NEW.guest_name WHERE part_of = NEW.id; END',
]


@contextlib.contextmanager
def _reservations_rebuilt():
    """SQLite: alter reservations by rebuilding it (a column with a named foreign key
    cannot be added or dropped in place), its triggers put back exactly as they were
    (the rebuild drops them)."""
    bind = op.get_bind()
    triggers = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name = 'reservations' ORDER BY name")).scalars().all()
    with op.batch_alter_table('reservations', recreate='always') as batch_op:
        yield batch_op
    for statement in triggers:
        bind.exec_driver_sql(statement)


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        'table_combinations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('restaurant_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('min_party', sa.Integer(), nullable=False),
        sa.Column('max_party', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('min_party >= 1', name=op.f('ck_table_combinations_min_party_positive')),
        sa.CheckConstraint('max_party >= min_party', name=op.f('ck_table_combinations_max_party_ge_min')),
        sa.ForeignKeyConstraint(['restaurant_id'], ['restaurants.id'],
                                name=op.f('fk_table_combinations_restaurant_id_restaurants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_table_combinations')),
        sa.UniqueConstraint('restaurant_id', 'name', name='uq_table_combinations_restaurant_name'),
    )
    op.create_index(op.f('ix_table_combinations_restaurant_id'), 'table_combinations',
                    ['restaurant_id'])
    op.create_table(
        'combination_tables',
        sa.Column('combination_id', sa.Integer(), nullable=False),
        sa.Column('table_id', sa.Integer(), nullable=False),
        sa.Column('restaurant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['combination_id'], ['table_combinations.id'],
                                name=op.f('fk_combination_tables_combination_id_table_combinations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['table_id'], ['dining_tables.id'],
                                name=op.f('fk_combination_tables_table_id_dining_tables'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['restaurant_id'], ['restaurants.id'],
                                name=op.f('fk_combination_tables_restaurant_id_restaurants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('combination_id', 'table_id', name=op.f('pk_combination_tables')),
    )
    op.create_index(op.f('ix_combination_tables_table_id'), 'combination_tables', ['table_id'])
    op.create_index(op.f('ix_combination_tables_restaurant_id'), 'combination_tables',
                    ['restaurant_id'])
    if sqlite:
        with _reservations_rebuilt() as batch_op:
            batch_op.add_column(sa.Column('part_of', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(op.f('fk_reservations_part_of_reservations'),
                                        'reservations', ['part_of'], ['id'], ondelete='CASCADE')
    else:
        op.add_column('reservations', sa.Column('part_of', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_reservations_part_of_reservations'), 'reservations',
                              'reservations', ['part_of'], ['id'], ondelete='CASCADE')
    op.create_index('ix_reservations_part_of', 'reservations', ['part_of'])
    for statement in (STAMP_SQLITE + PARTS_FOLLOW_SQLITE if sqlite
                      else STAMP_POSTGRESQL + PARTS_FOLLOW_POSTGRESQL):
        op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS reservations_parts_follow")
    else:
        op.execute("DROP TRIGGER IF EXISTS reservations_parts_follow ON reservations")
        op.execute("DROP FUNCTION IF EXISTS reservation_parts_follow()")
    op.execute("DELETE FROM reservations WHERE part_of IS NOT NULL")
    op.drop_index('ix_reservations_part_of', table_name='reservations')
    if sqlite:
        with _reservations_rebuilt() as batch_op:
            batch_op.drop_column('part_of')
    else:
        op.drop_constraint(op.f('fk_reservations_part_of_reservations'), 'reservations',
                           type_='foreignkey')
        op.drop_column('reservations', 'part_of')
    op.drop_table('combination_tables')
    op.drop_table('table_combinations')
