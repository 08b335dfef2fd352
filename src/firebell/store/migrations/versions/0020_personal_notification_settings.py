"""who keeps a person's contact methods, notification rules and quiet hours: the config tree or the person

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every existing row was written by `config apply`, which managed them all until now.
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('notification_settings', sa.String(length=10), nullable=False,
                                   server_default='managed'))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('notification_settings')
