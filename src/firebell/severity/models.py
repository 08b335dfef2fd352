"""Severity levels and assessment criteria as configured."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column


class SeverityLevelRow(Base):
    __tablename__ = "severity_levels"
    key: Mapped[str] = mapped_column(String(20), primary_key=True)  # "P1"
    rank: Mapped[int] = mapped_column(Integer)  # 0 = most severe
    name: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    impact_examples: Mapped[list[str]] = mapped_column(JSONType, default=list)
    acknowledge_within_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    recover_within_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    update_every_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    urgency: Mapped[str] = mapped_column(String(4), default="high", server_default="high")  # high pages phone
    external_comms_required: Mapped[bool] = mapped_column(Boolean, default=False)
    external_comms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    postmortem_required: Mapped[bool] = mapped_column(Boolean, default=False)
    postmortem_due_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SeverityCriterionRow(Base):
    __tablename__ = "severity_criteria"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20))
    flag: Mapped[str | None] = mapped_column(String(100), nullable=True)
    metric: Mapped[str | None] = mapped_column(String(100), nullable=True)
    min: Mapped[float | None] = mapped_column(Float, nullable=True)
    above: Mapped[float | None] = mapped_column(Float, nullable=True)
    max: Mapped[float | None] = mapped_column(Float, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
