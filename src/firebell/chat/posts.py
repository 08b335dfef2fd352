"""Planning chat messages: one outbox row per change worth telling (declared, updated, resolved)
and chat route, and the same for Slack channels while Slack is out (their fallback route).

Incoming webhooks cannot edit a message, so each change is a message of its own. The changes are
read from the timeline; each row's idempotency key names the timeline event and the route, so a
change is posted to a route once however often it is looked at (a restart, two routes falling back
to the same one, a route that both carries the incident and is the fallback). The sender
(notify/sender.py) posts them, with retries, and records each on the timeline.

Private incidents are never posted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.chat.models import ChatRoute
from firebell.core.chat_fallback import EVENT_GRACE, goes_to_fallback
from firebell.core.durations import humanize
from firebell.core.timeline.incident import StatusUpdate
from firebell.core.timeline.kinds import EventKind
from firebell.escalation.targets import Page, Recipient
from firebell.incidents.models import Incident, IncidentService, RoleAssignment, TimelineEvent
from firebell.messages import render, stakeholders
from firebell.notify.outbox import insert_planned
from firebell.org.models import Service, User
from firebell.slack.cards import wanted
from firebell.slack.models import SlackChannelRoute, SlackRouteHealth

# The message purpose (messages/catalogue.py) whose "chat" template words each change.
_TEMPLATE = {"declared": "declared", "updated": "update", "resolved": "resolved"}
# The changes worth a message of their own, and what the message calls them.
TELLING: dict[str, str] = {EventKind.DECLARED: "declared", EventKind.STATUS_UPDATE: "updated",
                           EventKind.RESOLVED: "resolved"}


@dataclass(frozen=True)
class _Outage:
    channel: str
    failing_since: datetime


def _outages(session: Session) -> list[_Outage]:
    return [_Outage(channel, since) for channel, since in session.execute(
        select(SlackRouteHealth.channel_id, SlackRouteHealth.failing_since)
        .where(SlackRouteHealth.failing_since.is_not(None))) if since is not None]


def has_work(session: Session, since: datetime) -> bool:
    """A read first: any route, and any change to tell since `since` (or in a Slack outage)?"""
    if session.execute(select(ChatRoute.name).limit(1)).first() is None:
        return False
    start = _window_start(session, since)
    return session.execute(_telling(start, TimelineEvent.id).limit(1)).first() is not None


def _telling(start: datetime, *columns: Any) -> Any:
    """The changes worth telling since `start`, found through the incidents changed since then
    (ix_incidents_updated, then ix_timeline_incident): the timeline has no index by time alone."""
    changed = select(Incident.id).where(Incident.updated_at >= start)
    return select(*columns).where(TimelineEvent.incident_id.in_(changed), TimelineEvent.type.in_(list(TELLING)),
                                  TimelineEvent.occurred_at >= start)


def _window_start(session: Session, since: datetime) -> datetime:
    """Changes since `since`, and while Slack is out, every change since its failures began: one that
    came before the fallback's delay ran out goes to the fallback once it has."""
    outages = _outages(session) if _fallback_routes(session) else []
    return min([since, *(o.failing_since - EVENT_GRACE for o in outages)])


def _fallback_routes(session: Session) -> list[ChatRoute]:
    return list(session.execute(select(ChatRoute).where(ChatRoute.slack_fallback_after_s.is_not(None))).scalars())


def plan(session: Session, since: datetime, now: datetime) -> int:
    """Outbox rows for the changes since `since` (see the module docstring); how many pages were planned."""
    routes = list(session.execute(select(ChatRoute).order_by(ChatRoute.name)).scalars())
    if not routes:
        return 0
    start = _window_start(session, since)
    events = session.execute(_telling(start, TimelineEvent).order_by(TimelineEvent.id)).scalars().all()
    if not events:
        return 0
    incidents = {i.id: i for i in session.execute(select(Incident).where(
        Incident.id.in_({e.incident_id for e in events}))).scalars()}
    outages = {o.channel: o.failing_since for o in _outages(session)}
    slack_routes = [r for r in session.execute(select(SlackChannelRoute)).scalars() if r.channel_id in outages]
    fallbacks = [r for r in routes if r.slack_fallback_after_s is not None]
    pages: list[Page] = []
    for event in events:
        incident = incidents.get(event.incident_id)
        if incident is None or incident.private:
            continue
        chosen: dict[str, tuple[ChatRoute, str]] = {}
        if event.occurred_at >= since:
            for route in routes:
                if incident.severity in route.severities or set(route.tags) & set(incident.tags or []):
                    chosen.setdefault(route.name, (route, f"chat:{route.name}"))
        for fallback in fallbacks:
            after = timedelta(seconds=fallback.slack_fallback_after_s or 0)
            for slack in slack_routes:
                if wanted(slack, incident) and goes_to_fallback(event.occurred_at, outages[slack.channel_id], now,
                                                                after):
                    label = f"chat:{fallback.name} (fallback for Slack {slack.name or slack.channel_id})"
                    chosen.setdefault(fallback.name, (fallback, label))
        if chosen:
            message = _message(session, incident, event, now)
            pages += [_page(incident, event, route, label, message) for route, label in chosen.values()]
    if pages:
        insert_planned(session, pages, now)
    return len(pages)


def _page(incident: Incident, event: TimelineEvent, route: ChatRoute, label: str, message: dict[str, Any]) -> Page:
    recipient = Recipient(target=label, channel=route.kind, address=route.name, who=f"chat:{route.name}",
                          details=(("url_env", route.url_env),))
    return Page(incident_id=incident.id, recipient=recipient, step_key=f"chat:{event.id}", level=-1, loop=0,
                kind="chat", message=message)


def _message(session: Session, incident: Incident, event: TimelineEvent, now: datetime) -> dict[str, Any]:
    """What the chat card needs (notify/channels/chat_card.py reads it back from the page's details),
    with its words from the purpose's "chat" template (messages/), in the stakeholder messages' values."""
    purpose = TELLING[event.type]
    payload = event.payload or {}
    update = StatusUpdate.from_json(payload) if purpose == "updated" else None
    resolution = str(payload.get("resolution") or "") if purpose == "resolved" else ""
    duration = ""
    if purpose == "resolved" and incident.resolved_at is not None:
        duration = humanize(incident.resolved_at - incident.declared_at)
    extra = stakeholders.message_values(_TEMPLATE[purpose], update, resolution)
    words = render.for_incident(session, _TEMPLATE[purpose], "chat", incident, now, extra=extra)
    return {"incident_id": incident.id, "ref": incident.ref, "title": incident.title, "rendered": asdict(words),
            "severity": incident.severity, "summary": incident.summary or incident.title, "purpose": purpose,
            "status": update.status if update else {"declared": "triggered", "resolved": "resolved"}[purpose],
            "update": update.message if update else resolution, "duration": duration,
            "service": _first(session.execute(select(Service.name).join(
                IncidentService, IncidentService.service_id == Service.id)
                .where(IncidentService.incident_id == incident.id).limit(1)).scalars()),
            "commander": _first(session.execute(select(User.full_name, User.name).join(
                RoleAssignment, RoleAssignment.user_id == User.id)
                .where(RoleAssignment.incident_id == incident.id, RoleAssignment.role == "commander")
                .limit(1)).all(), person=True)}


def _first(found: Iterable[Any], person: bool = False) -> str:
    for row in found:
        return str((row.full_name or row.name) if person else row)
    return ""
