"""status page subscriptions: subscribers, the notices told to them, and their delivery outbox

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType, UTCDateTime

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'status_subscribers',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('mode', sa.String(20), nullable=False),
        sa.Column('address', sa.String(2000), nullable=False),
        sa.Column('component_ids', JSONType, nullable=True),
        sa.Column('source', sa.String(20), nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('confirmed_at', UTCDateTime, nullable=True),
        sa.Column('confirm_token_hash', sa.String(64), nullable=True, unique=True),
        sa.Column('confirm_expires_at', UTCDateTime, nullable=True),
        sa.Column('unsubscribed_at', UTCDateTime, nullable=True),
        sa.Column('quarantined_at', UTCDateTime, nullable=True),
        sa.Column('purge_at', UTCDateTime, nullable=True),
        sa.Column('consecutive_failures', sa.Integer, nullable=False),
        sa.Column('last_error', sa.String(500), nullable=False),
        sa.Column('webhook_secret', sa.String(200), nullable=False),
        sa.UniqueConstraint('mode', 'address', name=op.f('uq_status_subscribers_mode_address')),
    )
    op.create_table(
        'status_notices',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('key', sa.String(200), nullable=False, unique=True),
        sa.Column('notice', JSONType, nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False),
    )
    op.create_table(
        'status_deliveries',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('subscriber_id', sa.String(36), nullable=False),
        sa.Column('notice_id', sa.String(36), nullable=True),
        sa.Column('notice_key', sa.String(200), nullable=False),
        sa.Column('idempotency_key', sa.String(300), nullable=False, unique=True),
        sa.Column('payload', JSONType, nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('attempts', sa.Integer, nullable=False),
        sa.Column('next_attempt_at', UTCDateTime, nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('sent_at', UTCDateTime, nullable=True),
        sa.Column('last_error', sa.Text, nullable=False),
        sa.ForeignKeyConstraint(['subscriber_id'], ['status_subscribers.id'], ondelete='CASCADE',
                                name=op.f('fk_status_deliveries_subscriber_id_status_subscribers')),
        sa.ForeignKeyConstraint(['notice_id'], ['status_notices.id'], ondelete='CASCADE',
                                name=op.f('fk_status_deliveries_notice_id_status_notices')),
    )
    op.create_index('ix_status_deliveries_due', 'status_deliveries', ['status', 'next_attempt_at'])
    op.create_index('ix_status_deliveries_subscriber', 'status_deliveries', ['subscriber_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_status_deliveries_subscriber', table_name='status_deliveries')
    op.drop_index('ix_status_deliveries_due', table_name='status_deliveries')
    op.drop_table('status_deliveries')
    op.drop_table('status_notices')
    op.drop_table('status_subscribers')
