"""chat routes (Google Chat, Teams) and Slack's health per channel, for the Slack fallback

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

import firebell.store.base
from firebell.store.base import JSONType

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chat_routes',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('url_env', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('severities', JSONType, nullable=False),
    sa.Column('tags', JSONType, nullable=False),
    sa.Column('slack_fallback_after_s', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_chat_routes'))
    )
    op.create_table('slack_route_health',
    sa.Column('channel_id', sa.String(length=50), nullable=False),
    sa.Column('failing_since', firebell.store.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_slack_route_health'))
    )


def downgrade() -> None:
    op.drop_table('slack_route_health')
    op.drop_table('chat_routes')
