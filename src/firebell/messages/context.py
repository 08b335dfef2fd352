"""The values a template sees (messages/variables.py names them): read from an incident as it is now,
or made up for a preview when no incident is named."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.message_text import clock_text, duration_words, elapsed_text, utc_text
from firebell.core.timeline.catalogue import render
from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.views import KEY_KINDS
from firebell.incidents.models import (
    Incident,
    IncidentRoleDef,
    IncidentService,
    RoleAssignment,
    TimelineEvent,
)
from firebell.messages import variables
from firebell.messages.catalogue import ABOUT_STATUS_PAGE, ESCALATION, PURPOSES, REPORT
from firebell.messages.reference import Reference, reference
from firebell.messages.sandbox import SlackSafe
from firebell.org.models import Service, User

Context = dict[str, Any]


def _cadence_words(seconds: int | None) -> str:
    return duration_words(timedelta(seconds=seconds)) if seconds else ""


def incident_context(session: Session, incident: Incident, now: datetime, public_url: str = "",
                     known: Reference | None = None) -> Context:
    """Every incident variable: three statements (services, roles, the latest update) beside the
    reference data (messages/reference.py)."""
    known = known or reference(session)
    severity_name, every = known.severities.get(incident.severity, ("", None))
    services = list(session.execute(select(Service.name).join(IncidentService, IncidentService.service_id == Service.id)
                                    .where(IncidentService.incident_id == incident.id).order_by(Service.name))
                    .scalars())
    # Columns, not User rows: a User drags its memberships, roles and contact methods along.
    role_rows = session.execute(select(RoleAssignment.role, IncidentRoleDef.title, User.name, User.full_name,
                                       User.slack_user_id)
                                .join(User, User.id == RoleAssignment.user_id)
                                .outerjoin(IncidentRoleDef, IncidentRoleDef.name == RoleAssignment.role)
                                .where(RoleAssignment.incident_id == incident.id)
                                .order_by(RoleAssignment.assigned_at)).all()
    roles = [{"role": role, "title": title or role, "name": full_name or name,
              "mention": SlackSafe(f"<@{slack_id}>") if slack_id else (full_name or name)}
             for role, title, name, full_name, slack_id in role_rows]
    commander = next((r for r in roles if r["role"] == "commander"), None)
    latest = session.execute(select(TimelineEvent.payload, TimelineEvent.occurred_at)
                             .where(TimelineEvent.incident_id == incident.id,
                                    TimelineEvent.type == EventKind.STATUS_UPDATE.value)
                             .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc()).limit(1)).first()
    latest_update = {"status": "", "text": "", "known": "", "doing": "", "at": ""}
    if latest is not None and isinstance(latest[0], dict):
        payload = latest[0]
        latest_update = {"status": str(payload.get("status") or ""), "text": str(payload.get("message") or ""),
                         "known": str(payload.get("known") or ""), "doing": str(payload.get("doing") or ""),
                         "at": utc_text(latest[1])}
    next_due = None
    if incident.resolved_at is None and incident.next_update_at is not None:
        next_due = incident.next_update_at  # as the latest update promised it
    elif every and incident.resolved_at is None:
        next_due = max(incident.declared_at, incident.last_update_at or incident.declared_at) + timedelta(seconds=every)
    end = incident.resolved_at or now
    return {
        "ref": incident.ref, "number": incident.number, "title": incident.title,
        "summary": incident.summary or incident.title, "impact": incident.impact or "",
        "severity": incident.severity, "severity_name": severity_name,
        "status": incident.status, "stage": known.stages.get(incident.stage, incident.stage),
        "private": incident.private, "url": f"{public_url}/incidents/{incident.ref}",
        "services": services, "service": services[0] if services else "", "tags": list(incident.tags or []),
        "commander": commander["name"] if commander else "",
        "commander_mention": commander["mention"] if commander else "",
        "roles": roles,
        "declared_at": utc_text(incident.declared_at), "declared_date": f"{incident.declared_at:%Y-%m-%d}",
        "declared_time": clock_text(incident.declared_at),
        "acknowledged_at": utc_text(incident.acknowledged_at), "resolved_at": utc_text(incident.resolved_at),
        "resolved_time": clock_text(incident.resolved_at),
        "elapsed": elapsed_text(end - incident.declared_at), "duration": duration_words(end - incident.declared_at),
        "update_every": _cadence_words(every), "next_update": f"{clock_text(next_due)} UTC" if next_due else "",
        "latest_update": latest_update,
    }


def organisation_context(known: Reference) -> Context:
    return {"name": known.org_name, "support_contact": known.support_contact}


def key_event_lines(session: Session, incident_id: str) -> list[str]:
    """The incident's key events as '10:31 UTC <sentence>' lines, oldest first (a report's timeline)."""
    rows = session.execute(select(TimelineEvent.type, TimelineEvent.payload, TimelineEvent.actor,
                                  TimelineEvent.occurred_at)
                           .where(TimelineEvent.incident_id == incident_id,
                                  TimelineEvent.type.in_([k.value for k in KEY_KINDS]))
                           .order_by(TimelineEvent.occurred_at, TimelineEvent.id)).all()
    return [f"{clock_text(at)} UTC {render(type_, payload, actor).text}" for type_, payload, actor, at in rows]


def empty_groups(purpose: str) -> Context:
    """Each of the purpose's variable groups with every field empty (the caller fills what it knows)."""
    out: Context = {}
    for group in PURPOSES[purpose].groups:
        out[group] = {name: ([] if name == "timeline" else "") for name in variables.GROUPS[group]}
    return out


