"""Incident tables. The timeline is append-only: the migration installs triggers that refuse
UPDATE and DELETE on it, so a correction can only be a new event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firebell.core.timeline.kinds import EventKind
from firebell.store.base import Base, JSONType, UTCDateTime, id_column

_STATUS_UPDATES = f"type = '{EventKind.STATUS_UPDATE.value}'"


class _NamedDefinition:
    """Shape shared by configured vocabularies: a name, a display title, and an order."""

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IncidentRoleDef(_NamedDefinition, Base):
    """A role people hold during an incident: commander, communications lead, technical lead."""

    __tablename__ = "incident_role_defs"


class LifecycleStage(_NamedDefinition, Base):
    __tablename__ = "lifecycle_stages"


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_status_declared", "status", "declared_at"),
        Index("ix_incidents_team", "team_id"),
        Index("ix_incidents_group", "origin_service_id", "group_key", "status"),
        Index("ix_incidents_updated", "updated_at"),  # the Slack card sync: what changed since its last pass
        Index("ix_incidents_status_number", "status", "number"),  # the console's history, newest first (0019)
    )
    id: Mapped[str] = id_column()
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(100))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    # For incidents opened by alerts: the service and grouping key new alerts join on.
    origin_service_id: Mapped[str | None] = mapped_column(ForeignKey("services.id"), nullable=True)
    group_key: Mapped[str | None] = mapped_column(String(512), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    declared_by_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the last stakeholder update promised the next (None: the severity's cadence decides).
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Bumped on every change; the escalation engine uses it for fencing.
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Loaded on demand: ingestion touches incidents on every event and needs none of these;
    # the read paths that render incidents ask for them with `with_people_and_services()`.
    services: Mapped[list[IncidentService]] = relationship(cascade="all, delete-orphan")
    roles: Mapped[list[RoleAssignment]] = relationship(cascade="all, delete-orphan")
    members: Mapped[list[IncidentMember]] = relationship(cascade="all, delete-orphan")

    @property
    def ref(self) -> str:
        return f"INC-{self.number}"


class IncidentService(Base):
    __tablename__ = "incident_services"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)


class RoleAssignment(Base):
    __tablename__ = "incident_role_assignments"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentMember(Base):
    """People added to an incident; they can see it even when it is private."""

    __tablename__ = "incident_members"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TimelineEvent(Base):
    """One event; `type` is its kind in the catalogue (core/timeline), `payload` its kind's schema
    as JSON. Written only by incidents/timeline.py."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        Index("ix_timeline_incident", "incident_id", "id"),
        # The list's "updates missed" reads only status updates; without it, every alert event of the
        # page's incidents was visited (migration 0014).
        Index("ix_timeline_status_updates", "incident_id", "occurred_at",
              sqlite_where=text(_STATUS_UPDATES), postgresql_where=text(_STATUS_UPDATES)),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    type: Mapped[str] = mapped_column(String(50))
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(200))  # display: "alice via api", "firebell"
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CadenceReminder(Base):
    """An update-cadence reminder already sent (due or overdue, per due moment): never twice."""

    __tablename__ = "cadence_reminders"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentSequence(Base):
    """The last incident number given out: one row, advanced only by `incidents/rows.py`. Numbers are
    shared by every team and by private incidents, so an outsider who sees INC-7 and INC-9 can tell
    that an incident exists between them (README.md says why that is kept)."""

    __tablename__ = "incident_sequence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
