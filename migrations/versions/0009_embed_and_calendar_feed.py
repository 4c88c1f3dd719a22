"""embeddable booking and the staff calendar feed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

* restaurants.embed_origins: the web origins (https://example.com) allowed to frame the
  booking embed (/r/<slug>/embed), one per line ("" when none: embedding is off).
* restaurants.calendar_feed_contact: whether the calendar feeds carry the guests'
  e-mail and phone (off by default).
* memberships.calendar_token_hash: sha256 of the member's secret calendar-feed token
  (/calendar/<token>.ics); NULL when the member has none (or revoked it).
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('restaurants', sa.Column('embed_origins', sa.Text(), server_default='',
                                           nullable=False))
    op.add_column('restaurants', sa.Column('calendar_feed_contact', sa.Boolean(),
                                           server_default=sa.false(), nullable=False))
    with op.batch_alter_table('memberships') as batch:
        batch.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f('uq_memberships_calendar_token_hash'),
                                       ['calendar_token_hash'])


def downgrade():
    with op.batch_alter_table('memberships') as batch:
        batch.drop_constraint(op.f('uq_memberships_calendar_token_hash'), type_='unique')
        batch.drop_column('calendar_token_hash')
    op.drop_column('restaurants', 'calendar_feed_contact')
    op.drop_column('restaurants', 'embed_origins')
