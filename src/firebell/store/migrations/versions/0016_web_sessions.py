"""web console sign-in: passwords (argon2id hashes) and server-side browser sessions

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import UTCDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'passwords',
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('changed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_passwords_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_passwords')),
    )
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=36), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('idle_expires_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('csrf_secret', sa.String(length=64), nullable=False),
        sa.Column('via', sa.String(length=20), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=False),
        sa.Column('user_agent', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
        sa.UniqueConstraint('secret_hash', name=op.f('uq_web_sessions_secret_hash')),
    )
    op.create_index(op.f('ix_web_sessions_user_id'), 'web_sessions', ['user_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_web_sessions_user_id'), table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_table('passwords')
