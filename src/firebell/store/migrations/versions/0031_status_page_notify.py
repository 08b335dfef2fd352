"""the status page's choice of what its subscribers hear of (`status_page.notify`)

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('status_pages') as batch_op:
        batch_op.add_column(sa.Column('notify', JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('status_pages') as batch_op:
        batch_op.drop_column('notify')
