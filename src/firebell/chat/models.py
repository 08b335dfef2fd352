"""Which chat spaces (Google Chat, Microsoft Teams) carry which incidents."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from firebell.store.base import Base, JSONType


class ChatRoute(Base):
    """Configured (`chat.routes`): incidents of these severities, or carrying one of these tags, get a
    message here for each change worth telling. The webhook URL is in the environment variable
    `url_env`, never here. `slack_fallback_after_s` is set on the route `slack.fallback` names: messages
    for Slack channels come here once Slack calls have failed that long."""

    __tablename__ = "chat_routes"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # google_chat, teams
    url_env: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    severities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    slack_fallback_after_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
