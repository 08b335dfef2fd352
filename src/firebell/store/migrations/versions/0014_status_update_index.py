"""index each incident's status updates

The incident list reports how many stakeholder updates each incident missed, so it reads the times
of its page's status updates. With only the index on (incident_id, id) that visited every event of
those incidents (in a storm, thousands of alert events each: 3.1 ms of a 21 ms list on
PostgreSQL); this partial index holds status updates only.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_UPDATES = sa.text("type = 'status_update'")


def upgrade() -> None:
    op.create_index('ix_timeline_status_updates', 'timeline_events', ['incident_id', 'occurred_at'],
                    sqlite_where=_UPDATES, postgresql_where=_UPDATES)


def downgrade() -> None:
    op.drop_index('ix_timeline_status_updates', table_name='timeline_events')
