"""The variables a template can use, with what each means: the one list behind `firebell template vars`,
the unknown-variable check of `config validate` (messages/sandbox.py) and the sample context of previews.

Every value is text, a number, a list of texts or a mapping of these, so a template needs no method calls
(the sandbox refuses most of them anyway). Times are UTC ("2026-12-07 10:31 UTC"); durations read
"1h 05m".
"""

from __future__ import annotations

from firebell.messages.catalogue import (
    COMPONENT,
    CONFIRMATION,
    ESCALATION,
    PAGE,
    PUBLIC_INCIDENT,
    PURPOSES,
    RECIPIENT,
    REPORT,
    UPDATE,
    about_status_page,
)

INCIDENT: dict[str, str] = {
    "ref": "the incident's reference, INC-42",
    "number": "its number, 42",
    "title": "its title",
    "summary": "its summary (the title when there is none)",
    "impact": "who or what is affected, as written on the incident",
    "severity": "its severity key, P1",
    "severity_name": "the severity's name, Critical",
    "status": "triggered, acknowledged or resolved",
    "stage": "its lifecycle stage's title",
    "private": "true for a private incident",
    "url": "its page in the console",
    "services": "the names of its services (a list)",
    "service": "its first service's name (\"\" when none)",
    "tags": "its tags (a list)",
    "commander": "the incident commander's name (\"\" when none)",
    "commander_mention": "the commander as a Slack mention where known, else the name",
    "roles": "a list of {role, title, name, mention}: who holds each incident role",
    "declared_at": "when it was declared",
    "declared_date": "the day it was declared, 2026-12-07",
    "acknowledged_at": "when it was first acknowledged (\"\" before)",
    "resolved_at": "when it was resolved (\"\" before)",
    "declared_time": "the time it was declared, 10:31",
    "resolved_time": "the time it was resolved, 11:36 (\"\" before)",
    "elapsed": "how long it has been open, as HH:MM (to its resolution, or now)",
    "duration": "the same in words: 1 hour 5 minutes",
    "update_every": "the severity's update cadence, \"15 minutes\" (\"\" when it has none)",
    "next_update": "when the next update is due, 10:45 UTC: as the latest update promised, else by the cadence",
    "latest_update": "the latest status update: {status, known, doing, text, at} (empty texts before the first)",
}
ORG: dict[str, str] = {
    "name": "the organisation's name",
    "support_contact": "where customers ask questions (organisation.support_contact)",
}
GROUPS: dict[str, dict[str, str]] = {
    PAGE: {
        "kind": "page, manual or trigger",
        "reason": "why this person is paged (\"level 1 of api-ladder\")",
        "note": "a note from whoever paged by hand",
    },
    UPDATE: {
        "status": "Investigating, Identified, Monitoring or Resolved",
        "known": "what we know",
        "doing": "what we are doing",
        "next_update": "when the next update comes, 10:45 UTC",
        "text": "free text",
    },
    REPORT: {
        "summary": "what happened",
        "impact": "how customers were affected",
        "root_cause": "what caused it",
        "resolution": "how it was fixed",
        "remediation": "what was done to fix it",
        "prevention": "what is done to prevent a recurrence",
        "postmortem_at": "when the post-mortem meets (\"\" when not scheduled)",
        "timeline": "the key events, one line each (\"10:31 UTC Alice declared the incident\")",
    },
    RECIPIENT: {
        "name": "the recipient's name (\"Dear ...\")",
        "email": "the recipient's address",
    },
    ESCALATION: {
        "actions": "actions taken so far",
        "help": "the help needed",
        "to": "who is asked",
    },
}
LINKS: dict[str, str] = {
    "incident": "the incident's page",
    "acknowledge": "a one-click acknowledge link (pages only)",
    "resolve": "a one-click resolve link (pages only)",
}
TOP: dict[str, str] = {"now": "the time of rendering", "incident": "the incident (below)",
                       "org": "the organisation (below)", "links": "links (below)"}


# A status page subscriber's mail sees only what the public page shows (no internal incident).
STATUS_PAGE: dict[str, str] = {
    "name": "the status page's name",
    "url": "the status page's address",
    "status": "its overall status after the change, All Systems Operational or Partial System Outage",
}
STATUS_NOTICE: dict[str, str] = {
    "event": "created, updated, resolved, scheduled, rescheduled, started, completed or status_changed",
    "heading": "the event in words: New incident, Incident update, Resolved, Scheduled maintenance, "
               "Maintenance rescheduled, Maintenance in progress, Maintenance completed",
    "url": "where to read more: the status page",
}
STATUS_GROUPS: dict[str, dict[str, str]] = {
    PUBLIC_INCIDENT: {
        "name": "the public incident's (or maintenance's) name",
        "status": "its status in words: Investigating, Identified, Monitoring, Resolved, Scheduled, In progress",
        "impact": "its impact in words, Major (\"\" for none and for maintenance)",
        "body": "the latest update's words (3,000 characters at most)",
        "scheduled_for": "a maintenance's start, 2026-12-07T10:00:00.000Z (\"\" for an incident)",
        "scheduled_until": "a maintenance's end (\"\" when open)",
        "affected": "the components the latest update changed: a list of {name, status}",
        "url": "its own page on the status page",
    },
    COMPONENT: {
        "name": "the component's name",
        "old_status": "its status before, in words: Operational",
        "new_status": "its status now, in words: Partial outage",
    },
    CONFIRMATION: {
        "url": "the link that confirms the subscription",
        "hours": "how many hours the link works",
    },
}


def known(purpose: str) -> dict[str, dict[str, str] | str]:
    """Top-level names a purpose's templates may use: each a mapping of its fields, or a description."""
    if about_status_page(purpose):
        status: dict[str, dict[str, str] | str] = {"now": TOP["now"], "page": STATUS_PAGE, "notice": STATUS_NOTICE}
        return status | {group: STATUS_GROUPS[group] for group in PURPOSES[purpose].groups}
    names: dict[str, dict[str, str] | str] = {"now": TOP["now"], "incident": INCIDENT, "org": ORG, "links": LINKS}
    for group in PURPOSES[purpose].groups:
        names[group] = GROUPS[group]
    return names
