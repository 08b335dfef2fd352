"""Escalation state (one row per incident, a durable timer the engine claims when due) and its policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column, json_default_list


class Escalation(Base):
    """The policy (and triggers) frozen when the escalation started, where the ladder stands, and
    when the engine must look again. `version` fences: every change to this row (an engine step,
    reassign, manual escalate, reopen, a trigger re-check) bumps it, and the engine writes only if
    the version it read holds. Acknowledge and resolve change the incident, not this row: the
    engine reads the incident's status under its lock in the pass that would page (and acknowledge
    bumps `incidents.version`)."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_next_due", "next_due_at"),
                      Index("ix_escalations_triggers_due", "triggers_due_at"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    policy_name: Mapped[str] = mapped_column(String(100))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType)  # core.escalation.snapshot_to_json
    # core/escalation_states.py: active (the ladder runs), manual (a person asked for a level now),
    # acknowledged (the ladder stopped, triggers may still fire), exhausted (the ladder ran out),
    # stopped (the incident resolved: nothing more).
    status: Mapped[str] = mapped_column(String(20), default="active")
    level: Mapped[int] = mapped_column(Integer, default=0)
    loop: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    triggers_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fired_triggers: Mapped[list[str]] = mapped_column(JSONType, default=json_default_list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # The ORM adds "AND version = <read>" to every UPDATE and bumps it: a writer that read a stale
    # row fails (StaleDataError) instead of overwriting a newer decision.
    __mapper_args__ = {"version_id_col": version}


class EscalationPolicy(Base):
    """Named policy; its ladder (`spec`) is interpreted by the escalation engine."""

    __tablename__ = "escalation_policies"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
