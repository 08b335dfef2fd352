"""Templates (`templates:`) and stakeholder lists (`stakeholders:`) from the config tree, written by config
apply, read when rendering and sending."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType, id_column


class MessageTemplate(Base):
    """One override: a purpose on a channel, for the organisation (service "") or one service.
    `parts` maps part names (subject, text, html, title, body) to template text; parts it lacks come
    from the built-in. `origin` is "file:line" of its config entry, for errors read at run time."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("purpose", "channel", "service", name="uq_message_templates_scope"),)
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), unique=True)  # "purpose/channel" or "purpose/channel/service"
    purpose: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(20))
    service: Mapped[str] = mapped_column(String(100), default="")
    parts: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    origin: Mapped[str] = mapped_column(String(300), default="")


class StakeholderList(Base):
    """A stakeholder list from the config tree (`stakeholders:`): who hears that an incident was
    declared, each status update, and its resolution. `people` are user names (their email address is
    read when a message goes), `addresses` plain email addresses, `webhooks` the outbound webhooks it
    names as {name: {url, secret_env}}. It applies when every non-empty condition holds
    (core/stakeholder_updates.list_applies)."""

    __tablename__ = "stakeholder_lists"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    people: Mapped[list[str]] = mapped_column(JSONType, default=list)
    addresses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    webhooks: Mapped[dict[str, dict[str, str]]] = mapped_column(JSONType, default=dict)
    severities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    teams: Mapped[list[str]] = mapped_column(JSONType, default=list)
    services: Mapped[list[str]] = mapped_column(JSONType, default=list)
