"""reach people: notification rules, verification, slack cards, cadence reminders, inbound replay guard

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import firebell.store.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbound_requests',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('received_at', firebell.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_inbound_requests'))
    )
    op.create_table('slack_channel_routes',
    sa.Column('channel_id', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('severities', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('webhook_url_env', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_slack_channel_routes'))
    )
    op.create_table('contact_verifications',
    sa.Column('contact_method_id', sa.String(length=36), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', firebell.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', firebell.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_method_id'], ['contact_methods.id'], name=op.f('fk_contact_verifications_contact_method_id_contact_methods'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_method_id', name=op.f('pk_contact_verifications'))
    )
    op.create_table('notification_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('contact_method_id', sa.String(length=36), nullable=False),
    sa.Column('urgency', sa.String(length=4), nullable=False),
    sa.Column('delay_minutes', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_method_id'], ['contact_methods.id'], name=op.f('fk_notification_rules_contact_method_id_contact_methods'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_rules_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_rules'))
    )
    op.create_table('cadence_reminders',
    sa.Column('incident_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('sent_at', firebell.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_cadence_reminders_incident_id_incidents')),
    sa.PrimaryKeyConstraint('incident_id', 'key', name=op.f('pk_cadence_reminders'))
    )
    op.create_table('slack_cards',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('incident_id', sa.String(length=36), nullable=False),
    sa.Column('channel_id', sa.String(length=50), nullable=False),
    sa.Column('ts', sa.String(length=50), nullable=True),
    sa.Column('synced_version', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', firebell.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_slack_cards_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_cards')),
    sa.UniqueConstraint('incident_id', 'channel_id', name=op.f('uq_slack_cards_incident_id_channel_id'))
    )
    with op.batch_alter_table('slack_cards', schema=None) as batch_op:
        batch_op.create_index('ix_slack_cards_due', ['next_attempt_at'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_reason', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('bundle_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=20), nullable=True))
        batch_op.create_index('ix_notifications_provider_id', ['provider_id'], unique=False)
        batch_op.create_index('ix_notifications_sent', ['channel', 'state', 'sent_at'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_updated', ['updated_at'], unique=False)

    with op.batch_alter_table('severity_levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgency', sa.String(length=4), server_default='high', nullable=False))
    # Existing levels get the urgency `config apply` would give them (P3/P4 and lower ranks are low),
    # not the column default: otherwise P3 pages would phone at night until the next apply.
    op.execute("UPDATE severity_levels SET urgency = 'low' WHERE key IN ('P3', 'P4') "
               "OR (key NOT IN ('P1', 'P2') AND rank >= 2)")

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slack_user_id', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('quiet_start', sa.String(length=5), server_default='22:00', nullable=False))
        batch_op.add_column(sa.Column('quiet_end', sa.String(length=5), server_default='07:00', nullable=False))
        batch_op.add_column(sa.Column('phone_low_urgency_at_night', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_users_slack_user_id'), ['slack_user_id'])



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_slack_user_id'), type_='unique')
        batch_op.drop_column('phone_low_urgency_at_night')
        batch_op.drop_column('quiet_end')
        batch_op.drop_column('quiet_start')
        batch_op.drop_column('slack_user_id')

    with op.batch_alter_table('severity_levels', schema=None) as batch_op:
        batch_op.drop_column('urgency')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_updated')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_sent')
        batch_op.drop_index('ix_notifications_provider_id')
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('bundle_id')
        batch_op.drop_column('held_reason')

    with op.batch_alter_table('slack_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_slack_cards_due')

    op.drop_table('slack_cards')
    op.drop_table('cadence_reminders')
    op.drop_table('notification_rules')
    op.drop_table('contact_verifications')
    op.drop_table('slack_channel_routes')
    op.drop_table('inbound_requests')
