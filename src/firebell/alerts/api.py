"""REST routes for alerts, explain, maintenance windows, heartbeats and change events."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts import heartbeats
from firebell.alerts.endpoints import find_integration
from firebell.alerts.models import Alert, AlertEvent, ChangeEvent, Integration, MaintenanceWindow
from firebell.alerts.service import Outcome, ingest
from firebell.alerts.snapshot import IntegrationInfo
from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.fields import Instant
from firebell.api.problems import problem_responses
from firebell.core.access import can_declare
from firebell.core.durations import parse_duration
from firebell.core.events import AlertEvent as Event
from firebell.core.formats import PayloadError
from firebell.core.formats.alertmanager import parse_message
from firebell.core.formats.pagerduty import parse_event
from firebell.core.formats.webhook import parse_webhook
from firebell.core.instants import shifted
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.incidents.models import Incident
from firebell.incidents.queries import find, visible_to
from firebell.org.models import Service

router = APIRouter(prefix="/api/v1", tags=["alerts"], responses=problem_responses(401, 404, 422))


class AlertOut(BaseModel):
    id: str
    service: str
    format: str
    status: str
    severity: str
    source_severity: str
    summary: str
    source: str
    dedup_key: str
    group_key: str
    labels: dict[str, str]
    annotations: dict[str, str]
    links: list[dict[str, str]]
    tags: list[str]
    incident: str | None
    held_reason: str | None
    flapping: bool
    event_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class AlertEventOut(BaseModel):
    action: str
    outcome: str
    received_at: datetime
    payload: Any


class AlertDetail(AlertOut):
    details: Any
    last_payload: Any
    history: list[AlertEventOut]


def _service_names(session: Session) -> dict[str, str]:
    return {sid: name for sid, name in session.execute(select(Service.id, Service.name))}


def _incident_refs(session: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {i: f"INC-{n}" for i, n in session.execute(select(Incident.id, Incident.number).where(Incident.id.in_(ids)))}


def _alert_out(a: Alert, services: dict[str, str], refs: dict[str, str]) -> dict[str, Any]:
    return dict(id=a.id, service=services.get(a.service_id, "?"), format=a.format, status=a.status,
                severity=a.severity, source_severity=a.source_severity, summary=a.summary, source=a.source,
                dedup_key=a.dedup_key, group_key=a.group_key, labels=a.labels, annotations=a.annotations,
                links=a.links, tags=a.tags, incident=refs.get(a.incident_id) if a.incident_id else None,
                held_reason=a.held_reason, flapping=a.flapping, event_count=a.event_count,
                first_seen_at=a.first_seen_at, last_seen_at=a.last_seen_at, acknowledged_at=a.acknowledged_at,
                resolved_at=a.resolved_at)


def _alert_visible(actor: Actor) -> ColumnElement[bool]:
    """Alerts of a private incident are as hidden as the incident itself."""
    if actor.is_admin:
        return true()
    return or_(Alert.incident_id.is_(None), Alert.incident_id.in_(select(Incident.id).where(visible_to(actor))))


@router.get("/alerts", response_model=list[AlertOut], summary="Alerts, newest activity first")
def list_alerts(db: DB, actor: CurrentActor, status: Annotated[list[str] | None, Query()] = None,
                service: str | None = None, incident: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[AlertOut]:
    with db.unit_of_work(write=False) as session:
        query = select(Alert).where(_alert_visible(actor))
        if status:
            query = query.where(Alert.status.in_([s for raw in status for s in raw.split(",")]))
        if service:
            query = query.where(Alert.service_id.in_(select(Service.id).where(Service.name == service)))
        if incident:
            query = query.where(Alert.incident_id == find(session, actor, incident).id)
        rows = session.execute(query.order_by(Alert.last_seen_at.desc()).limit(limit)).scalars().all()
        services = _service_names(session)
        refs = _incident_refs(session, {a.incident_id for a in rows if a.incident_id})
        return [AlertOut(**_alert_out(a, services, refs)) for a in rows]


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="One alert with its event history")
def show_alert(alert_id: str, db: DB, actor: CurrentActor) -> AlertDetail:
    with db.unit_of_work(write=False) as session:
        try:
            alert = session.get(Alert, str(uuid.UUID(alert_id)))
        except ValueError:
            alert = None
        if alert is None or not session.execute(select(_alert_visible(actor)).where(Alert.id == alert.id)).scalar():
            raise NotFound(f"alert {alert_id} not found")
        history = session.execute(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                                  .order_by(AlertEvent.id)).scalars().all()
        refs = _incident_refs(session, {alert.incident_id} if alert.incident_id else set())
        return AlertDetail(**_alert_out(alert, _service_names(session), refs), details=alert.details,
                           last_payload=alert.last_payload,
                           history=[AlertEventOut(action=h.action, outcome=h.outcome, received_at=h.received_at,
                                                  payload=h.payload) for h in history])


class ExplainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: Any = Field(description="The body exactly as the monitoring tool sends it")
    service: str | None = Field(default=None, description="Service whose integration would receive it "
                                                            "(not needed for PagerDuty events: the routing_key says)")
    format: str | None = Field(default=None, description="pagerduty, alertmanager, grafana or webhook; "
                                                           "detected when absent")


class ExplainOut(BaseModel):
    format: str
    service: str
    integration: str
    outcomes: list[dict[str, Any]]


def detect_format(payload: Any) -> str:
    if isinstance(payload, dict):
        if "routing_key" in payload or "event_action" in payload:
            return "pagerduty"
        if isinstance(payload.get("alerts"), list):
            return "grafana" if str(payload.get("version")) == "1" or "orgId" in payload else "alertmanager"
    return "webhook"


def _explain_integration(session: Session, body: ExplainIn, fmt: str) -> Integration | IntegrationInfo:
    if fmt == "pagerduty" and isinstance(body.payload, dict) and body.service is None:
        found = find_integration(session, str(body.payload.get("routing_key") or ""), ("pagerduty",))
        if found is None:
            raise Invalid("the routing_key matches no PagerDuty integration; name a --service to explain against")
        return found
    if body.service is None:
        raise Invalid(f"this looks like a {fmt} payload; name the service whose integration receives it")
    service = session.execute(select(Service).where(Service.name == body.service,
                                                    Service.archived_at.is_(None))).scalar_one_or_none()
    if service is None:
        raise Invalid(f"unknown service {body.service!r}")
    integration = session.execute(select(Integration).where(
        Integration.service_id == service.id, Integration.type == fmt, Integration.archived_at.is_(None))
        .order_by(Integration.name).limit(1)).scalar_one_or_none()
    if integration is None:
        raise Invalid(f"service {body.service} has no {fmt} integration")
    return integration


def _parse(fmt: str, payload: Any, integration: Integration | IntegrationInfo) -> list[Event]:
    if fmt == "pagerduty":
        return [parse_event(payload, generated_dedup_key="(generated on receipt)")[1]]
    if fmt in ("alertmanager", "grafana"):
        return parse_message(payload, flavour=fmt)
    return [parse_webhook(payload, (integration.settings or {}).get("mapping") or {"summary": "summary"})]


@router.post("/alerts/explain", response_model=ExplainOut,
             summary="What Firebell would do with a payload, without storing anything")
def explain(body: ExplainIn, db: DB, actor: CurrentActor, now: Now) -> ExplainOut:
    fmt = body.format or detect_format(body.payload)
    if fmt not in ("pagerduty", "alertmanager", "grafana", "webhook"):
        raise Invalid(f"unknown format {fmt!r}")
    # The real ingestion code runs inside a transaction that is rolled back, so the answer is
    # exactly what would happen (alerts of one message grouping together included) and nothing stays.
    with db.unit_of_work(write=True) as session:
        integration = _explain_integration(session, body, fmt)
        try:
            events = _parse(fmt, body.payload, integration)
        except PayloadError as exc:
            raise Invalid(f"{exc.message}: {'; '.join(exc.errors)}") from None
        outcomes: list[Outcome] = ingest(session, integration, events, now(), raw=body.payload)
        service = session.get(Service, integration.service_id)
        service_name, integration_name = (service.name if service else "?"), integration.name
        session.rollback()
    return ExplainOut(format=fmt, service=service_name, integration=integration_name,
                      outcomes=[{k: v for k, v in o.__dict__.items() if k != "alert_id"} for o in outcomes])


class MaintenanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str
    duration: str | None = Field(default=None, description="e.g. 2h; or give ends_at")
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    reason: str = ""


class MaintenanceOut(BaseModel):
    id: str
    service: str
    name: str | None
    origin: str
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    reason: str
    created_by: str
    active: bool


def _window_out(w: MaintenanceWindow, services: dict[str, str], now: datetime) -> MaintenanceOut:
    active = w.starts_at <= now < w.ends_at and w.ended_at is None
    return MaintenanceOut(id=w.id, service=services.get(w.service_id, "?"), name=w.name, origin=w.origin,
                          starts_at=w.starts_at, ends_at=w.ends_at, ended_at=w.ended_at, reason=w.reason,
                          created_by=w.created_by, active=active)


def _may_manage(actor: Actor, service: Service) -> None:
    if not can_declare(actor.principal, service.team_id):
        raise Forbidden(f"only {service.name}'s team or an admin can put it in maintenance")


@router.post("/maintenance", response_model=MaintenanceOut, status_code=201, summary="Start a maintenance window",
             responses=problem_responses(403))
def start_maintenance(body: MaintenanceIn, db: DB, actor: CurrentActor, now: Now) -> MaintenanceOut:
    at = now()
    starts = body.starts_at or at
    if body.duration and body.ends_at:
        raise Invalid("give either duration or ends_at, not both")
    try:
        ends = body.ends_at or (shifted(starts, parse_duration(body.duration)) if body.duration else None)
    except ValueError as exc:
        raise Invalid(f"duration: {exc}") from None
    if ends is None:
        raise Invalid("give a duration (e.g. 2h) or ends_at")
    if ends <= starts or ends <= at:
        raise Invalid("the window must end after it starts and in the future")
    with db.unit_of_work() as session:
        service = session.execute(select(Service).where(Service.name == body.service,
                                                        Service.archived_at.is_(None))).scalar_one_or_none()
        if service is None:
            raise Invalid(f"unknown service {body.service!r}")
        _may_manage(actor, service)
        window = MaintenanceWindow(service_id=service.id, origin="adhoc", starts_at=starts, ends_at=ends,
                                   reason=body.reason.strip(), created_by=actor.label)
        session.add(window)
        session.flush()
        return _window_out(window, {service.id: service.name}, at)


@router.get("/maintenance", response_model=list[MaintenanceOut], summary="Current and upcoming windows")
def list_maintenance(db: DB, actor: CurrentActor, now: Now,
                     include_past: Annotated[bool, Query()] = False) -> list[MaintenanceOut]:
    at = now()
    with db.unit_of_work(write=False) as session:
        query = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at)
        if not include_past:
            query = query.where(MaintenanceWindow.ends_at > at, MaintenanceWindow.ended_at.is_(None))
        services = _service_names(session)
        return [_window_out(w, services, at) for w in session.execute(query).scalars()]


@router.post("/maintenance/{window_id}/end", response_model=MaintenanceOut, summary="End a window early",
             responses=problem_responses(409))
def end_maintenance(window_id: str, db: DB, actor: CurrentActor, now: Now) -> MaintenanceOut:
    at = now()
    with db.unit_of_work() as session:
        window = session.get(MaintenanceWindow, window_id)
        if window is None:
            raise NotFound(f"maintenance window {window_id} not found")
        service = session.get(Service, window.service_id)
        assert service is not None
        _may_manage(actor, service)
        if window.ended_at is not None or window.ends_at <= at:
            raise Conflict("that maintenance window is already over")
        window.ended_at = at
        return _window_out(window, {service.id: service.name}, at)


class HeartbeatOut(BaseModel):
    service: str
    name: str
    status: str
    interval_seconds: int
    grace_seconds: int
    last_beat_at: datetime | None
    overdue_at: datetime | None


@router.get("/heartbeats", response_model=list[HeartbeatOut], summary="Heartbeat monitors and their state")
def list_heartbeats(db: DB, actor: CurrentActor) -> list[HeartbeatOut]:
    with db.unit_of_work(write=False) as session:
        return [HeartbeatOut(service=s.name, name=i.name, status=h.status if h else "waiting",
                             interval_seconds=int((i.settings or {}).get("interval_s", 0)),
                             grace_seconds=int((i.settings or {}).get("grace_s", 0)),
                             last_beat_at=h.last_beat_at if h else None, overdue_at=h.overdue_at if h else None)
                for i, s, h in heartbeats.list_heartbeats(session)]


class ChangeOut(BaseModel):
    service: str
    summary: str
    source: str
    occurred_at: datetime
    received_at: datetime
    links: list[dict[str, str]]
    details: Any


def changes_for(session: Session, service_ids: list[str], since: datetime, until: datetime | None) -> list[ChangeOut]:
    query = select(ChangeEvent).where(ChangeEvent.service_id.in_(service_ids), ChangeEvent.occurred_at >= since)
    if until is not None:
        query = query.where(ChangeEvent.occurred_at <= until)
    names = _service_names(session)
    return [ChangeOut(service=names.get(c.service_id, "?"), summary=c.summary, source=c.source,
                      occurred_at=c.occurred_at, received_at=c.received_at, links=c.links, details=c.details)
            for c in session.execute(query.order_by(ChangeEvent.occurred_at.desc()).limit(200)).scalars()]


@router.get("/changes", response_model=list[ChangeOut], summary="Change events (deploys, config changes)")
def list_changes(db: DB, actor: CurrentActor, now: Now, service: str | None = None,
                 since: Instant | None = None) -> list[ChangeOut]:
    with db.unit_of_work(write=False) as session:
        ids = list(session.execute(select(Service.id).where(Service.name == service) if service
                                   else select(Service.id)).scalars())
        return changes_for(session, ids, since or now() - timedelta(days=1), None)


@router.get("/incidents/{ref}/changes", response_model=list[ChangeOut], tags=["incidents"],
            summary="Changes to the incident's services shortly before detection")
def incident_changes(
    ref: str, db: DB, actor: CurrentActor,
    before: Annotated[str, Query(description="how far back from detection")] = "2h",
) -> list[ChangeOut]:
    with db.unit_of_work(write=False) as session:
        incident = find(session, actor, ref)
        try:
            since = shifted(incident.declared_at, -parse_duration(before))
        except ValueError as exc:
            raise Invalid(f"before: {exc}") from None
        ids = [s.service_id for s in incident.services]
        return changes_for(session, ids, since, incident.resolved_at)
