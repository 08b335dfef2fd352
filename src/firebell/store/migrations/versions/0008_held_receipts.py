"""hold delivery receipts that arrive before the sender records the provider's message id

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import firebell.store.base

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('held_receipts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('provider_id', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('is_call', sa.Boolean(), nullable=False),
    sa.Column('error_code', sa.String(length=20), nullable=False),
    sa.Column('received_at', firebell.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_receipts'))
    )
    with op.batch_alter_table('held_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_receipts_provider_id'), ['provider_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('held_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_receipts_provider_id'))
    op.drop_table('held_receipts')
