"""key the audit chain: close the entries written with unkeyed SHA-256 links with a keyed checkpoint

Entries from here on are linked with an HMAC under a key derived from the server's secret, which is
not in the database (core/audit_chain.py). Entries already written keep their unkeyed links; this
appends one keyed checkpoint entry whose link covers the last of them, so that rewriting them (or
rewriting later entries the unkeyed way) breaks the chain. An empty log needs no checkpoint.

Revision ID: 0012
Revises: 0011
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from firebell.core.audit_chain import CHECKPOINT, Entry, audit_key, keyed_link
from firebell.store.base import JSONType, UTCDateTime
from firebell.store.secrets import server_secret

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

audit_log = sa.table(
    'audit_log', sa.column('id', sa.Integer), sa.column('occurred_at', UTCDateTime()), sa.column('actor', sa.String),
    sa.column('action', sa.String), sa.column('subject', sa.String), sa.column('details', JSONType),
    sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    count, last = bind.execute(
        sa.select(sa.func.count(), sa.select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)
                  .scalar_subquery()).select_from(audit_log)
    ).one()
    if not count:
        return
    # Raises, with what to set, when the server has no secret: the upgrade stops before any change.
    key = audit_key(server_secret(bind.engine))
    entry = Entry(occurred_at=datetime.now(UTC), actor="firebell", action=CHECKPOINT, subject="",
                  details={"unkeyed_entries": count, "unkeyed_head": last})
    bind.execute(audit_log.insert().values(
        occurred_at=entry.occurred_at, actor=entry.actor, action=entry.action, subject=entry.subject,
        details=dict(entry.details), prev_hash=last, hash=keyed_link(key, last, entry),
    ))


def downgrade() -> None:
    # The checkpoint stays: the log is append-only (the database refuses DELETE on it), and the
    # unkeyed verification of older releases reports it, correctly, as not of their scheme.
    pass
