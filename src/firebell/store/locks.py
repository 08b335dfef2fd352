"""Named transaction-scoped locks for work that must not interleave across requests."""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def advisory_lock(session: Session, *parts: str) -> bool:
    """Hold a lock named by `parts` until the transaction ends; True if a lock was taken (and so
    may have waited for another transaction). PostgreSQL takes an advisory lock; SQLite needs none,
    because its writers already hold the one database write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    key = zlib.crc32("\x1f".join(parts).encode())
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    return True


def group_lock(session: Session, service_id: str, group_key: str) -> bool:
    """Serialises everything that opens, joins or closes the incident of one alert group."""
    return advisory_lock(session, service_id, "group", group_key)
