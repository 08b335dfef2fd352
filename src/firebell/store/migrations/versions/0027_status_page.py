"""status page: the page, its components and their status history, public incidents and
maintenances with their updates and links to internal incidents

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType, UTCDateTime

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'status_pages',
        sa.Column('id', sa.String(12), primary_key=True),
        sa.Column('slot', sa.String(20), nullable=False, unique=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('url', sa.String(2000), nullable=False),
        sa.Column('time_zone', sa.String(64), nullable=False),
        sa.Column('export_dir', sa.String(1000), nullable=True),
        sa.Column('editors', JSONType, nullable=False),
        sa.Column('branding', JSONType, nullable=False),
        sa.Column('severities', JSONType, nullable=False),
        sa.Column('data_version', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=True),
        sa.Column('archived_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'status_components',
        sa.Column('id', sa.String(12), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False, unique=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('showcase', sa.Boolean(), nullable=False),
        sa.Column('only_show_if_degraded', sa.Boolean(), nullable=False),
        sa.Column('is_group', sa.Boolean(), nullable=False),
        sa.Column('group_id', sa.String(12), sa.ForeignKey('status_components.id'), nullable=True),
        sa.Column('status', sa.String(30), nullable=False),
        sa.Column('status_source', sa.String(20), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=True),
        sa.Column('archived_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'status_component_events',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('component_id', sa.String(12), sa.ForeignKey('status_components.id'), nullable=False),
        sa.Column('old_status', sa.String(30), nullable=True),
        sa.Column('new_status', sa.String(30), nullable=False),
        sa.Column('source', sa.String(20), nullable=False),
        sa.Column('public_incident_id', sa.String(12), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_status_component_events_component', 'status_component_events', ['component_id', 'at'])
    op.create_table(
        'public_incidents',
        sa.Column('id', sa.String(12), primary_key=True),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('impact', sa.String(20), nullable=False),
        sa.Column('draft', sa.Boolean(), nullable=False),
        sa.Column('shortlink', sa.String(12), nullable=False, unique=True),
        sa.Column('components', JSONType, nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.Column('monitoring_at', UTCDateTime(), nullable=True),
        sa.Column('resolved_at', UTCDateTime(), nullable=True),
        sa.Column('scheduled_for', UTCDateTime(), nullable=True),
        sa.Column('scheduled_until', UTCDateTime(), nullable=True),
        sa.Column('auto_start', sa.Boolean(), nullable=False),
        sa.Column('auto_complete', sa.Boolean(), nullable=False),
    )
    op.create_index('ix_public_incidents_kind_created', 'public_incidents', ['kind', 'created_at'])
    op.create_table(
        'public_incident_updates',
        sa.Column('id', sa.String(12), primary_key=True),
        sa.Column('public_incident_id', sa.String(12), sa.ForeignKey('public_incidents.id'), nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('display_at', UTCDateTime(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('affected_components', JSONType, nullable=True),
        sa.Column('deliver_notifications', sa.Boolean(), nullable=False),
    )
    op.create_index('ix_public_incident_updates_incident', 'public_incident_updates',
                    ['public_incident_id', 'created_at'])
    op.create_table(
        'public_incident_links',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('public_incident_id', sa.String(12), sa.ForeignKey('public_incidents.id'), nullable=False),
        sa.Column('incident_id', sa.String(36), sa.ForeignKey('incidents.id'), nullable=False),
        sa.Column('linked_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('public_incident_id', 'incident_id'),
    )
    op.create_index('ix_public_incident_links_incident', 'public_incident_links', ['incident_id'])


def downgrade() -> None:
    op.drop_table('public_incident_links')
    op.drop_table('public_incident_updates')
    op.drop_table('public_incidents')
    op.drop_table('status_component_events')
    op.drop_table('status_components')
    op.drop_table('status_pages')
