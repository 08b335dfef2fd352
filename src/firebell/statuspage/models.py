"""The status page's tables, written only by this domain: the page (from the config tree's
`status_page:`), its components and groups with every status change kept, and the public incidents
and maintenances with their updates and their links to internal incidents.

Public ids are random (`public_id`), never sequential: they leave the system in URLs and JSON, and
must not tell how many incidents there were."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from firebell.store.base import Base, JSONType, UTCDateTime, id_column

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
PAGE_SLOT = "status_page"  # the one page's config identity


def public_id(length: int = 12) -> str:
    """A random id of lowercase letters and digits, as Statuspage's look (62 bits at 12 characters)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _public_id() -> str:
    return public_id()


class StatusPage(Base):
    """The page: what `status_page:` says, and `data_version`, moved by every change of this domain's
    tables (the public documents are cached against it)."""

    __tablename__ = "status_pages"
    id: Mapped[str] = mapped_column(String(12), primary_key=True, default=_public_id)
    slot: Mapped[str] = mapped_column(String(20), unique=True, default=PAGE_SLOT)
    name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="Etc/UTC")
    export_dir: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    editors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    branding: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    severities: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # What subscribers hear of (`status_page.notify`; core/statuspage/notices.py reads it): None, today's default.
    notify: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    data_version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StatusComponent(Base):
    """A component or a group (`is_group`; its children point at it with `group_id`). `status_source`
    says who set the status last: manual, incident, maintenance or api."""

    __tablename__ = "status_components"
    id: Mapped[str] = mapped_column(String(12), primary_key=True, default=_public_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    showcase: Mapped[bool] = mapped_column(Boolean, default=True)
    only_show_if_degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[str | None] = mapped_column(ForeignKey("status_components.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(30), default="operational")
    status_source: Mapped[str] = mapped_column(String(20), default="manual")
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # "config": the tree's `status_page:` owns it (config apply adds, changes and archives it);
    # "api": made through the management API (Statuspage v1), which config apply leaves alone.
    managed_by: Mapped[str] = mapped_column(String(10), default="config", server_default="config")


class ComponentStatusEvent(Base):
    """One change of a component's status (history and the uptime bars); the first is its creation
    (old_status None)."""

    __tablename__ = "status_component_events"
    __table_args__ = (Index("ix_status_component_events_component", "component_id", "at"),)
    id: Mapped[str] = id_column()
    component_id: Mapped[str] = mapped_column(ForeignKey("status_components.id"))
    old_status: Mapped[str | None] = mapped_column(String(30), nullable=True)
    new_status: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20))
    public_incident_id: Mapped[str | None] = mapped_column(String(12), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # So that a new component's row is inserted before its first event.
    component: Mapped[StatusComponent] = relationship(lazy="raise")


class PublicIncident(Base):
    """A public incident (`kind` incident) or a scheduled maintenance (`kind` maintenance, whose
    `status` is a maintenance status). Its own name and words: nothing of the internal incidents it
    is linked to is copied here. `components`: the ids of the components it affects. A `draft` is
    not shown until published."""

    __tablename__ = "public_incidents"
    __table_args__ = (Index("ix_public_incidents_kind_created", "kind", "created_at"),)
    id: Mapped[str] = mapped_column(String(12), primary_key=True, default=_public_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    impact: Mapped[str] = mapped_column(String(20))
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    shortlink: Mapped[str] = mapped_column(String(12), unique=True, default=lambda: public_id(7))
    components: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    auto_start: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_complete: Mapped[bool] = mapped_column(Boolean, default=True)
    postmortem_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    postmortem_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PublicIncidentUpdate(Base):
    """One update of a public incident or maintenance. `affected_components`: the v2 shape,
    [{code, name, old_status, new_status}], or None when the update changed no component."""

    __tablename__ = "public_incident_updates"
    __table_args__ = (Index("ix_public_incident_updates_incident", "public_incident_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(12), primary_key=True, default=_public_id)
    public_incident_id: Mapped[str] = mapped_column(ForeignKey("public_incidents.id"))
    status: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    display_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    affected_components: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
    deliver_notifications: Mapped[bool] = mapped_column(Boolean, default=True)


class PublicIncidentLink(Base):
    """A public incident speaks for this internal incident (never a private one)."""

    __tablename__ = "public_incident_links"
    __table_args__ = (UniqueConstraint("public_incident_id", "incident_id"),
                      Index("ix_public_incident_links_incident", "incident_id"))
    id: Mapped[str] = id_column()
    public_incident_id: Mapped[str] = mapped_column(ForeignKey("public_incidents.id"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)



class ProposedResolution(Base):
    """The internal incident `incident_id` was resolved, so its public incident's resolved update was
    made from the `status_resolved` template: published at once (`published_at` set by the severity
    policy), or waiting for the comms lead. One per (public incident, internal incident): the
    severity-policy job writes it once, however often it runs."""

    __tablename__ = "status_proposed_resolutions"
    __table_args__ = (UniqueConstraint("public_incident_id", "incident_id"),)
    id: Mapped[str] = id_column()
    public_incident_id: Mapped[str] = mapped_column(ForeignKey("public_incidents.id"))
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MaintenanceSilence(Base):
    """An alert maintenance window (alerts/' `maintenance_windows`) a scheduled maintenance created
    for a service behind one of its components: moved with it, ended with it."""

    __tablename__ = "status_maintenance_silences"
    __table_args__ = (Index("ix_status_maintenance_silences_maintenance", "maintenance_id"),)
    id: Mapped[str] = id_column()
    maintenance_id: Mapped[str] = mapped_column(ForeignKey("public_incidents.id"))
    window_id: Mapped[str] = mapped_column(ForeignKey("maintenance_windows.id"))
