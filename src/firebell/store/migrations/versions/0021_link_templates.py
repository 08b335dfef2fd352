"""link templates (trace, logs) on the organisation and on each service

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('organisations', 'services'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('links', JSONType, server_default='{}', nullable=False))


def downgrade() -> None:
    for table in ('organisations', 'services'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('links')
