"""calendar feed generations, so a leaked feed URL can be revoked

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('schedules', 'users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('feed_generation', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    for table in ('schedules', 'users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('feed_generation')
