"""stakeholder updates: a Slack channel's purpose (coordination or stakeholders); stakeholder lists;
the next update an incident's last update promised

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType, UTCDateTime

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch_op:
        batch_op.add_column(sa.Column('next_update_at', UTCDateTime(), nullable=True))
    with op.batch_alter_table('slack_channel_routes') as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(20), server_default='coordination', nullable=False))
    op.create_table(
        'stakeholder_lists',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(100), nullable=False, unique=True),
        sa.Column('description', sa.String(500), nullable=False),
        sa.Column('people', JSONType, nullable=False),
        sa.Column('addresses', JSONType, nullable=False),
        sa.Column('webhooks', JSONType, nullable=False),
        sa.Column('severities', JSONType, nullable=False),
        sa.Column('teams', JSONType, nullable=False),
        sa.Column('services', JSONType, nullable=False),
    )


def downgrade() -> None:
    op.drop_table('stakeholder_lists')
    with op.batch_alter_table('incidents') as batch_op:
        batch_op.drop_column('next_update_at')
    with op.batch_alter_table('slack_channel_routes') as batch_op:
        batch_op.drop_column('purpose')
