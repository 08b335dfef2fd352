"""Append to and verify the audit log's keyed chain (the rules: core/audit_chain.py).

Each entry's link is an HMAC, under a key derived from the server's secret (store/secrets.py), over
the previous entry's link and the entry's content, so a changed or removed row breaks the chain from
that point on even for someone who can write the database and recompute hashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from firebell.audit.models import AuditEntry
from firebell.core.audit_chain import CHECKPOINT, GENESIS, Break, Entry, StoredEntry, audit_key, first_break, keyed_link
from firebell.errors import Invalid
from firebell.store.secrets import server_secret

AUDIT_LOCK_KEY = 0x46424155  # "FBAU"


def _key(session: Session, *, create: bool = True) -> bytes:
    return audit_key(server_secret(session.get_bind().engine, create=create))


def record(session: Session, *, actor: str, action: str, subject: str = "",
           details: dict[str, Any] | None = None, now: datetime) -> AuditEntry:
    if action == CHECKPOINT:  # it would make every entry before it read as unkeyed
        raise Invalid(f"{CHECKPOINT} entries are written only by the migration that keyed the chain")
    entry = Entry(occurred_at=now, actor=actor, action=action, subject=subject, details=details or {})
    key = _key(session)
    # Serialise appenders so two cannot chain onto the same predecessor: SQLite writers already
    # hold the database lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction advisory lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev = last or GENESIS
    row = AuditEntry(occurred_at=now, actor=actor, action=action, subject=subject, details=entry.details,
                     prev_hash=prev, hash=keyed_link(key, prev, entry))
    session.add(row)
    session.flush()
    return row


def verify(session: Session) -> Break | None:
    """None when the chain is intact, else its first bad entry and why."""
    key = _key(session, create=False)
    checkpoint = session.execute(
        select(func.min(AuditEntry.id)).where(AuditEntry.action == CHECKPOINT)
    ).scalar_one_or_none()
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
    return first_break((StoredEntry(id=r.id, entry=Entry(occurred_at=r.occurred_at, actor=r.actor, action=r.action,
                                                         subject=r.subject, details=r.details),
                                    prev_hash=r.prev_hash, hash=r.hash) for r in rows), key, checkpoint)


def newest_entries(session: Session, *, before_id: int | None = None, limit: int = 50) -> list[AuditEntry]:
    """A page of the log, newest first: the `limit` entries before `before_id` (or the newest)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.execute(query).scalars())
