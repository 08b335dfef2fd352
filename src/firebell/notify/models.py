"""The notification outbox and used action-link nonces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column


class Notification(Base):
    """One message to one contact method, written in the same transaction as the change that
    caused it. The idempotency key (incident, step, person or webhook, contact method) is unique, so a
    step that runs twice cannot page twice; receivers that accept a key get it too.

    States (core/outbox_states.py): pending -> sending (with `deadline_at`) -> sent | failed; a
    temporary failure goes back to pending with `next_attempt_at` pushed out (backoff with jitter);
    a page the incident no longer needs is cancelled; a receipt can fail a sent page. Written only
    by notify/outbox.py (new rows) and the sender, failover and receipts (state changes)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "state", "next_attempt_at"),
                      Index("ix_notifications_incident", "incident_id", "created_at"),
                      # the sender claims the oldest due pages: walked in this order, a claim stops at
                      # its limit instead of sorting the whole backlog (10,000 pending: 12 ms -> 0.1 ms)
                      Index("ix_notifications_claim_order", "state", "created_at", "id"),
                      # the sender's "an older page to this address is still unsent" check
                      Index("ix_notifications_address", "address", "state", "created_at"),
                      # delivery receipts find their page by the provider's message id. Partial, like
                      # the next: pages are written without one, so the insert skips the index
                      Index("ix_notifications_provider_id", "provider_id",
                            sqlite_where=text("provider_id IS NOT NULL"),
                            postgresql_where=text("provider_id IS NOT NULL")),
                      # rate limits count what went out on a channel (and to an address) lately
                      Index("ix_notifications_sent", "channel", "state", "sent_at",
                            sqlite_where=text("sent_at IS NOT NULL"), postgresql_where=text("sent_at IS NOT NULL")))
    id: Mapped[str] = id_column()
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    target: Mapped[str] = mapped_column(String(200))  # what the policy named: schedule:primary, role:cto
    channel: Mapped[str] = mapped_column(String(20))  # email, webhook, sms, voice, slack
    address: Mapped[str] = mapped_column(String(500))  # copied: the contact method may change later
    contact_position: Mapped[int] = mapped_column(Integer, default=0)  # which of the user's methods
    level: Mapped[int] = mapped_column(Integer, default=0)
    loop: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20), default="page")  # page, trigger, ticket, manual
    message: Mapped[dict[str, Any]] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    uncertain: Mapped[int] = mapped_column(Integer, default=0)  # sends interrupted by a crash
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Why a due page is not going out yet (bundling, a rate limit, the user's night): shown, not silent.
    held_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    bundle_id: Mapped[str | None] = mapped_column(String(36), nullable=True)  # pages sent as one message
    # The provider's latest delivery receipt (queued, sent, delivered, undelivered, failed); only moves forward.
    delivery_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ActionTokenUse(Base):
    """A used acknowledge/resolve link: its nonce may never act again."""

    __tablename__ = "action_token_uses"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactVerification(Base):
    """A code sent to a contact method; the method is verified when its owner types the code back."""

    __tablename__ = "contact_verifications"
    contact_method_id: Mapped[str] = mapped_column(ForeignKey("contact_methods.id", ondelete="CASCADE"),
                                                   primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HeldReceipt(Base):
    """A delivery receipt that arrived before the sender recorded its message's provider id
    (notify/receipts.py applies it then; dropped after a day)."""

    __tablename__ = "held_receipts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider_id: Mapped[str] = mapped_column(String(300), index=True)
    status: Mapped[str] = mapped_column(String(40))
    is_call: Mapped[bool] = mapped_column(Boolean)
    error_code: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
