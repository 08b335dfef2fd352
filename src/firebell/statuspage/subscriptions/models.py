"""The tables of status-page subscriptions: who subscribed to what, each notice once, and the delivery
outbox (its own: notify's outbox is bound to internal incidents and their people)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column


class StatusSubscriber(Base):
    """One subscriber of the public status page. `address` is an email address or an endpoint URL
    (webhooks, Slack, Teams, Google Chat; a chat URL is a credential, shown to nobody).
    `component_ids` None: the whole page. Its state follows from the timestamps
    (core/status_subscriptions.state_of). `webhook_secret` (whsec_...) signs its webhooks; empty: the
    server's FIREBELL_WEBHOOK_SECRET. Neither it nor a confirmation token ever leaves the server: the
    row keeps only the token's hash."""

    __tablename__ = "status_subscribers"
    __table_args__ = (UniqueConstraint("mode", "address"),)
    id: Mapped[str] = id_column()
    mode: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(2000))
    component_ids: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    source: Mapped[str] = mapped_column(String(20))  # form, api, import, cli
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    confirm_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    purge_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    webhook_secret: Mapped[str] = mapped_column(String(200), default="")


class StatusNotice(Base):
    """One change the page told its subscribers about, kept once however many receive it (10,000
    deliveries of one update share this row instead of 10,000 copies of the incident)."""

    __tablename__ = "status_notices"
    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(200), unique=True)
    notice: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusDelivery(Base):
    """One message to one subscriber: a notice, or (`notice_id` None) a confirmation mail whose
    `payload` holds the nonce its link is made from. `status`: pending, sending (until
    `next_attempt_at`, its deadline), sent, failed, cancelled. `idempotency_key` is unique per subscriber
    and notice: queueing the same notice again adds nothing."""

    __tablename__ = "status_deliveries"
    __table_args__ = (Index("ix_status_deliveries_due", "status", "next_attempt_at"),
                      Index("ix_status_deliveries_subscriber", "subscriber_id", "status"))
    id: Mapped[str] = id_column()
    subscriber_id: Mapped[str] = mapped_column(ForeignKey("status_subscribers.id", ondelete="CASCADE"))
    notice_id: Mapped[str | None] = mapped_column(ForeignKey("status_notices.id", ondelete="CASCADE"), nullable=True)
    notice_key: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
