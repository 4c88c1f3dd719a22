"""sign-up, onboarding, staff invitations, password resets and scoped API tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

* users.email_verified_at: when the address was proven by the sign-up link; accounts
  that exist already count as verified (they were made by the CLI or the demo).
* restaurants.published_at / onboarded_at: a restaurant made at sign-up takes no guest
  bookings until published, and the dashboard offers onboarding until it is done;
  restaurants that exist already are both.
* account_links: one-time links (verify an address, reset a password, join a staff),
  stored as a sha256 of their token with an expiry, a use and a revocation time.
* api_tokens.scopes: what a token may do ("read bookings setup" for those made before).
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('email_verified_at', sa.DateTime(timezone=True),
                                     nullable=True))
    op.add_column('restaurants', sa.Column('published_at', sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column('restaurants', sa.Column('onboarded_at', sa.DateTime(timezone=True),
                                           nullable=True))
    op.add_column('api_tokens', sa.Column('scopes', sa.String(length=64),
                                          server_default='read bookings setup', nullable=False))
    op.execute("UPDATE users SET email_verified_at = created_at")
    op.execute("UPDATE restaurants SET published_at = created_at, onboarded_at = created_at")
    op.create_table(
        'account_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('restaurant_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=16), nullable=True),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("purpose IN ('verify_email', 'reset_password', 'invitation')",
                           name=op.f('ck_account_links_purpose_valid')),
        sa.CheckConstraint("role IS NULL OR role IN ('owner', 'staff')",
                           name=op.f('ck_account_links_role_valid')),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_account_links_invited_by_id_users')),
        sa.ForeignKeyConstraint(['restaurant_id'], ['restaurants.id'], ondelete='CASCADE',
                                name=op.f('fk_account_links_restaurant_id_restaurants')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_account_links_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_account_links_token_hash')),
    )
    op.create_index(op.f('ix_account_links_user_id'), 'account_links', ['user_id'])
    op.create_index('ix_account_links_restaurant_purpose', 'account_links',
                    ['restaurant_id', 'purpose'])


def downgrade():
    op.drop_index('ix_account_links_restaurant_purpose', table_name='account_links')
    op.drop_index(op.f('ix_account_links_user_id'), table_name='account_links')
    op.drop_table('account_links')
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): no batch copy of the tables.
    op.drop_column('api_tokens', 'scopes')
    op.drop_column('restaurants', 'onboarded_at')
    op.drop_column('restaurants', 'published_at')
    op.drop_column('users', 'email_verified_at')
