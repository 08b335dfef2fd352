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
from firebell.messages import context, render
from firebell.notify.channels.base import Rendered
from firebell.notify.outbox import Said, insert_messages


@dataclass(frozen=True)
class Audience:
    """Where a message goes: a Slack channel (address: its id), an email address, a webhook URL."""

    channel: str  # "slack", "email", "webhook"
    address: str
    name: str  # "#incident-comms", "executives: ceo@pria.example", "webhook status-sync"
    secret_env: str = ""  # webhooks


def said_key(incident_id: str, key: str, audience: Audience) -> str:
    """The outbox's idempotency key of message `key` to one address."""
    return f"{incident_id}:{key}:{audience.channel}:{audience.address}"


def words_for(session: Session, purpose: str, incident: Incident, channels: Sequence[str], now: datetime, *,
              values: Mapping[str, Any]) -> dict[str, Rendered]:
    """`purpose` rendered once per channel, from one context (`context.build`)."""
    return {channel: render.for_incident(session, purpose, channel, incident, now, values=values)
            for channel in dict.fromkeys(channels)}


def said(purpose: str, incident: Incident, audiences: Sequence[Audience], words: Mapping[str, Rendered], *,
         key: str) -> list[Said]:
    """One outbox message per audience, in the words rendered for its channel."""
    return [Said(channel=a.channel, address=a.address, audience=a.name, purpose=purpose,
                 key=said_key(incident.id, key, a), rendered=words[a.channel], secret_env=a.secret_env)
            for a in audiences]


def send(session: Session, purpose: str, incident: Incident, audiences: Sequence[Audience], now: datetime, *,
         key: str, public_url: str = "", extra: Mapping[str, Mapping[str, Any]] | None = None,
         values: Mapping[str, Any] | None = None) -> list[Said]:
    """Queue `purpose` for every audience. `key` names this message (an update's event id, "resolved");
    sending the same key to the same address again writes nothing new. `values`: a context built
    before for this incident and purpose (a customer email builds one for all its recipients)."""
    if values is None:
        values = context.build(session, purpose, incident, now, public_url=public_url, extra=extra)
    words = words_for(session, purpose, incident, [a.channel for a in audiences], now, values=values)
    out = said(purpose, incident, audiences, words, key=key)
    insert_messages(session, incident.id, incident.ref, incident.title, incident.severity, out, now)
    return out
