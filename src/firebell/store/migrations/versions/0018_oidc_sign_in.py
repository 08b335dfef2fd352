"""single sign-on with OpenID Connect: the configured provider, the sign-ins under way, and users'
origin (a user single sign-on created is not the tree's, so an apply does not archive it)

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import UTCDateTime

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oidc_providers',
        sa.Column('name', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=60), nullable=False),
        sa.Column('discovery_url', sa.String(length=2000), nullable=False),
        sa.Column('client_id_env', sa.String(length=200), nullable=False),
        sa.Column('client_secret_env', sa.String(length=200), nullable=False),
        sa.Column('create_users', sa.Boolean(), nullable=False),
        sa.Column('default_access', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_oidc_providers')),
    )
    op.create_table(
        'oidc_attempts',
        sa.Column('state_hash', sa.String(length=64), nullable=False),
        sa.Column('browser_hash', sa.String(length=64), nullable=False),
        sa.Column('nonce', sa.String(length=100), nullable=False),
        sa.Column('code_verifier', sa.String(length=128), nullable=False),
        sa.Column('next_path', sa.String(length=2000), nullable=False),
        sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('state_hash', name=op.f('pk_oidc_attempts')),
    )
    op.create_index(op.f('ix_oidc_attempts_expires_at'), 'oidc_attempts', ['expires_at'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('origin', sa.String(length=20), server_default='config', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('origin')
    op.drop_index(op.f('ix_oidc_attempts_expires_at'), table_name='oidc_attempts')
    op.drop_table('oidc_attempts')
    op.drop_table('oidc_providers')
