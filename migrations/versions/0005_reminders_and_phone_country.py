"""reminders, the guest's confirmation, and the restaurant's country for phone numbers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

* restaurants.reminder_hours: hours before a booking its reminder goes out (24 unless
  the owner changes it; 0: no reminders).
* restaurants.country: the default region for guests' phone numbers, filled here from
  each restaurant's time zone (tzdata's zone.tab; "" for zones of no country, e.g. UTC).
* reservations.confirmed_at: when the guest confirmed from the reminder's link.
* reservations.reminder_token_hash: sha256 of the token the reminder e-mail carries
  (issued when it is sent, so the outbox never stores it in clear).
* an index on outbox_emails.reservation_id: re-planning or dropping a reminder finds
  the booking's rows by it.
"""
import importlib.resources

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _zone_countries() -> dict[str, str]:
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    rows = (line.split("\t") for line in text.splitlines()
            if line.strip() and not line.startswith("#"))
    return {fields[2]: fields[0] for fields in rows if len(fields) >= 3}


def upgrade():
    op.add_column('restaurants', sa.Column('reminder_hours', sa.Integer(),
                                           server_default=sa.text('24'), nullable=False))
    op.add_column('restaurants', sa.Column('country', sa.String(length=2), server_default='',
                                           nullable=False))
    op.add_column('reservations', sa.Column('reminder_token_hash', sa.String(length=64),
                                            nullable=True))
    op.add_column('reservations', sa.Column('confirmed_at', sa.DateTime(timezone=True),
                                            nullable=True))
    op.create_index(op.f('ix_reservations_reminder_token_hash'), 'reservations',
                    ['reminder_token_hash'], unique=True)
    op.create_index(op.f('ix_outbox_emails_reservation_id'), 'outbox_emails', ['reservation_id'])
    bind = op.get_bind()
    countries = _zone_countries()
    for restaurant_id, zone in bind.execute(sa.text("SELECT id, timezone FROM restaurants")).all():
        bind.execute(sa.text("UPDATE restaurants SET country = :country WHERE id = :id"),
                     {"country": countries.get(zone, ""), "id": restaurant_id})


def downgrade():
    op.drop_index(op.f('ix_outbox_emails_reservation_id'), table_name='outbox_emails')
    op.drop_index(op.f('ix_reservations_reminder_token_hash'), table_name='reservations')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): no batch copy of the tables,
    # whose rebuild would cascade-delete their children on SQLite.
    op.drop_column('reservations', 'confirmed_at')
    op.drop_column('reservations', 'reminder_token_hash')
    op.drop_column('restaurants', 'country')
    op.drop_column('restaurants', 'reminder_hours')
