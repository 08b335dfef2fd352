"""The customer email's tables: who customers are and when they may be written to (the config tree's
`customers:` section, written by config apply), and each incident's drafts (messages/customer_email.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column


class CustomerRecipient(Base):
    """One customer of one service: `customer` is the name after "Dear", `email` where the mail goes.
    `name` is the config identity, "service/email"."""

    __tablename__ = "customer_recipients"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(430), unique=True)
    service: Mapped[str] = mapped_column(String(100))
    customer: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))


class CustomerEmailPolicy(Base):
    """A severity whose incidents may email customers, and whether one person may send it alone
    (core/customer_email.Approval). A severity without a row never emails customers."""

    __tablename__ = "customer_email_policies"
    id: Mapped[str] = id_column()
    severity: Mapped[str] = mapped_column(String(20), unique=True)
    approval: Mapped[str] = mapped_column(String(20))


class CustomerEmailDraft(Base):
    """One customer email of an incident, from its first words to sent or discarded
    (core/customer_email.DraftState). At most one per incident is open (a draft), which the service
    keeps under the incident's row lock. `recipients` is who it went to, fixed when it was sent."""

    __tablename__ = "customer_email_drafts"
    __table_args__ = (Index("ix_customer_email_drafts_incident", "incident_id", "state"),)
    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    state: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    remediation: Mapped[str] = mapped_column(Text, default="")
    prevention: Mapped[str] = mapped_column(Text, default="")
    # Whoever wrote the words last: under the second-person policy they cannot approve them.
    written_by_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    written_by: Mapped[str] = mapped_column(String(200))  # their name as shown, kept with the words
    approved_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    override_private: Mapped[bool] = mapped_column(Boolean, default=False)
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
