"""Ingestion use cases: turn parsed events into alert rows, history and incident changes.

For each event: route it, read the open state, let `core.ingest.decide` choose, then write the
alert, its history row and any incident change in the caller's transaction. The endpoint answers
2xx only after that transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from firebell.alerts import batch_reads, incident_rows, rows, snapshot
from firebell.alerts.models import AlertEvent
from firebell.core.escalation import IncidentFacts
from firebell.core.events import AlertEvent as Event
from firebell.core.events import EventAction, excerpt_with_json
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
from firebell.core.lifecycle import Action, Status
from firebell.core.routing import RoutingResult, route
from firebell.core.timeline.incident import Acknowledged, AlertRef, Declared, NoteAdded, Resolved, SeverityChanged
from firebell.core.timeline.paging import AlertAttached, AlertRefired, AlertResolved
from firebell.errors import Conflict, Invalid
from firebell.escalation.engine import start as start_escalation
from firebell.incidents import rows as incident_table
from firebell.incidents import timeline
from firebell.store.base import new_id
from firebell.store.locks import advisory_lock, group_lock, group_lock_name
from firebell.store.rawsql import JsonText
from firebell.store.txcache import per_transaction

T = TypeVar("T")

MAX_TITLE = 500
HISTORY_RETENTION = timedelta(days=30)
MAX_HISTORY_PER_ALERT = 500
_ROUTED_KEY = "ingest_routed"


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


class HasService(Protocol):
    """What ingestion needs of an integration (the ORM row or the cached snapshot of it)."""

    @property
    def id(self) -> str: ...

    @property
    def service_id(self) -> str: ...


@dataclass
class Plan:
    """An event with its routing and decision, ready to be written (or shown, for explain)."""

    event: Event
    service: snapshot.ServiceInfo
    decision: Decision
    tags: tuple[str, ...]
    state: OpenState
    open_alert: batch_reads.AlertRow | None
    incident: batch_reads.IncidentRow | None
    routing: list[str]
    stages: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Routed:
    event: Event
    config: snapshot.IngestConfig
    attrs: dict[str, str]
    routed: RoutingResult
    service: snapshot.ServiceInfo | None
    group_key: str | None


def _route(session: Session, config: snapshot.IngestConfig, home: snapshot.ServiceInfo, event: Event) -> _Routed:
    """Where `event` goes under `config`: worked out once per transaction, for naming its locks and
    then for deciding (both did it; it was a tenth of a big message's time)."""
    seen: dict[int, _Routed] = per_transaction(session, _ROUTED_KEY, dict)
    found = seen.get(id(event))
    if found is not None and found.event is event and found.config is config:
        return found
    attrs = event.attributes() | {"@service": home.name}
    routed = route(config.rules, attrs, home.name)
    service = config.services_by_name.get(routed.service)
    found = seen[id(event)] = _Routed(event, config, attrs, routed, service,
                                      group_key_for(service.policy, event) if service is not None else None)
    return found


def plan_event(session: Session, config: snapshot.IngestConfig, service_id: str, event: Event, now: datetime, *,
               lock: bool) -> Plan:
    home = config.services_by_id.get(service_id)
    if home is None:
        raise Invalid("the integration's service is archived")
    where = _route(session, config, home, event)
    attrs, routed, service = where.attrs, where.routed, where.service
    if service is None:
        raise Invalid(f"routing sent the alert to unknown service {routed.service!r}")
    # Events for the same alert from concurrent requests take turns. A lock the batch did not take
    # up front may have waited: what the batch read may be stale.
    if lock and advisory_lock(session, service.id, event.dedup_key):
        batch_reads.forget_all(session)
    resolving = event.action is EventAction.RESOLVE  # may close the incident: counts its other open alerts
    open_alert = batch_reads.open_alert(session, service.id, event.dedup_key, counted=resolving)
    if open_alert is not None and event.action is not EventAction.TRIGGER:
        # Acknowledge and resolve events often carry no severity; they act on the alert as it is.
        severity, severity_why = open_alert.severity, "the open alert's severity"
    else:
        severity, severity_why = map_severity(service.policy, event, attrs, routed.severity or event.fixed_severity)
    group_key = where.group_key
    assert group_key is not None
    # Read only what the decision can use: the group's incident, maintenance and flapping history
    # matter only to a trigger that may open or join an incident; the count of other open alerts
    # only to a resolve. A re-fire of an attached alert (the common case) skips all of them.
    may_page = event.action is EventAction.TRIGGER and (open_alert is None or open_alert.incident_id is None)
    paging = None
    if may_page:
        if lock and group_lock(session, service.id, group_key):
            batch_reads.forget_all(session)  # read before the lock was ours
        fires_of = event.dedup_key if open_alert is None else None
        since = now - service.policy.flapping_window
        paging = (batch_reads.paging_context(session, service.id, group_key, fires_of, since, now)
                  or rows.paging_context(session, service.id, group_key, fires_of, since, now))
    group_incident = paging.group_incident if paging is not None else None
    incident = group_incident
    alert_state = None
    another_open = False
    # A resolve may close the incident: it must not interleave with a trigger joining the same
    # group, or the newcomer would end up open inside a resolved incident. The alert's stored group
    # key is the incident's (a bare resolve event may not carry the labels to derive it). The lock
    # may have waited for another transaction, so the alert and its incident are read again.
    if (lock and open_alert is not None and open_alert.incident_id and resolving
            and group_lock(session, service.id, open_alert.group_key)):
        batch_reads.forget_all(session)  # what was read before the wait may be stale
        open_alert = batch_reads.open_alert(session, service.id, event.dedup_key, counted=True)
    if open_alert is not None:
        alert_incident = open_alert.incident
        alert_state = OpenAlert(status=open_alert.status, last_event_hash=open_alert.last_event_hash,
                                incident_id=open_alert.incident_id,
                                incident_status=alert_incident.status if alert_incident else None)
        if alert_incident is not None:
            incident = alert_incident
            if resolving:
                another_open = bool(open_alert.another_open)
    state = OpenState(
        alert=alert_state,
        group_incident=OpenIncident(id=group_incident.id, ref=group_incident.ref, status=group_incident.status,
                                    severity=group_incident.severity) if group_incident else None,
        another_open_alert=another_open, recent_fires=paging.recent_fires if paging is not None else [],
        maintenance=paging.maintenance if paging is not None else None,
    )
    decision = decide(event, service.policy, state, now, severity=severity, severity_reason=severity_why,
                      suppressed_by=routed.suppressed_by)
    return Plan(event=event, service=service, decision=decision, tags=routed.tags, state=state,
                open_alert=open_alert, incident=incident, routing=routed.explanation, stages=config.stages)


def lock_names(session: Session, integration: HasService | None, events: list[Event],
               now: datetime) -> list[tuple[str, ...]]:
    """The locks `ingest` will take for these events, so a batch can take them all up front in one
    sorted round trip, and what they will read, announced so the batch reads it once, with the
    locks (`batch_reads`). A guess for events whose stored alert has another group key; ingest takes
    any lock it finds missing itself, and reads again what was read without it."""
    if integration is None:
        return []
    config = snapshot.assumed(session)
    home = config.services_by_id.get(integration.service_id)
    if home is None:
        return []
    names: list[tuple[str, ...]] = []
    for event in events:
        where = _route(session, config, home, event)
        service, group_key = where.service, where.group_key
        if service is None or group_key is None:
            continue
        names += [(service.id, event.dedup_key), group_lock_name(service.id, group_key)]
        trigger = event.action is EventAction.TRIGGER
        batch_reads.announce(session, service.id, event.dedup_key, counted=event.action is EventAction.RESOLVE,
                             paging=(group_key, now - service.policy.flapping_window, now) if trigger else None)
    return names


def outcome_of(plan: Plan, *, alert_id: str | None = None, incident_ref: str | None = None) -> Outcome:
    d = plan.decision
    ref = incident_ref or (plan.incident.ref if plan.incident is not None and d.incident_op is not IncidentOp.NONE
                           else None)
    return Outcome(format=plan.event.format, action=plan.event.action.value, service=plan.service.name,
                   dedup_key=plan.event.dedup_key, group_key=d.group_key, severity=d.severity,
                   alert_op=d.alert_op.value, incident_op=d.incident_op.value, incident=ref, alert_id=alert_id,
                   held_reason=d.held_reason, flapping=d.flapping, routing=plan.routing, reasons=d.reasons)


def ingest(session: Session, integration: HasService, events: list[Event], now: datetime,
           raw: Any = None, *, payloads: list[tuple[Any, str]] | None = None) -> list[Outcome]:
    """Route, decide and write `events`. Their alerts and history keep an excerpt of what the
    sender sent: `payloads[i]` for `events[i]` (excerpt and its JSON text, made once per request),
    else the excerpt of `raw` for all of them."""
    config = snapshot.current(session)
    if payloads is None:
        payloads = [excerpt_with_json(raw)] * len(events)
    return [_write(session, plan_event(session, config, integration.service_id, event, now, lock=True),
                   integration, now, JsonText(*payload)) for event, payload in zip(events, payloads, strict=True)]


def _alert_ref(plan: Plan, alert_id: str) -> AlertRef:
    e = plan.event
    return AlertRef(dedup_key=e.dedup_key, summary=e.summary, source=e.source, severity=plan.decision.severity,
                    format=e.format, alert_id=alert_id)


def _open_incident(session: Session, *, service_id: str, team_id: str, title: str, severity: str, group_key: str,
                   tags: list[str], stages: tuple[str, ...], now: datetime, alert: AlertRef,
                   escalation: dict[str, Any] | None = None) -> batch_reads.IncidentRow:
    """An incident opened by an alert: owned by the service's team, declared by Firebell, and paged
    through the service's policy for its severity. The alert-driven counterpart of
    `incidents.service.declare`: the same rows (incidents/rows.py) and timeline event, without the
    ORM's per-object cost, which dominated ingestion when an alert opened an incident."""
    if not stages:
        raise Conflict("no lifecycle stages are configured; run `firebell config apply` first")
    incident = batch_reads.IncidentRow(id=new_id(), number=incident_table.next_number(session),
                                       status=Status.TRIGGERED.value, severity=severity, stage=stages[0])
    batch_reads.remember_group(session, service_id, group_key, incident)  # the group's open incident, from now on
    title, tags = title[:MAX_TITLE], sorted(set(tags))
    incident_table.insert_opened_by_alert(
        session, incident_id=incident.id, number=incident.number, title=title, severity=severity, stage=incident.stage,
        service_id=service_id, group_key=group_key, tags=tags, team_id=team_id, now=now)
    timeline.append(session, incident.id, Declared(
        title=title, severity=severity, source="alert", group_key=group_key, alert=alert, stage=incident.stage,
        tags=tags), at=now)
    if escalation is not None:  # the service's policy for this severity, frozen into the incident
        start_escalation(session, incident.id, escalation, IncidentFacts(
            severity=severity, status=Status.TRIGGERED.value, declared_at=now, acknowledged_at=None,
            last_update_at=None, tags=frozenset(tags)), now)
    return incident


def _write(session: Session, plan: Plan, integration: HasService, now: datetime, stored_payload: JsonText) -> Outcome:
    d, e = plan.decision, plan.event
    if d.alert_op is AlertOp.DROP:
        return outcome_of(plan)
    alert = plan.open_alert
    alert_id = alert.id if alert is not None else new_id()
    about = _alert_ref(plan, alert_id)
    incident_ref: str | None = None
    # Where the alert belongs after this event: a new incident is inserted first, so the alert row
    # can point at it when it is written.
    incident_id = alert.incident_id if alert is not None else None
    held_reason = d.held_reason
    if d.incident_op is IncidentOp.OPEN:
        opened = _open_incident(
            session, service_id=plan.service.id, team_id=plan.service.team_id, title=e.summary or e.dedup_key,
            severity=d.severity, group_key=d.group_key, tags=list(plan.tags), stages=plan.stages, now=now,
            alert=about, escalation=plan.service.escalations.get(d.severity))
        incident_id, incident_ref, held_reason = opened.id, opened.ref, None
    elif d.incident_op is IncidentOp.JOIN and plan.incident is not None:
        incident_id, held_reason = plan.incident.id, None
    if alert is None:
        rows.insert_alert(session, {
            "id": alert_id, "service_id": plan.service.id, "integration_id": integration.id, "format": e.format,
            "dedup_key": e.dedup_key, "group_key": d.group_key, "status": "triggered", "severity": d.severity,
            "source_severity": e.source_severity, "summary": e.summary, "source": e.source, "labels": e.labels,
            "annotations": e.annotations, "links": e.links, "details": e.details, "tags": list(plan.tags),
            "last_payload": stored_payload, "last_event_hash": e.content_hash(), "event_count": 1,
            "first_seen_at": now, "last_seen_at": now, "incident_id": incident_id, "flapping": d.flapping,
            "held_reason": held_reason})
    else:
        rows.update_alert(session, (plan.service.id, e.dedup_key), alert.id,
                          _alert_changes(plan, stored_payload, incident_id, held_reason, now),
                          incident_id=alert.incident_id)
    rows.add_history(session, alert_id, e.action.value if d.alert_op is not AlertOp.DUPLICATE else "duplicate",
                     "; ".join(d.reasons), now, stored_payload)
    ref = _apply_incident(session, plan, about, incident_id, now)
    return outcome_of(plan, alert_id=alert_id, incident_ref=incident_ref or ref)


def _alert_changes(plan: Plan, stored_payload: Any, incident_id: str | None, held_reason: str | None,
                   now: datetime) -> dict[str, Any]:
    d, e, alert = plan.decision, plan.event, plan.open_alert
    assert alert is not None
    changes: dict[str, Any] = {"last_seen_at": now}
    if d.alert_op is not AlertOp.DUPLICATE:
        changes |= {"event_count": alert.event_count + 1, "last_event_hash": e.content_hash(),
                    "last_payload": stored_payload}
        if e.summary:
            changes |= {"summary": e.summary, "labels": e.labels, "annotations": e.annotations}
        if e.action is EventAction.TRIGGER:
            changes |= {"severity": d.severity, "details": e.details, "links": e.links}
    if d.alert_op is AlertOp.ACKNOWLEDGE:
        changes |= {"status": "acknowledged", "acknowledged_at": now}
    elif d.alert_op is AlertOp.RESOLVE:
        changes |= {"status": "resolved", "resolved_at": now}
    if incident_id != alert.incident_id:
        changes |= {"incident_id": incident_id, "held_reason": None}
    elif held_reason and d.alert_op is AlertOp.UPDATE:
        changes["held_reason"] = held_reason
    return changes


def _apply_incident(session: Session, plan: Plan, about: AlertRef, alert_incident_id: str | None,
                    now: datetime) -> str | None:
    """Record the event on the incident the alert belongs to; the incident's ref, if any."""
    d = plan.decision
    if d.incident_op is IncidentOp.OPEN:
        assert alert_incident_id is not None
        timeline.append(session, alert_incident_id, AlertAttached.of(about), at=now)
        return None
    incident = plan.incident
    if incident is None:
        return None
    if d.incident_op is IncidentOp.JOIN:
        timeline.append(session, incident.id, AlertAttached.of(about, flapping=d.flapping), at=now)
        raised = None
        if d.raise_incident_severity:
            timeline.append(session, incident.id, SeverityChanged(
                from_=incident.severity, to=d.severity, reason=f"alert {plan.event.dedup_key} is {d.severity}"), at=now)
            raised = d.severity
        rows.join_incident(session, incident.id, raised, now)
    elif d.alert_op is AlertOp.UPDATE and alert_incident_id == incident.id:
        timeline.append(session, incident.id, AlertRefired.of(about), at=now)
    elif d.incident_op is IncidentOp.ACKNOWLEDGE:
        incident_rows.transition(session, incident, Action.ACKNOWLEDGE, plan.stages, now,
                                 Acknowledged(via=plan.event.format, alert=plan.event.dedup_key),
                                 service_id=plan.service.id, group_key=d.group_key)
    elif d.alert_op is AlertOp.RESOLVE and alert_incident_id == incident.id:
        timeline.append(session, incident.id, AlertResolved.of(about), at=now)
        if d.incident_op is IncidentOp.RESOLVE:
            incident_rows.transition(session, incident, Action.RESOLVE, plan.stages, now,
                                     Resolved(resolution="all alerts resolved", automatic=True),
                                     service_id=plan.service.id, group_key=d.group_key)
        elif d.incident_op is IncidentOp.HOLD:
            timeline.append(session, incident.id, NoteAdded(
                text=f"All alerts resolved; {plan.service.name} does not auto-resolve, so a person must "
                     "confirm recovery and resolve."), at=now)
    return incident.ref


def prune_history(session: Session, now: datetime) -> int:
    """Drop alert history older than the retention period; returns rows removed."""
    from sqlalchemy import delete

    result = session.execute(delete(AlertEvent).where(AlertEvent.received_at < now - HISTORY_RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)
