"""The console's history: resolved incidents, newest first, a page at a time, read from an index on
(status, number) instead of sorting every resolved incident (100,000 of them: 120 ms on SQLite).

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_status_number", "incidents", ["status", "number"])


def downgrade() -> None:
    op.drop_index("ix_incidents_status_number", table_name="incidents")
