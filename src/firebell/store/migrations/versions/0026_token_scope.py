"""API tokens gain a scope: "api" (every token until now) or "statuspage" (the status page's
management API only: `firebell statuspage key create`); the management API's Idempotency-Key answers

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType, UTCDateTime

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(20), server_default='api', nullable=False))
    op.create_table(
        'statuspage_idempotent_writes',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('token_id', sa.String(36), sa.ForeignKey('api_tokens.id', ondelete='CASCADE',
                                                           name='fk_statuspage_idempotent_writes_token_id_api_tokens'),
                  nullable=False),
        sa.Column('key', sa.String(255), nullable=False),
        sa.Column('fingerprint', sa.String(64), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('body', JSONType, nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('token_id', 'key', name='uq_statuspage_idempotent_writes_token_id_key'),
    )


def downgrade() -> None:
    op.drop_table('statuspage_idempotent_writes')
    with op.batch_alter_table('api_tokens') as batch_op:
        batch_op.drop_column('scope')
