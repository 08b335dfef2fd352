"""Inbound requests already acted on, so a replayed one (same signed body) does nothing.

Slack and Twilio sign each request; an attacker who captures one can resend it unchanged within
the provider's replay window, and providers themselves retry. The signature (or another digest of
the signed content) is recorded in the transaction that acts on it; a second request with the
same digest finds it and is told "already done". Rows older than a day are pruned.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import String
from sqlalchemy.orm import Mapped, Session, mapped_column

from firebell.store.base import Base, UTCDateTime
from firebell.store.rawsql import Statement, raw

KEEP = timedelta(days=1)  # longer than any provider's replay window (Slack 5 min) or retry schedule


class InboundRequest(Base):
    __tablename__ = "inbound_requests"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of source and signed content
    source: Mapped[str] = mapped_column(String(20))  # slack, twilio
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


_CLAIM = Statement("""INSERT INTO inbound_requests (digest, source, received_at) VALUES (:digest, :source, :now)
    ON CONFLICT (digest) DO NOTHING""")
# Slack requests carry a signed timestamp and are refused after 5 minutes, so their digests can go;
# Twilio's signatures have no time in them, so a captured request stays valid: its digest stays too.
_PRUNE = Statement("DELETE FROM inbound_requests WHERE received_at < :before AND source = 'slack'")


def first_time(session: Session, source: str, signed: str, now: datetime) -> bool:
    """Record this request; False when the same signed request was recorded before. The record is
    part of the caller's transaction, so it disappears if acting on the request fails."""
    digest = hashlib.sha256(f"{source}\n{signed}".encode()).hexdigest()
    db = raw(session)
    return bool(db.run(_CLAIM, {"digest": digest, "source": source, "now": db.ts(now)}))


def prune(session: Session, now: datetime) -> int:
    db = raw(session)
    return int(db.run(_PRUNE, {"before": db.ts(now - KEEP)}))
