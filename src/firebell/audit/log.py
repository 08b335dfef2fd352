"""Append to and verify the hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON, so a
changed or removed row breaks the chain from that point on.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from firebell.auth.models import AuditEntry

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x46424155  # "FBAU"


def _digest(prev_hash: str, occurred_at: datetime, actor: str, action: str, subject: str,
            details: dict[str, Any]) -> str:
    body = json.dumps(
        {"at": occurred_at.isoformat(), "actor": actor, "action": action, "subject": subject,
         "details": details},
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(session: Session, *, actor: str, action: str, subject: str = "",
           details: dict[str, Any] | None = None, now: datetime) -> AuditEntry:
    details = details or {}
    # Serialise appenders so two cannot chain onto the same predecessor: SQLite writers already
    # hold the database lock (BEGIN IMMEDIATE); PostgreSQL takes a transaction advisory lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    prev = last or GENESIS
    entry = AuditEntry(
        occurred_at=now, actor=actor, action=action, subject=subject, details=details,
        prev_hash=prev, hash=_digest(prev, now, actor, action, subject, details),
    )
    session.add(entry)
    session.flush()
    return entry


def verify(session: Session) -> tuple[bool, int | None]:
    """(True, None) when the chain is intact, else (False, id of the first bad entry)."""
    prev = GENESIS
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        expected = _digest(prev, entry.occurred_at, entry.actor, entry.action, entry.subject,
                           entry.details)
        if entry.prev_hash != prev or entry.hash != expected:
            return False, entry.id
        prev = entry.hash
    return True, None
