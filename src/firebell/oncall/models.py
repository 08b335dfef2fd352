"""Schedules and their overrides. A schedule's layers (rotations, restrictions) are configuration
and live in `spec`; overrides are made by people at any time and are rows of their own."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, UTCDateTime, id_column


class Schedule(Base):
    __tablename__ = "schedules"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[str | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # layers, as in the config tree
    # The iCalendar feed's secret URL token; only its SHA-256 is kept (like integration keys).
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # Bumped to revoke the schedule's calendar feed URL (oncall/feeds.py): old URLs stop working.
    feed_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScheduleOverride(Base):
    """One person on call over everything else for [starts_at, ends_at): holiday cover, "take my
    shift". A swap is two overrides made together (same `swap_id`)."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_schedule_overrides_window", "schedule_id", "ends_at", "starts_at"),)
    id: Mapped[str] = id_column()
    schedule_id: Mapped[str] = mapped_column(ForeignKey("schedules.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    swap_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
