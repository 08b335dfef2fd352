"""Which Slack channels carry which incidents, and the one message per incident per channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column

COORDINATION, STAKEHOLDERS = "coordination", "stakeholders"


class SlackChannelRoute(Base):
    """Configured: incidents of these severities (or carrying one of these tags) get messages here."""

    __tablename__ = "slack_channel_routes"
    channel_id: Mapped[str] = mapped_column(String(50), primary_key=True)  # C0123ABCD
    name: Mapped[str] = mapped_column(String(100), default="")  # #incident-active, for people
    severities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    webhook_url_env: Mapped[str] = mapped_column(String(100), default="")  # incoming webhook: post only
    # "coordination": the incident's card, redrawn as it moves (slack/cards.py); "stakeholders": a new
    # message when it is declared, updated and resolved (messages/stakeholders.py), and no card.
    purpose: Mapped[str] = mapped_column(String(20), default=COORDINATION)


class SlackCard(Base):
    """The incident's message in one channel. `synced_version` is the incident version the message
    shows; the engine posts or updates it whenever the incident has moved on."""

    __tablename__ = "slack_cards"
    __table_args__ = (UniqueConstraint("incident_id", "channel_id"), Index("ix_slack_cards_due", "next_attempt_at"))
    id: Mapped[str] = id_column()
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    channel_id: Mapped[str] = mapped_column(String(50))
    ts: Mapped[str | None] = mapped_column(String(50), nullable=True)  # Slack's id of the message
    synced_version: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class SlackRouteHealth(Base):
    """Whether Slack has been answering for one channel: when calls to it began failing (None while
    they succeed) and the latest error. Written by the card sync; chat/ reads it to decide the
    fallback (core/chat_fallback.py)."""

    __tablename__ = "slack_route_health"
    channel_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
