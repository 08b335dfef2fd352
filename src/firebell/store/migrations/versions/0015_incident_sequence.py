"""the incident number sequence moves to a table of the incidents domain

`organisations.incident_seq` was written by the incidents domain (two writers of the organisations
table: configuration and incidents). The sequence is now `incident_sequence`, one row, created by the
first incident; an existing count carries over.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'incident_sequence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_sequence')),
    )
    op.execute("INSERT INTO incident_sequence (id, last_number) "
               "SELECT 1, incident_seq FROM organisations WHERE id = 1 AND incident_seq > 0")
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('incident_seq')


def downgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('incident_seq', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE organisations SET incident_seq = "
               "COALESCE((SELECT last_number FROM incident_sequence WHERE id = 1), 0)")
    op.drop_table('incident_sequence')
