"""index only notifications that have a provider id, and only sent ones by time sent

Pages are written without either (the escalation pass writes thousands at once), so neither index
is touched by the insert: two B-tree inserts fewer per page.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_HAS_PROVIDER_ID = sa.text("provider_id IS NOT NULL")
_SENT = sa.text("sent_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_notifications_provider_id', table_name='notifications')
    op.drop_index('ix_notifications_sent', table_name='notifications')
    op.create_index('ix_notifications_provider_id', 'notifications', ['provider_id'],
                    sqlite_where=_HAS_PROVIDER_ID, postgresql_where=_HAS_PROVIDER_ID)
    op.create_index('ix_notifications_sent', 'notifications', ['channel', 'state', 'sent_at'],
                    sqlite_where=_SENT, postgresql_where=_SENT)


def downgrade() -> None:
    op.drop_index('ix_notifications_provider_id', table_name='notifications')
    op.drop_index('ix_notifications_sent', table_name='notifications')
    op.create_index('ix_notifications_provider_id', 'notifications', ['provider_id'])
    op.create_index('ix_notifications_sent', 'notifications', ['channel', 'state', 'sent_at'])
