"""Templates from the config tree (`templates:`), written by config apply, read when rendering."""

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
