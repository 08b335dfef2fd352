"""Tables for ingestion. An alert is one *open* row per (service, dedup key): the partial unique
index enforces it, so two racing triggers cannot open the same alert twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column

INTEGRATION_TYPES = ("alertmanager", "pagerduty", "grafana", "webhook", "heartbeat")


class Integration(Base):
    """An inbound endpoint of a service. The key is the credential (in the URL or the PD
    routing_key); only its SHA-256 is stored."""

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("service_id", "name"),)
    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    # "config": the key is written in the config tree; "env": read from an environment variable at
    # apply time; "generated": Firebell made it (and `integration rotate-key` may replace it).
    key_source: Mapped[str] = mapped_column(String(10), default="generated")
    # Type-specific settings: webhook field mapping, Grafana HMAC secret, heartbeat interval/grace.
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        Index("uq_alerts_open_dedup", "service_id", "dedup_key", unique=True,
              sqlite_where=text("status != 'resolved'"), postgresql_where=text("status != 'resolved'")),
        Index("ix_alerts_incident", "incident_id"),
        Index("ix_alerts_incident_open", "incident_id",  # "another open alert?" in one probe (migration 0011)
              sqlite_where=text("status != 'resolved'"), postgresql_where=text("status != 'resolved'")),
        Index("ix_alerts_status_last_seen", "status", "last_seen_at"),
        Index("ix_alerts_service_dedup_first_seen", "service_id", "dedup_key", "first_seen_at"),
    )
    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    integration_id: Mapped[str | None] = mapped_column(ForeignKey("integrations.id"), nullable=True)
    format: Mapped[str] = mapped_column(String(20))
    dedup_key: Mapped[str] = mapped_column(String(255))
    group_key: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(20))  # triggered, acknowledged, resolved
    severity: Mapped[str] = mapped_column(String(20))  # Firebell level, e.g. P2
    source_severity: Mapped[str] = mapped_column(String(50), default="")  # as sent: critical, warning...
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(255), default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    annotations: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    details: Mapped[Any] = mapped_column(JSONType, nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    last_payload: Mapped[Any] = mapped_column(JSONType, nullable=True)  # bounded excerpt
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why this alert did not page: maintenance, flapping, below-threshold, suppressed by a rule.
    held_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class AlertEvent(Base):
    """Every event an alert received, newest last; pruned by age."""

    __tablename__ = "alert_events"
    __table_args__ = (Index("ix_alert_events_alert", "alert_id", "id"),
                      Index("ix_alert_events_received", "received_at"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))  # trigger, acknowledge, resolve, duplicate
    outcome: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[Any] = mapped_column(JSONType, nullable=True)


class ChangeEvent(Base):
    __tablename__ = "change_events"
    __table_args__ = (Index("ix_change_events_service_time", "service_id", "occurred_at"),)
    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    integration_id: Mapped[str | None] = mapped_column(ForeignKey("integrations.id"), nullable=True)
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(255), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[Any] = mapped_column(JSONType, nullable=True)
    links: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)


class MaintenanceWindow(Base):
    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_service_time", "service_id", "starts_at", "ends_at"),)
    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"))
    name: Mapped[str | None] = mapped_column(String(100), nullable=True)  # set for windows from config
    origin: Mapped[str] = mapped_column(String(10), default="adhoc")  # config or adhoc
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # ended early by hand
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")


class Heartbeat(Base):
    """State of a heartbeat integration: when the last beat came and when the next is overdue."""

    __tablename__ = "heartbeats"
    integration_id: Mapped[str] = mapped_column(ForeignKey("integrations.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # waiting, up, down
    last_beat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class RoutingRule(Base):
    """Ordered global rules with Alertmanager-style matchers; see core/routing.py."""

    __tablename__ = "routing_rules"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    matchers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    actions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    continue_: Mapped[bool] = mapped_column("continue", Boolean, default=False)
