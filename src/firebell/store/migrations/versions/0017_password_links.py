"""sign-in throttling (failed attempts) and one-time password links (invitations, resets)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import UTCDateTime

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_failures',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('user_name', sa.String(length=100), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures')),
    )
    for column in ('at', 'user_name', 'client_address'):
        op.create_index(op.f(f'ix_sign_in_failures_{column}'), 'sign_in_failures', [column])
    op.create_table(
        'password_links',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('used_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_links_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_password_links_token_hash')),
    )
    op.create_index(op.f('ix_password_links_user_id'), 'password_links', ['user_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_password_links_user_id'), table_name='password_links')
    op.drop_table('password_links')
    for column in ('at', 'user_name', 'client_address'):
        op.drop_index(op.f(f'ix_sign_in_failures_{column}'), table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
