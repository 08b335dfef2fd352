"""Ingestion use cases: turn parsed events into alert rows, history and incident changes.

For each event: route it, read the open state, let `core.ingest.decide` choose, then write the
alert, its history row and any incident change in the caller's transaction. The endpoint answers
2xx only after that transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.alerts import snapshot
from firebell.alerts.models import Alert, AlertEvent, Integration, MaintenanceWindow
from firebell.core.events import AlertEvent as Event
from firebell.core.events import EventAction, excerpt
from firebell.core.ingest import (
    AlertOp,
    Decision,
    IncidentOp,
    OpenAlert,
    OpenIncident,
    OpenState,
    decide,
    group_key_for,
    map_severity,
)
from firebell.core.lifecycle import Action
from firebell.core.routing import route
from firebell.errors import Invalid
from firebell.incidents.models import Incident
from firebell.incidents.service import append_event, apply_transition, open_from_alert
from firebell.store.locks import advisory_lock, group_lock

HISTORY_RETENTION = timedelta(days=30)
MAX_HISTORY_PER_ALERT = 500


@dataclass
class Outcome:
    """What happened to one event: the answer to `alerts explain` and the log of the live path."""

    format: str
    action: str
    service: str
    dedup_key: str
    group_key: str
    severity: str
    alert_op: str
    incident_op: str
    incident: str | None = None
    alert_id: str | None = None
    held_reason: str | None = None
    flapping: bool = False
    routing: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """An event with its routing and decision, ready to be written (or shown, for explain)."""

    event: Event
    service: snapshot.ServiceInfo
    decision: Decision
    tags: tuple[str, ...]
    state: OpenState
    open_alert: Alert | None
    incident: Incident | None
    routing: list[str]


def _maintenance(session: Session, service_id: str, now: datetime) -> str | None:
    window = session.execute(
        select(MaintenanceWindow).where(
            MaintenanceWindow.service_id == service_id, MaintenanceWindow.starts_at <= now,
            MaintenanceWindow.ends_at > now, MaintenanceWindow.ended_at.is_(None))
        .order_by(MaintenanceWindow.ends_at.desc()).limit(1)
    ).scalar_one_or_none()
    if window is None:
        return None
    label = window.name or window.reason or "ad hoc"
    return f"window {label!r} until {window.ends_at:%Y-%m-%d %H:%M} UTC"


def plan_event(session: Session, config: snapshot.IngestConfig, service_id: str, event: Event, now: datetime, *,
               lock: bool) -> Plan:
    home = config.services_by_id.get(service_id)
    if home is None:
        raise Invalid("the integration's service is archived")
    attrs = event.attributes() | {"@service": home.name}
    routed = route(config.rules, attrs, home.name)
    service = config.services_by_name.get(routed.service)
    if service is None:
        raise Invalid(f"routing sent the alert to unknown service {routed.service!r}")
    if lock:
        # Events for the same alert from concurrent requests take turns.
        advisory_lock(session, service.id, event.dedup_key)
    open_alert = session.execute(
        select(Alert).where(Alert.service_id == service.id, Alert.dedup_key == event.dedup_key,
                            Alert.status != "resolved")
    ).scalar_one_or_none()
    if open_alert is not None and event.action is not EventAction.TRIGGER:
        # Acknowledge and resolve events often carry no severity; they act on the alert as it is.
        severity, severity_why = open_alert.severity, "the open alert's severity"
    else:
        severity, severity_why = map_severity(service.policy, event, attrs, routed.severity or event.fixed_severity)
    group_key = group_key_for(service.policy, event)
    # Read only what the decision can use: the group's incident, maintenance and flapping history
    # matter only to a trigger that may open or join an incident; the count of other open alerts
    # only to a resolve. A re-fire of an attached alert (the common case) skips all of them.
    may_page = event.action is EventAction.TRIGGER and (open_alert is None or open_alert.incident_id is None)
    group_incident = None
    if may_page:
        if lock:
            group_lock(session, service.id, group_key)
        group_incident = session.execute(
            select(Incident).where(Incident.origin_service_id == service.id, Incident.group_key == group_key,
                                   Incident.status != "resolved").order_by(Incident.number.desc()).limit(1)
        ).scalar_one_or_none()
    incident = group_incident
    alert_state = None
    other_open = 0
    if lock and open_alert is not None and open_alert.incident_id and event.action is EventAction.RESOLVE:
        # A resolve may close the incident: it must not interleave with a trigger joining the same
        # group, or the newcomer would end up open inside a resolved incident. The alert's stored
        # group key is the incident's (a bare resolve event may not carry the labels to derive it).
        group_lock(session, service.id, open_alert.group_key)
    if open_alert is not None:
        alert_incident = session.get(Incident, open_alert.incident_id) if open_alert.incident_id else None
        alert_state = OpenAlert(status=open_alert.status, last_event_hash=open_alert.last_event_hash,
                                incident_id=open_alert.incident_id,
                                incident_status=alert_incident.status if alert_incident else None)
        if alert_incident is not None:
            incident = alert_incident
            if event.action is EventAction.RESOLVE:
                other_open = session.execute(
                    select(func.count()).select_from(Alert).where(
                        Alert.incident_id == alert_incident.id, Alert.status != "resolved",
                        Alert.id != open_alert.id)
                ).scalar_one()
    recent: list[datetime] = []
    if may_page and open_alert is None:
        window_start = now - service.policy.flapping_window
        recent = list(session.execute(
            select(Alert.first_seen_at).where(Alert.service_id == service.id, Alert.dedup_key == event.dedup_key,
                                              Alert.first_seen_at >= window_start)
        ).scalars())
    state = OpenState(
        alert=alert_state,
        group_incident=OpenIncident(id=group_incident.id, ref=group_incident.ref, status=group_incident.status,
                                    severity=group_incident.severity) if group_incident else None,
        other_open_alerts=other_open, recent_fires=recent,
        maintenance=_maintenance(session, service.id, now) if may_page else None,
    )
    decision = decide(event, service.policy, state, now, severity=severity, severity_reason=severity_why,
                      suppressed_by=routed.suppressed_by)
    return Plan(event=event, service=service, decision=decision, tags=routed.tags, state=state,
                open_alert=open_alert, incident=incident, routing=routed.explanation)


def outcome_of(plan: Plan, *, alert_id: str | None = None, incident_ref: str | None = None) -> Outcome:
    d = plan.decision
    ref = incident_ref or (plan.incident.ref if plan.incident is not None and d.incident_op is not IncidentOp.NONE
                           else None)
    return Outcome(format=plan.event.format, action=plan.event.action.value, service=plan.service.name,
                   dedup_key=plan.event.dedup_key, group_key=d.group_key, severity=d.severity,
                   alert_op=d.alert_op.value, incident_op=d.incident_op.value, incident=ref, alert_id=alert_id,
                   held_reason=d.held_reason, flapping=d.flapping, routing=plan.routing, reasons=d.reasons)


def ingest(session: Session, integration: Integration, events: list[Event], now: datetime,
           raw: Any = None) -> list[Outcome]:
    config = snapshot.current(session)
    return [_write(session, plan_event(session, config, integration.service_id, event, now, lock=True),
                   integration, now, raw) for event in events]


def _alert_payload(plan: Plan) -> dict[str, Any]:
    e = plan.event
    return {"dedup_key": e.dedup_key, "summary": e.summary, "source": e.source, "severity": plan.decision.severity,
            "format": e.format}


def _write(session: Session, plan: Plan, integration: Integration, now: datetime, raw: Any) -> Outcome:
    d, e = plan.decision, plan.event
    alert = plan.open_alert
    if d.alert_op is AlertOp.DROP:
        return outcome_of(plan)
    stored_payload = excerpt(raw)  # serialised once; kept on the alert and in its history
    if d.alert_op is AlertOp.CREATE:
        alert = Alert(service_id=plan.service.id, integration_id=integration.id, format=e.format,
                      dedup_key=e.dedup_key, group_key=d.group_key, status="triggered", severity=d.severity,
                      source_severity=e.source_severity, summary=e.summary, source=e.source, labels=e.labels,
                      annotations=e.annotations, links=e.links, details=e.details, tags=list(plan.tags),
                      last_payload=stored_payload, last_event_hash=e.content_hash(), event_count=1,
                      first_seen_at=now, last_seen_at=now, flapping=d.flapping, held_reason=d.held_reason)
        session.add(alert)
        session.flush()
    assert alert is not None
    if d.alert_op is not AlertOp.CREATE:
        alert.last_seen_at = now
        if d.alert_op is not AlertOp.DUPLICATE:
            alert.event_count += 1
            alert.last_event_hash = e.content_hash()
            alert.last_payload = stored_payload
            if e.summary:
                alert.summary, alert.labels, alert.annotations = e.summary, e.labels, e.annotations
            if e.action.value == "trigger":
                alert.severity, alert.details, alert.links = d.severity, e.details, e.links
        if d.alert_op is AlertOp.ACKNOWLEDGE:
            alert.status, alert.acknowledged_at = "acknowledged", now
        elif d.alert_op is AlertOp.RESOLVE:
            alert.status, alert.resolved_at = "resolved", now
    session.add(AlertEvent(alert_id=alert.id, action=e.action.value if d.alert_op is not AlertOp.DUPLICATE
                           else "duplicate", outcome="; ".join(d.reasons)[:300], received_at=now,
                           payload=stored_payload))
    incident = _apply_incident(session, plan, alert, now)
    if d.held_reason and d.alert_op in (AlertOp.CREATE, AlertOp.UPDATE):
        alert.held_reason = d.held_reason
    return outcome_of(plan, alert_id=alert.id, incident_ref=incident.ref if incident else None)


def _apply_incident(session: Session, plan: Plan, alert: Alert, now: datetime) -> Incident | None:
    d = plan.decision
    payload = _alert_payload(plan) | {"alert_id": alert.id}
    if d.incident_op is IncidentOp.OPEN:
        incident = open_from_alert(session, service_id=plan.service.id, team_id=plan.service.team_id,
                                   title=plan.event.summary or plan.event.dedup_key, severity=d.severity,
                                   group_key=d.group_key, tags=list(plan.tags), now=now, alert=payload)
        alert.incident_id, alert.held_reason = incident.id, None
        append_event(session, incident, "alert_attached", None, payload, now)
        return incident
    if plan.incident is None:
        return None
    incident = plan.incident
    if d.incident_op is IncidentOp.JOIN:
        alert.incident_id, alert.held_reason = incident.id, None
        append_event(session, incident, "alert_attached", None, payload | {"flapping": d.flapping}, now)
        if d.raise_incident_severity:
            append_event(session, incident, "severity_changed", None, {
                "from": incident.severity, "to": d.severity, "reason": f"alert {plan.event.dedup_key} is {d.severity}"},
                now)
            incident.severity = d.severity
        incident.updated_at, incident.version = now, incident.version + 1
    elif d.alert_op is AlertOp.UPDATE and alert.incident_id == incident.id:
        append_event(session, incident, "alert_refired", None, payload, now)
    elif d.incident_op is IncidentOp.ACKNOWLEDGE:
        apply_transition(session, incident, Action.ACKNOWLEDGE, None, now,
                         {"via": plan.event.format, "alert": plan.event.dedup_key})
    elif d.alert_op is AlertOp.RESOLVE and alert.incident_id == incident.id:
        append_event(session, incident, "alert_resolved", None, payload, now)
        if d.incident_op is IncidentOp.RESOLVE:
            apply_transition(session, incident, Action.RESOLVE, None, now,
                             {"resolution": "all alerts resolved", "automatic": True})
        elif d.incident_op is IncidentOp.HOLD:
            append_event(session, incident, "note_added", None, {
                "text": f"All alerts resolved; {plan.service.name} does not auto-resolve, so a person must "
                        "confirm recovery and resolve."}, now)
    return incident


def prune_history(session: Session, now: datetime) -> int:
    """Drop alert history older than the retention period; returns rows removed."""
    from sqlalchemy import delete

    result = session.execute(delete(AlertEvent).where(AlertEvent.received_at < now - HISTORY_RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)
