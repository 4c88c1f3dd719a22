"""waitlist: guests waiting for a table on a date, offered a freed one by e-mail

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

* restaurants.waitlist_offer_minutes: how long an offer holds its table (1-60, default 15).
* waitlist_entries: one row per waiting guest (webapp/booking/waitlist.py); the window is
  stored as UTC instants, the tokens only as their sha256.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OFFER_MINUTES_CHECK = "waitlist_offer_minutes BETWEEN 1 AND 60"


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("ALTER TABLE restaurants ADD COLUMN waitlist_offer_minutes INTEGER NOT NULL "
                   "DEFAULT 15 CONSTRAINT ck_restaurants_waitlist_offer_minutes "
                   f"CHECK ({OFFER_MINUTES_CHECK})")
    else:
        op.add_column('restaurants', sa.Column('waitlist_offer_minutes', sa.Integer(),
                                               server_default='15', nullable=False))
        op.create_check_constraint("ck_restaurants_waitlist_offer_minutes", "restaurants",
                                   OFFER_MINUTES_CHECK)
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('restaurant_id', sa.Integer(), nullable=False),
        sa.Column('service_date', sa.Date(), nullable=False),
        sa.Column('party_size', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('guest_name', sa.String(length=120), nullable=False),
        sa.Column('guest_email', sa.String(length=254), nullable=False),
        sa.Column('guest_phone', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('offer_token_hash', sa.String(length=64), nullable=True),
        sa.Column('offer_starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reservation_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('waiting', 'offered', 'booked', 'removed', 'expired')",
                           name=op.f('ck_waitlist_entries_status_valid')),
        sa.CheckConstraint('party_size >= 1', name=op.f('ck_waitlist_entries_party_size_positive')),
        sa.CheckConstraint('window_end >= window_start',
                           name=op.f('ck_waitlist_entries_window_ordered')),
        sa.ForeignKeyConstraint(['restaurant_id'], ['restaurants.id'],
                                name=op.f('fk_waitlist_entries_restaurant_id_restaurants'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'],
                                name=op.f('fk_waitlist_entries_reservation_id_reservations'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_waitlist_entries_token_hash')),
    )
    op.create_index('ix_waitlist_entries_line', 'waitlist_entries',
                    ['restaurant_id', 'service_date', 'status', 'position'])
    op.create_index(op.f('ix_waitlist_entries_offer_token_hash'), 'waitlist_entries',
                    ['offer_token_hash'])


def downgrade():
    op.drop_table('waitlist_entries')
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_restaurants_waitlist_offer_minutes", "restaurants", type_="check")
    op.drop_column('restaurants', 'waitlist_offer_minutes')
