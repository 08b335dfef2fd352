"""status page severity policy and maintenance: proposed resolutions, and the alert maintenance
windows a scheduled maintenance created

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import UTCDateTime

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'status_proposed_resolutions',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('public_incident_id', sa.String(12), sa.ForeignKey('public_incidents.id'), nullable=False),
        sa.Column('incident_id', sa.String(36), sa.ForeignKey('incidents.id'), nullable=False),
        sa.Column('body', sa.Text, nullable=False),
        sa.Column('proposed_at', UTCDateTime, nullable=False),
        sa.Column('published_at', UTCDateTime, nullable=True),
        sa.UniqueConstraint('public_incident_id', 'incident_id'),
    )
    op.create_table(
        'status_maintenance_silences',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('maintenance_id', sa.String(12), sa.ForeignKey('public_incidents.id'), nullable=False),
        sa.Column('window_id', sa.String(36), sa.ForeignKey('maintenance_windows.id'), nullable=False),
    )
    op.create_index('ix_status_maintenance_silences_maintenance', 'status_maintenance_silences', ['maintenance_id'])


def downgrade() -> None:
    op.drop_index('ix_status_maintenance_silences_maintenance', table_name='status_maintenance_silences')
    op.drop_table('status_maintenance_silences')
    op.drop_table('status_proposed_resolutions')
