"""the language a booking was made in, and a restaurant's own page language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

* reservations.language: the language the guest booked in ("en", "de", ...); every
  e-mail about the booking is written in it, whoever causes it (the guest, the owner's
  dashboard, the API, the reminder worker). Existing bookings: English.
* restaurants.default_language: the language the restaurant's guest page opens in when
  the guest has not chosen one on the page; "" (the default): the guest's browser decides
  (Accept-Language). Also the language of bookings the restaurant takes itself.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('reservations', sa.Column('language', sa.String(length=8), server_default='en',
                                            nullable=False))
    op.add_column('restaurants', sa.Column('default_language', sa.String(length=8),
                                           server_default='', nullable=False))


def downgrade():
    op.drop_column('restaurants', 'default_language')
    with op.batch_alter_table('reservations') as batch:
        batch.drop_column('language')
