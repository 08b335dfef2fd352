"""index the open alerts of each incident

A resolve asks whether its incident has another open alert. With only the index on incident_id,
the answer walked every alert the incident ever had; this partial index holds only open ones, so
EXISTS stops at the second entry whatever the incident's size (issue 13: a count over 19,000 open
alerts took 13.8 ms per resolve).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_OPEN = sa.text("status != 'resolved'")


def upgrade() -> None:
    op.create_index('ix_alerts_incident_open', 'alerts', ['incident_id'], sqlite_where=_OPEN, postgresql_where=_OPEN)


def downgrade() -> None:
    op.drop_index('ix_alerts_incident_open', table_name='alerts')
