"""alert ingestion

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType, UTCDateTime

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('routing_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('matchers', JSONType, nullable=False),
    sa.Column('actions', JSONType, nullable=False),
    sa.Column('continue', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules')),
    sa.UniqueConstraint('name', name=op.f('uq_routing_rules_name'))
    )
    op.create_table('integrations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=12), nullable=False),
    sa.Column('key_source', sa.String(length=10), nullable=False),
    sa.Column('settings', JSONType, nullable=False),
    sa.Column('archived_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_integrations_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrations')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_integrations_key_hash')),
    sa.UniqueConstraint('service_id', 'name', name=op.f('uq_integrations_service_id_name'))
    )
    op.create_table('maintenance_windows',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('starts_at', UTCDateTime(), nullable=False),
    sa.Column('ends_at', UTCDateTime(), nullable=False),
    sa.Column('ended_at', UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_maintenance_windows_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maintenance_windows'))
    )
    with op.batch_alter_table('maintenance_windows', schema=None) as batch_op:
        batch_op.create_index('ix_maintenance_service_time', ['service_id', 'starts_at', 'ends_at'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('integration_id', sa.String(length=36), nullable=True),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('dedup_key', sa.String(length=255), nullable=False),
    sa.Column('group_key', sa.String(length=512), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('source_severity', sa.String(length=50), nullable=False),
    sa.Column('summary', sa.String(length=1024), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('labels', JSONType, nullable=False),
    sa.Column('annotations', JSONType, nullable=False),
    sa.Column('links', JSONType, nullable=False),
    sa.Column('details', JSONType, nullable=True),
    sa.Column('tags', JSONType, nullable=False),
    sa.Column('last_payload', JSONType, nullable=True),
    sa.Column('last_event_hash', sa.String(length=64), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.Column('acknowledged_at', UTCDateTime(), nullable=True),
    sa.Column('resolved_at', UTCDateTime(), nullable=True),
    sa.Column('incident_id', sa.String(length=36), nullable=True),
    sa.Column('flapping', sa.Boolean(), nullable=False),
    sa.Column('held_reason', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alerts_incident_id_incidents')),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_alerts_integration_id_integrations')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_alerts_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_incident', ['incident_id'], unique=False)
        batch_op.create_index('ix_alerts_service_dedup_first_seen', ['service_id', 'dedup_key', 'first_seen_at'], unique=False)
        batch_op.create_index('ix_alerts_status_last_seen', ['status', 'last_seen_at'], unique=False)
        batch_op.create_index('uq_alerts_open_dedup', ['service_id', 'dedup_key'], unique=True, sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))

    op.create_table('change_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.String(length=36), nullable=False),
    sa.Column('integration_id', sa.String(length=36), nullable=True),
    sa.Column('summary', sa.String(length=1024), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.Column('details', JSONType, nullable=True),
    sa.Column('links', JSONType, nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_change_events_integration_id_integrations')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_change_events_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_events'))
    )
    with op.batch_alter_table('change_events', schema=None) as batch_op:
        batch_op.create_index('ix_change_events_service_time', ['service_id', 'occurred_at'], unique=False)

    op.create_table('heartbeats',
    sa.Column('integration_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('last_beat_at', UTCDateTime(), nullable=True),
    sa.Column('overdue_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_heartbeats_integration_id_integrations')),
    sa.PrimaryKeyConstraint('integration_id', name=op.f('pk_heartbeats'))
    )
    with op.batch_alter_table('heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heartbeats_overdue_at'), ['overdue_at'], unique=False)

    op.create_table('alert_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=300), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.Column('payload', JSONType, nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_events_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_events'))
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index('ix_alert_events_alert', ['alert_id', 'id'], unique=False)
        batch_op.create_index('ix_alert_events_received', ['received_at'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_service_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('group_key', sa.String(length=512), nullable=True))
        batch_op.create_index('ix_incidents_group', ['origin_service_id', 'group_key', 'status'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_incidents_origin_service_id_services'), 'services', ['origin_service_id'], ['id'])

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('config_version', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alerting', JSONType, server_default='{}', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('alerting')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('config_version')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_incidents_origin_service_id_services'), type_='foreignkey')
        batch_op.drop_index('ix_incidents_group')
        batch_op.drop_column('group_key')
        batch_op.drop_column('origin_service_id')

    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_events_received')
        batch_op.drop_index('ix_alert_events_alert')

    op.drop_table('alert_events')
    with op.batch_alter_table('heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heartbeats_overdue_at'))

    op.drop_table('heartbeats')
    with op.batch_alter_table('change_events', schema=None) as batch_op:
        batch_op.drop_index('ix_change_events_service_time')

    op.drop_table('change_events')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_alerts_open_dedup', sqlite_where=sa.text("status != 'resolved'"), postgresql_where=sa.text("status != 'resolved'"))
        batch_op.drop_index('ix_alerts_status_last_seen')
        batch_op.drop_index('ix_alerts_service_dedup_first_seen')
        batch_op.drop_index('ix_alerts_incident')

    op.drop_table('alerts')
    with op.batch_alter_table('maintenance_windows', schema=None) as batch_op:
        batch_op.drop_index('ix_maintenance_service_time')

    op.drop_table('maintenance_windows')
    op.drop_table('integrations')
    op.drop_table('routing_rules')
