"""The variables a template can use, with what each means: the one list behind `firebell template vars`,
the unknown-variable check of `config validate` (messages/sandbox.py) and the sample context of previews.

Every value is text, a number, a list of texts or a mapping of these, so a template needs no method calls
(the sandbox refuses most of them anyway). Times are UTC ("2026-12-07 10:31 UTC"); durations read
"1h 05m".
"""

from __future__ import annotations

from firebell.messages.catalogue import ESCALATION, PAGE, PURPOSES, RECIPIENT, REPORT, UPDATE

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


def known(purpose: str) -> dict[str, dict[str, str] | str]:
    """Top-level names a purpose's templates may use: each a mapping of its fields, or a description."""
    names: dict[str, dict[str, str] | str] = {"now": TOP["now"], "incident": INCIDENT, "org": ORG, "links": LINKS}
    for group in PURPOSES[purpose].groups:
        names[group] = GROUPS[group]
    return names
