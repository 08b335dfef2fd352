"""The console's history: resolved incidents, newest first, a page at a time, read from an index on
(status, number) instead of sorting every resolved incident (100,000 of them: 120 ms on SQLite).

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_status_number", "incidents", ["status", "number"])


def downgrade() -> None:
    op.drop_index("ix_incidents_status_number", table_name="incidents")
