"""setup stamp: a new random value on every change to a restaurant's set-up

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

webapp/booking/setup.py caches each restaurant's schedule and tables per process and
reuses them while restaurants.setup_stamp stays the same; these triggers change it
whenever a table, service, special day or special-day service is written.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# A frozen copy of webapp.schema_triggers.SETUP_STAMP_POSTGRESQL / SETUP_STAMP_SQLITE as of this
# revision (the schema test checks both agree).
SETUP_TABLES = ("dining_tables", "opening_hours", "special_days", "special_day_services")
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


def _sqlite_stamp_triggers(table):
    def restaurant_of(row):
        if table == "special_day_services":
            return f"(SELECT restaurant_id FROM special_days WHERE id = {row}.special_day_id)"
        return f"{row}.restaurant_id"

    def trigger(op_name, rows):
        targets = ", ".join(restaurant_of(row) for row in rows)
        return (f"CREATE TRIGGER {table}_setup_stamp_{op_name.lower()} AFTER {op_name} ON {table} BEGIN "
                f"UPDATE restaurants SET setup_stamp = random() WHERE id IN ({targets}); END")

    return [trigger("INSERT", ("NEW",)), trigger("UPDATE", ("OLD", "NEW")),
            trigger("DELETE", ("OLD",))]


SETUP_STAMP_SQLITE = [ddl for table in SETUP_TABLES for ddl in _sqlite_stamp_triggers(table)]


def upgrade():
    with op.batch_alter_table('restaurants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setup_stamp', sa.BigInteger(), server_default=sa.text('0'),
                                      nullable=False))
    statements = SETUP_STAMP_SQLITE if op.get_bind().dialect.name == "sqlite" else SETUP_STAMP_POSTGRESQL
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in SETUP_TABLES:
            for op_name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_setup_stamp_{op_name}")
    else:
        for table in SETUP_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_setup_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS restaurant_setup_changed()")
        op.execute("DROP FUNCTION IF EXISTS special_day_service_changed()")
    with op.batch_alter_table('restaurants', schema=None) as batch_op:
        batch_op.drop_column('setup_stamp')
