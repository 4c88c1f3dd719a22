"""sessions that end on the server, and restaurants' previous web addresses

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

* users.session_version: part of every session's id (User.get_id); a password change or
  "log out everywhere" gives it a new value, so every cookie issued before stops opening.
* login_sessions: one row per login (a hash of its token); logging out deletes it, so a
  copied session or remember cookie of that login stops opening too.
* previous_slugs: the addresses a restaurant had before; guests' e-mailed links under
  them redirect to the current address.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('session_version', sa.Integer(), server_default=sa.text('1'),
                                     nullable=False))
    op.create_table(
        'login_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('remember', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash')),
    )
    op.create_index(op.f('ix_login_sessions_user_id'), 'login_sessions', ['user_id'])
    op.create_table(
        'previous_slugs',
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('restaurant_id', sa.Integer(), nullable=False),
        sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['restaurant_id'], ['restaurants.id'],
                                name=op.f('fk_previous_slugs_restaurant_id_restaurants'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('slug', name=op.f('pk_previous_slugs')),
    )
    op.create_index(op.f('ix_previous_slugs_restaurant_id'), 'previous_slugs', ['restaurant_id'])


def downgrade():
    op.drop_index(op.f('ix_previous_slugs_restaurant_id'), table_name='previous_slugs')
    op.drop_table('previous_slugs')
    op.drop_index(op.f('ix_login_sessions_user_id'), table_name='login_sessions')
    op.drop_table('login_sessions')
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): no batch copy of users, whose
    # rebuild would cascade-delete the memberships on SQLite.
    op.drop_column('users', 'session_version')
