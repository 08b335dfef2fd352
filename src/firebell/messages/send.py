"""Saying something about an incident to an audience: render the purpose once per channel, then one
outbox row per address (notify/outbox.py:insert_messages), in the caller's transaction. The sender
delivers them like pages (retries, per-address order, the crash rule) and records each delivery as a
"message sent" event naming its audience."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firebell.incidents.models import Incident
from firebell.messages import render
from firebell.notify.channels.base import Rendered
from firebell.notify.outbox import Said, insert_messages


@dataclass(frozen=True)
class Audience:
    """Where a message goes: a Slack channel (address: its id), an email address, a webhook URL."""

    channel: str  # "slack", "email", "webhook"
    address: str
    name: str  # "#incident-comms", "executives: ceo@pria.example", "webhook status-sync"
    secret_env: str = ""  # webhooks


def send(session: Session, purpose: str, incident: Incident, audiences: Sequence[Audience], now: datetime, *,
         key: str, public_url: str = "", extra: Mapping[str, Mapping[str, Any]] | None = None) -> list[Said]:
    """Queue `purpose` for every audience. `key` names this message (an update's event id, "resolved");
    sending the same key to the same address again writes nothing new."""
    words: dict[str, Rendered] = {}
    said = []
    for audience in audiences:
        if audience.channel not in words:
            words[audience.channel] = render.for_incident(session, purpose, audience.channel, incident, now,
                                                          public_url=public_url, extra=extra)
        said.append(Said(channel=audience.channel, address=audience.address, audience=audience.name,
                         purpose=purpose, key=f"{incident.id}:{key}:{audience.channel}:{audience.address}",
                         rendered=words[audience.channel], secret_env=audience.secret_env))
    insert_messages(session, incident.id, incident.ref, incident.title, incident.severity, said, now)
    return said
