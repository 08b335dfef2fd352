"""Incident changes made by ingestion after an incident is open: acknowledging or resolving it
when its alerts say so, and carrying any incident's status to its alerts.

The transition itself is incidents/transitions.py, the one writer a person's change uses too; this
adds the alert group's lock and the batch's caches. The engine fences escalations on
`incidents.version`, which every change bumps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from firebell.alerts.batch_reads import IncidentRow, forget_all, forget_group, forget_incident
from firebell.core.lifecycle import Action, Status
from firebell.core.timeline.incident import Acknowledged, Resolved
from firebell.incidents import transitions
from firebell.store.locks import group_lock
from firebell.store.rawsql import Statement, raw

# An incident's alerts follow it to the status it reached (by ingestion or by a person).
_ALERTS_BY_INCIDENT = {
    Status.ACKNOWLEDGED.value: Statement("""UPDATE alerts SET status = 'acknowledged', acknowledged_at = :now
                                         WHERE incident_id = :id AND status = 'triggered'"""),
    Status.RESOLVED.value: Statement("""UPDATE alerts SET status = 'resolved', resolved_at = :now
                                     WHERE incident_id = :id AND status IN ('triggered', 'acknowledged')"""),
}


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
