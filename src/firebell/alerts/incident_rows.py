"""Incident changes made by ingestion: when an alert opens, acknowledges or resolves its incident.

Opening is the alert-driven counterpart of `incidents.service.declare`: the same rows (written by
incidents/rows.py, the incidents domain's driver-level statements) and timeline events, without the
ORM's per-object cost, which dominated ingestion when an alert opened an incident. Acknowledging and
resolving go through incidents/transitions.py, the one writer a person's change uses too; this adds
the group lock and the batch's caches. The engine fences escalations on `incidents.version`, which
every change bumps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firebell.alerts.batch_reads import IncidentRow, forget_all, forget_group, forget_incident, remember_group
from firebell.core.escalation import IncidentFacts
from firebell.core.lifecycle import Action, Status
from firebell.core.timeline.incident import Acknowledged, AlertRef, Declared, Resolved
from firebell.errors import Conflict
from firebell.escalation.service import start as start_escalation
from firebell.incidents import rows, timeline, transitions
from firebell.store.base import new_id
from firebell.store.locks import group_lock
from firebell.store.rawsql import Statement, raw

MAX_TITLE = 500

# An incident's alerts follow it to the status it reached (by ingestion or by a person).
_ALERTS_BY_INCIDENT = {
    Status.ACKNOWLEDGED.value: Statement("""UPDATE alerts SET status = 'acknowledged', acknowledged_at = :now
                                         WHERE incident_id = :id AND status = 'triggered'"""),
    Status.RESOLVED.value: Statement("""UPDATE alerts SET status = 'resolved', resolved_at = :now
                                     WHERE incident_id = :id AND status IN ('triggered', 'acknowledged')"""),
}


def open_incident(session: Session, *, service_id: str, team_id: str, title: str, severity: str, group_key: str,
                  tags: list[str], stages: tuple[str, ...], now: datetime, alert: AlertRef,
                  escalation: dict[str, Any] | None = None) -> IncidentRow:
    """An incident opened by an alert: owned by the service's team, declared by Firebell."""
    if not stages:
        raise Conflict("no lifecycle stages are configured; run `firebell config apply` first")
    incident = IncidentRow(id=new_id(), number=rows.next_number(session), status=Status.TRIGGERED.value,
                           severity=severity, stage=stages[0])
    remember_group(session, service_id, group_key, incident)  # the group's open incident, from now on
    title, tags = title[:MAX_TITLE], sorted(set(tags))
    rows.insert_opened_by_alert(session, incident_id=incident.id, number=incident.number, title=title,
                                severity=severity, stage=incident.stage, service_id=service_id, group_key=group_key,
                                tags=tags, team_id=team_id, now=now)
    timeline.append(session, incident.id, Declared(
        title=title, severity=severity, source="alert", group_key=group_key, alert=alert, stage=incident.stage,
        tags=tags), at=now)
    if escalation is not None:  # the service's policy for this severity, frozen into the incident
        start_escalation(session, incident.id, escalation, IncidentFacts(
            severity=severity, status=Status.TRIGGERED.value, declared_at=now, acknowledged_at=None,
            last_update_at=None, tags=frozenset(tags)), now)
    return incident


def transition(session: Session, incident: IncidentRow, action: Action, stages: tuple[str, ...], now: datetime,
               change: Acknowledged | Resolved, *, service_id: str, group_key: str) -> None:
    """Acknowledge or resolve on Firebell's own account (Conflict when the state machine says no),
    through the same writer as a person's change (incidents/transitions.py)."""
    # No alert may join between this and the commit. A lock taken only now may have waited, and
    # then the batch's other answers may be stale.
    if action is Action.RESOLVE and group_lock(session, service_id, group_key):
        forget_all(session)
    forget_group(session, service_id, group_key)
    outcome = transitions.transition(session, incident, action, change, stages=stages, now=now,
                                     alerts_follow=alerts_follow)
    incident.status = outcome.status
    if outcome.stage is not None:
        incident.stage = outcome.stage


def alerts_follow(session: Session, incident_id: str, status: str, now: datetime) -> None:
    """The incident was acknowledged or resolved, by a person or by ingestion: so are its alerts
    (resolved ones stay closed, so the next trigger with the same key opens a fresh alert)."""
    forget_incident(session, incident_id)  # the incident's alerts change status with it
    db = raw(session)
    db.defer(_ALERTS_BY_INCIDENT[status], {"id": incident_id, "now": db.ts(now)})
