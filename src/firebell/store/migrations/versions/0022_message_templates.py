"""message templates from the config tree; the organisation's support contact

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'message_templates',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False, unique=True),
        sa.Column('purpose', sa.String(50), nullable=False),
        sa.Column('channel', sa.String(20), nullable=False),
        sa.Column('service', sa.String(100), nullable=False),
        sa.Column('parts', JSONType, nullable=False),
        sa.Column('origin', sa.String(300), nullable=False),
        sa.UniqueConstraint('purpose', 'channel', 'service', name='uq_message_templates_scope'),
    )
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.add_column(sa.Column('support_contact', sa.String(200), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('organisations') as batch_op:
        batch_op.drop_column('support_contact')
    op.drop_table('message_templates')
