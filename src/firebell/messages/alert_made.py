"""Telling the stakeholders what Firebell did on its own account: an incident an alert opened, and
one resolved because all its alerts resolved (docs/stakeholder-updates.md).

Ingestion records those in a group-commit transaction built for storms (issue 13: hundreds of
incidents a second), so it renders nothing. A job (messages/jobs.py) reads the timeline's
`declared` and `resolved` events recorded by Firebell itself since its last pass and says them
through the same routes and values as a person's (messages/stakeholders.py), under the same keys
("declared", `stakeholders.resolved_key`): each message is written once per address however often
it is looked at (a restart, two engines). A person's declaration or resolution is told in its own
transaction (firebell/effects.py) and is not read here.

`plan` renders in a read transaction; `write` adds the outbox rows (and any template fallbacks) in a
short one: on SQLite a write transaction holds the one write lock that ingestion is waiting for.
Private incidents are told to nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.timeline.kinds import FIREBELL, EventKind
from firebell.incidents.models import Incident, TimelineEvent
from firebell.messages import context, render, stakeholders
from firebell.messages.send import Audience, said, said_key
from firebell.notify.models import Notification
from firebell.notify.outbox import Said, insert_messages

ChannelsFor = Callable[[Session, Incident], list[Audience]]
_PURPOSE = {EventKind.DECLARED.value: stakeholders.DECLARED, EventKind.RESOLVED.value: stakeholders.RESOLVED}
BATCH = 200  # events told per pass: a storm's backlog goes in short write transactions


@dataclass
class Message:
    """One event's message, rendered, for the addresses that have not had it."""

    incident: Incident
    said: list[Said]
    fallbacks: list[tuple[str, str, render.Outcome]] = field(default_factory=list)  # (purpose, channel, outcome)


@dataclass
class Plan:
    messages: list[Message]
    looked_at: dict[int, datetime]  # the events read (id -> when), told or not
    until: datetime | None  # the batch was full: the time of its last event, to go on from


def _own_events(since: datetime, *columns: Any) -> Any:
    """Firebell's own declarations and resolutions since `since`, through the incidents changed since
    then (ix_incidents_updated, then ix_timeline_incident): the timeline has no index by time alone."""
    changed = select(Incident.id).where(Incident.updated_at >= since)
    return select(*columns).where(TimelineEvent.incident_id.in_(changed), TimelineEvent.type.in_(list(_PURPOSE)),
                                  TimelineEvent.actor == FIREBELL, TimelineEvent.occurred_at >= since)


def has_work(session: Session, since: datetime) -> bool:
    return session.execute(_own_events(since, TimelineEvent.id).limit(1)).first() is not None


def _key(event: TimelineEvent) -> str:
    if event.type == EventKind.DECLARED.value:
        return stakeholders.DECLARED
    return stakeholders.resolved_key(event.occurred_at)


def plan(session: Session, since: datetime, now: datetime, *, skip: Sequence[int] | set[int],
         channels_for: ChannelsFor, public_url: str = "") -> Plan:
    """The messages for up to BATCH events since `since` not in `skip` (read before)."""
    rows = session.execute(_own_events(since, TimelineEvent).order_by(TimelineEvent.occurred_at, TimelineEvent.id)
                           .limit(len(skip) + BATCH)).scalars().all()
    events = [e for e in rows if e.id not in skip][:BATCH]
    full = len(events) == BATCH
    looked_at = {e.id: e.occurred_at for e in events}
    incidents = {i.id: i for i in session.execute(select(Incident).where(
        Incident.id.in_({e.incident_id for e in events}), Incident.private.is_(False))).scalars()} if events else {}
    wanted: list[tuple[TimelineEvent, Incident, list[Audience]]] = []
    for event in events:
        incident = incidents.get(event.incident_id)
        if incident is None:  # private
            continue
        audiences = list({(a.channel, a.address): a for a in [
            *channels_for(session, incident), *stakeholders.list_audiences(session, incident)]}.values())
        if audiences:
            wanted.append((event, incident, audiences))
    keys = [said_key(i.id, _key(e), a) for e, i, found in wanted for a in found]
    done = set(session.execute(select(Notification.idempotency_key)
                               .where(Notification.idempotency_key.in_(keys))).scalars()) if keys else set()
    messages = []
    for event, incident, audiences in wanted:
        key = _key(event)
        untold = [a for a in audiences if said_key(incident.id, key, a) not in done]
        if untold:
            messages.append(_render(session, event, incident, untold, key, now, public_url))
    return Plan(messages, looked_at, events[-1].occurred_at if full else None)


def _render(session: Session, event: TimelineEvent, incident: Incident, audiences: list[Audience], key: str,
            now: datetime, public_url: str) -> Message:
    purpose = _PURPOSE[event.type]
    resolution = str((event.payload or {}).get("resolution") or "") if purpose == stakeholders.RESOLVED else ""
    values = context.build(session, purpose, incident, now, public_url=public_url,
                           extra=stakeholders.message_values(purpose, resolution=resolution))
    outcomes = {channel: render.with_overrides(session, purpose, channel, values)
                for channel in dict.fromkeys(a.channel for a in audiences)}
    words = {channel: outcome.rendered for channel, outcome in outcomes.items()}
    return Message(incident, said(purpose, incident, audiences, words, key=key),
                   [(purpose, channel, o) for channel, o in outcomes.items() if o.fell_back])


def write(session: Session, messages: Sequence[Message], now: datetime) -> int:
    """The outbox rows of `messages` (a row written before, by a person's path or another engine, is
    left as it is) and any template that fell back, on its incident's timeline."""
    for message in messages:
        for purpose, channel, outcome in message.fallbacks:
            render.record_fallbacks(session, message.incident, purpose, channel, outcome, now)
        incident = message.incident
        insert_messages(session, incident.id, incident.ref, incident.title, incident.severity, message.said, now)
    return sum(len(m.said) for m in messages)
