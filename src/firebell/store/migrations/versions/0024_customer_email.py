"""customer email: recipients and per-severity policy from the config tree, and each incident's drafts

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from firebell.store.base import JSONType, UTCDateTime

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'customer_recipients',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(430), nullable=False, unique=True),
        sa.Column('service', sa.String(100), nullable=False),
        sa.Column('customer', sa.String(200), nullable=False),
        sa.Column('email', sa.String(320), nullable=False),
    )
    op.create_table(
        'customer_email_policies',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('severity', sa.String(20), nullable=False, unique=True),
        sa.Column('approval', sa.String(20), nullable=False),
    )
    op.create_table(
        'customer_email_drafts',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('incident_id', sa.String(36), nullable=False),
        sa.Column('state', sa.String(20), nullable=False),
        sa.Column('summary', sa.Text, nullable=False),
        sa.Column('impact', sa.Text, nullable=False),
        sa.Column('root_cause', sa.Text, nullable=False),
        sa.Column('remediation', sa.Text, nullable=False),
        sa.Column('prevention', sa.Text, nullable=False),
        sa.Column('written_by_id', sa.String(36), nullable=False),
        sa.Column('written_by', sa.String(200), nullable=False),
        sa.Column('approved_by_id', sa.String(36), nullable=True),
        sa.Column('override_private', sa.Boolean, nullable=False),
        sa.Column('recipients', JSONType, nullable=False),
        sa.Column('created_at', UTCDateTime, nullable=False),
        sa.Column('updated_at', UTCDateTime, nullable=False),
        sa.Column('approved_at', UTCDateTime, nullable=True),
        sa.Column('sent_at', UTCDateTime, nullable=True),
        sa.Column('discarded_at', UTCDateTime, nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                                name=op.f('fk_customer_email_drafts_incident_id_incidents')),
        sa.ForeignKeyConstraint(['written_by_id'], ['users.id'],
                                name=op.f('fk_customer_email_drafts_written_by_id_users')),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'],
                                name=op.f('fk_customer_email_drafts_approved_by_id_users')),
    )
    op.create_index('ix_customer_email_drafts_incident', 'customer_email_drafts', ['incident_id', 'state'])


def downgrade() -> None:
    op.drop_index('ix_customer_email_drafts_incident', table_name='customer_email_drafts')
    op.drop_table('customer_email_drafts')
    op.drop_table('customer_email_policies')
    op.drop_table('customer_recipients')
