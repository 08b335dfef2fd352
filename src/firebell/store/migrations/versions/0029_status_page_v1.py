"""the status page's management API (Statuspage v1): components it made are its own (config apply
leaves them alone); a public incident's post-mortem

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import UTCDateTime

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('status_components') as batch_op:
        batch_op.add_column(sa.Column('managed_by', sa.String(10), server_default='config', nullable=False))
    with op.batch_alter_table('public_incidents') as batch_op:
        batch_op.add_column(sa.Column('postmortem_body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('postmortem_published_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('public_incidents') as batch_op:
        batch_op.drop_column('postmortem_published_at')
        batch_op.drop_column('postmortem_body')
    with op.batch_alter_table('status_components') as batch_op:
        batch_op.drop_column('managed_by')
