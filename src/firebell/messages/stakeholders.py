"""Telling the stakeholders: an incident declared, each status update, its resolution, each as a new
message to every stakeholder route (docs/stakeholder-updates.md).

The routes are the Slack channels configured with `purpose: stakeholders` (found by the slack domain,
which sits above this one, and handed in) and the stakeholder lists that apply to the incident: the
email addresses of their people, their plain addresses, and their outbound webhooks. Everything goes
through `send.send`, in the caller's transaction, one outbox row per address keyed by the message, so a
retried request or a second engine never sends it twice. A private incident is told to nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.message_text import clock_text
from firebell.core.stakeholder_updates import When, list_applies
from firebell.core.timeline.incident import StatusUpdate
from firebell.incidents.models import Incident, IncidentService
from firebell.messages.models import StakeholderList
from firebell.messages.send import Audience, send
from firebell.notify.outbox import Said
from firebell.org.models import Service, Team, User

DECLARED, UPDATE, RESOLVED = "declared", "update", "resolved"


def resolved_key(at: datetime) -> str:
    """The key of the message that an incident was resolved at `at`: a person's resolution knows the
    instant as its `now`, the job telling Firebell's own (messages/alert_made.py) as the event's time,
    so both name it alike; a later resolution (after a reopen) is another message."""
    return f"resolved:{at.astimezone(UTC).isoformat(timespec='microseconds')}"


def _when(row: StakeholderList) -> When:
    return When(severities=frozenset(row.severities or ()), teams=frozenset(row.teams or ()),
                services=frozenset(row.services or ()))


def list_audiences(session: Session, incident: Incident) -> list[Audience]:
    """The addresses and webhooks of every stakeholder list that applies to the incident."""
    lists = list(session.execute(select(StakeholderList).order_by(StakeholderList.name)).scalars())
    if not lists:
        return []
    team = session.execute(select(Team.name).where(Team.id == incident.team_id)).scalar() if incident.team_id else None
    services = set(session.execute(select(Service.name).join(IncidentService, IncidentService.service_id == Service.id)
                                   .where(IncidentService.incident_id == incident.id)).scalars())
    found: list[Audience] = []
    for row in lists:
        if not list_applies(_when(row), severity=incident.severity, team=team, services=services):
            continue
        emails = list(session.execute(select(User.email).where(User.name.in_(list(row.people or [])),
                                                               User.archived_at.is_(None), User.email != "")
                                      .order_by(User.name)).scalars()) if row.people else []
        for address in [*emails, *(row.addresses or [])]:
            found.append(Audience("email", address.lower(), f"{row.name}: {address.lower()}"))
        for name, hook in sorted((row.webhooks or {}).items()):
            if hook.get("url"):
                found.append(Audience("webhook", str(hook["url"]), f"{row.name}: webhook {name}",
                                      secret_env=str(hook.get("secret_env") or "")))
    return found


def update_values(update: StatusUpdate | None, status: str = "") -> dict[str, dict[str, Any]]:
    """The `update` variables of a message (messages/variables.py)."""
    if update is None:
        return {"update": {"status": status}}
    next_at = datetime.fromisoformat(update.next_update_at) if update.next_update_at else None
    return {"update": {"status": update.status, "known": update.known, "doing": update.doing,
                       "text": update.message, "next_update": f"{clock_text(next_at)} UTC" if next_at else ""}}


def message_values(purpose: str, update: StatusUpdate | None = None,
                   resolution: str = "") -> dict[str, dict[str, Any]]:
    """The `update` (and for a resolution, `report`) variables of a stakeholder message, whoever sends it
    (this module, chat routes, the job that tells what Firebell opened and resolved on its own)."""
    extra = update_values(update, "Resolved" if purpose == RESOLVED else "Investigating")
    if resolution:
        extra["update"]["text"] = resolution
        extra["report"] = {"resolution": resolution}
    return extra


def announce(session: Session, purpose: str, incident: Incident, channels: Sequence[Audience], now: datetime, *,
             key: str, public_url: str = "", update: StatusUpdate | None = None,
             resolution: str = "") -> list[Said]:
    """Queue `purpose` ("declared", "update", "resolved") for the Slack `channels` given and the
    stakeholder lists that apply; nothing for a private incident."""
    if incident.private:
        return []
    audiences = list({(a.channel, a.address): a for a in [*channels, *list_audiences(session, incident)]}.values())
    if not audiences:
        return []
    return send(session, purpose, incident, audiences, now, key=key, public_url=public_url,
                extra=message_values(purpose, update, resolution))