def build(session: Session, purpose: str, incident: Incident, now: datetime, *, public_url: str = "",
          extra: Mapping[str, Mapping[str, Any]] | None = None, links: Mapping[str, str] | None = None) -> Context:
    """The whole context for one rendering: incident, organisation, links, now, and the purpose's groups
    (from `extra`, missing fields empty)."""
    context = empty_groups(purpose)
    for group, values in (extra or {}).items():
        if group in context:
            context[group].update({k: v for k, v in values.items() if k in context[group]})
    if REPORT in context and not context[REPORT]["timeline"]:
        context[REPORT]["timeline"] = key_event_lines(session, incident.id)
    incident_url = f"{public_url}/incidents/{incident.ref}"
    known = reference(session)
    incident_values = incident_context(session, incident, now, public_url, known)
    if ESCALATION in context and not context[ESCALATION]["actions"]:  # what was done so far: the latest update
        context[ESCALATION]["actions"] = incident_values["latest_update"]["text"]
    context.update({
        "now": utc_text(now), "incident": incident_values,
        "org": organisation_context(known),
        "links": {"incident": SlackSafe(incident_url), "acknowledge": "", "resolve": ""}
        | {k: SlackSafe(v) for k, v in (links or {}).items()},
    })
    return context


def status_sample(purpose: str, now: datetime, page_name: str = "Example Status") -> Context:
    """A made-up change of a status page, for previews of its subscribers' mail."""
    url = "https://status.example.com"
    maintenance = purpose == "status_subscriber_maintenance"
    return {
        "now": utc_text(now), "page": {"name": page_name, "url": url, "status": "Partial System Outage"},
        "notice": {"event": "scheduled" if maintenance else "updated",
                   "heading": "Scheduled maintenance" if maintenance else "Incident update", "url": url},
        "incident": {
            "name": "Database upgrade" if maintenance else "Elevated API errors",
            "status": "Scheduled" if maintenance else "Identified", "impact": "" if maintenance else "Major",
            "body": "We will upgrade the database." if maintenance else "The cause is found; a fix is rolling out.",
            "scheduled_for": "2026-12-08T02:00:00.000Z" if maintenance else "",
            "scheduled_until": "2026-12-08T04:00:00.000Z" if maintenance else "",
            "affected": [] if maintenance else [{"name": "API", "status": "Partial outage"}],
            "url": f"{url}/incidents/abc123"},
        "component": {"name": "API", "old_status": "Operational", "new_status": "Partial outage"},
        "confirmation": {"url": f"{url}/subscriptions/confirm/sample-token", "hours": 48},
    }


def sample(purpose: str, now: datetime, org_name: str = "Example") -> Context:
    """A made-up P1 for previews when no incident is named: every variable has a plausible value."""
    if PURPOSES[purpose].about == ABOUT_STATUS_PAGE:
        return status_sample(purpose, now)
    declared = now - timedelta(hours=1, minutes=5)
    context = empty_groups(purpose)
    filler = {
        "update": {"status": "Investigating" if purpose == "declared" else "Identified",
                   "known": "a bad deploy of the API gateway",
                   "doing": "rolling back the deploy", "next_update": f"{clock_text(now + timedelta(minutes=15))} UTC",
                   "text": ""},
        "report": {"summary": "The API returned errors for a third of requests.",
                   "impact": "About 30 % of API requests failed.", "root_cause": "A bad deploy of the API gateway.",
                   "resolution": "Rolled back the deploy.", "remediation": "Rolled back the deploy.",
                   "prevention": "Canary deploys for the gateway.", "postmortem_at": "",
                   "timeline": [f"{clock_text(declared)} UTC Alice Example declared the incident"]},
        "recipient": {"name": "Customer Name", "email": "customer@example.com"},
        "page": {"kind": "page", "reason": "level 1 of the sample ladder", "note": ""},
        "escalation": {"actions": "rolled back the last deploy", "help": "a database expert", "to": "L3"},
    }
    for group in context:
        context[group].update(filler.get(group, {}))
    context.update({
        "now": utc_text(now), "org": {"name": org_name, "support_contact": "support@example.com"},
        "links": {"incident": SlackSafe("https://firebell.example/incidents/INC-42"),
                  "acknowledge": SlackSafe("https://firebell.example/act/ack"),
                  "resolve": SlackSafe("https://firebell.example/act/resolve")},
        "incident": {
            "ref": "INC-42", "number": 42, "title": "API error rate above 5 %", "summary": "API error rate above 5 %",
            "impact": "elevated error rates", "severity": "P1", "severity_name": "Critical",
            "status": "acknowledged", "stage": "Investigate", "private": False,
            "url": "https://firebell.example/incidents/INC-42", "services": ["the API"], "service": "the API",
            "tags": ["api"], "commander": "Alice Example", "commander_mention": SlackSafe("<@U0ALICE>"),
            "roles": [{"role": "commander", "title": "Incident Commander", "name": "Alice Example",
                       "mention": SlackSafe("<@U0ALICE>")}],
            "declared_at": utc_text(declared), "declared_date": f"{declared:%Y-%m-%d}",
            "declared_time": clock_text(declared), "acknowledged_at": utc_text(declared + timedelta(minutes=3)),
            "resolved_at": "", "resolved_time": "", "elapsed": "01:05", "duration": "1 hour 5 minutes",
            "update_every": "15 minutes", "next_update": f"{clock_text(now + timedelta(minutes=15))} UTC",
            "latest_update": {"status": "Identified", "text": "", "known": "a bad deploy of the API gateway",
                              "doing": "rolling back the deploy", "at": utc_text(now)},
        },
    })
    return context
