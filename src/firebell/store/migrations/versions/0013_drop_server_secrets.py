"""drop server_secrets: the action-link signing key is no longer kept in the database

Anyone who could read the database could sign an acknowledge/resolve link as any person with the key
it held. The key is now the server's secret (store/secrets.py: FIREBELL_SECRET_KEY,
FIREBELL_SECRET_KEY_FILE or, on SQLite, a 0600 file beside the database); the stored one is deleted
with its table, and the links and calendar feed URLs it signed stop working.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('server_secrets')


def downgrade() -> None:
    # The table comes back empty: the key it held is gone for good, as it should be.
    op.create_table('server_secrets',
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_server_secrets'))
    )
