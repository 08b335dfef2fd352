"""What an organisation gets when its configuration leaves a section out.

The severity targets are the OPS1 playbook's matrix (MTTA/MTTR per level, a 15/30 minute update
cadence for P1/P2, post-mortems for P1/P2 within 24 h). They are written in the same shape as the
YAML so that the defaults are validated by exactly the rules a user's own section would be.

Some defaults fill in a single field rather than a section: a severity's `urgency` and a user's
`quiet_hours`.
"""

from __future__ import annotations

from typing import Any

SEVERITIES: list[dict[str, Any]] = [
    {
        "key": "P1",
        "name": "Critical",
        "description": "Cross-tenant data leak, production outage for more than 5% of customers, "
                       "or a security breach involving personal data.",
        "acknowledge_within": "5m",
        "recover_within": "30m",
        "update_every": "15m",
        "urgency": "high",
        "external_comms_required": True,
        "external_comms": ["status-page", "ceo-email"],
        "postmortem_required": True,
        "postmortem_due": "24h",
    },
    {
        "key": "P2",
        "name": "High",
        "description": "Single-tenant outage or a critical feature degraded, with no data loss.",
        "acknowledge_within": "10m",
        "recover_within": "2h",
        "update_every": "30m",
        "urgency": "high",
        # OPS1: status page only once the incident has lasted over an hour, so not mandatory.
        "external_comms_required": False,
        "external_comms": ["status-page"],
        "postmortem_required": True,
        "postmortem_due": "24h",
    },
    {
        "key": "P3",
        "name": "Medium",
        "description": "Non-critical bug or degraded performance; a workaround exists.",
        "acknowledge_within": "60m",
        "recover_within": "24h",
        "urgency": "low",
    },
    {
        "key": "P4",
        "name": "Low",
        "description": "Informational, or a monitoring false positive.",
        "urgency": "low",
    },
]

# A severity's urgency decides how its pages reach people (users' notification_rules): high ones
# ring phones at any hour, low ones wait for the end of a person's quiet hours. OPS1's ladders page
# the primary within 5 (P1) and 10 (P2) minutes, while P3+ is "handled next business day". A
# severity that leaves urgency out gets its key's urgency below; other keys are high for the two
# most severe levels (by rank, the list order) and low for the rest.
URGENCY_BY_KEY: dict[str, str] = {"P1": "high", "P2": "high", "P3": "low", "P4": "low"}
HIGH_URGENCY_RANKS = 2


def urgency_for(key: str, rank: int) -> str:
    """The urgency of a severity that does not give one (rank 0 is the most severe)."""
    return URGENCY_BY_KEY.get(key, "high" if rank < HIGH_URGENCY_RANKS else "low")


# A user's night, wall-clock in their own zone, when a low-urgency page does not ring their phone
# (SMS, voice) unless they opt in with phone_low_urgency.
QUIET_HOURS: dict[str, Any] = {"start": "22:00", "end": "07:00", "phone_low_urgency": False}

INCIDENT_ROLES: list[dict[str, Any]] = [
    {
        "name": "commander",
        "title": "Incident Commander",
        "description": "Owns the incident: sets priorities, assigns work and decides when it is over.",
    },
    {
        "name": "communications_lead",
        "title": "Communications Lead",
        "description": "Posts stakeholder and status page updates on the severity's cadence.",
    },
    {
        "name": "technical_lead",
        "title": "Technical Lead",
        "description": "Leads the investigation and the fix.",
    },
]

# OPS1's DA-CER lifecycle.
LIFECYCLE_STAGES: list[dict[str, Any]] = [
    {"name": "detect", "title": "Detect", "description": "An alert fires or someone reports a problem."},
    {"name": "acknowledge", "title": "Acknowledge", "description": "The on-call engineer takes it."},
    {"name": "contain", "title": "Contain",
     "description": "Stop the bleeding: roll back a deploy, disable a feature flag."},
    {"name": "communicate", "title": "Communicate",
     "description": "Update the status page, the incident channel and, for P1, customers."},
    {"name": "eradicate", "title": "Eradicate",
     "description": "The permanent fix: patch, scale infrastructure, correct configuration."},
    {"name": "recover", "title": "Recover", "description": "Validate the SLO and run smoke tests."},
    {"name": "review", "title": "Review", "description": "Root-cause analysis and follow-up actions."},
]
