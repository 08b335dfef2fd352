"""REST routes for alerts, explain, maintenance windows, heartbeats and change events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.alerts import heartbeats, maintenance, queries
from firebell.alerts.explain import explain as explain_payload
from firebell.alerts.models import Alert, ChangeEvent, MaintenanceWindow
from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.fields import Instant
from firebell.api.problems import problem_responses
from firebell.core.durations import parse_duration
from firebell.errors import Invalid
from firebell.incidents.queries import find
from firebell.org.models import Service

MAX_OFFSET = 1_000_000  # a page further than this is a cursor's job; beyond a bigint it was a 500 on PostgreSQL

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


def _alert_out(a: Alert, services: dict[str, str], refs: dict[str, str]) -> dict[str, Any]:
    return dict(id=a.id, service=services.get(a.service_id, "?"), format=a.format, status=a.status,
                severity=a.severity, source_severity=a.source_severity, summary=a.summary, source=a.source,
                dedup_key=a.dedup_key, group_key=a.group_key, labels=a.labels, annotations=a.annotations,
                links=a.links, tags=a.tags, incident=refs.get(a.incident_id) if a.incident_id else None,
                held_reason=a.held_reason, flapping=a.flapping, event_count=a.event_count,
                first_seen_at=a.first_seen_at, last_seen_at=a.last_seen_at, acknowledged_at=a.acknowledged_at,
                resolved_at=a.resolved_at)


@router.get("/alerts", response_model=list[AlertOut], summary="Alerts, newest activity first")
def list_alerts(db: DB, actor: CurrentActor, status: Annotated[list[str] | None, Query()] = None,
                service: str | None = None, incident: str | None = None,
                severity: str | None = None,
                q: Annotated[str | None, Query(description="part of the summary or dedup key")] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> list[AlertOut]:
    with db.unit_of_work(write=False) as session:
        where = queries.AlertFilter(statuses=[s for raw in status or [] for s in raw.split(",") if s],
                                    service=service, severity=severity, search=q,
                                    incident_id=find(session, actor, incident).id if incident else None)
        rows = queries.list_alerts(session, actor, where, limit=limit, offset=offset)
        services = queries.service_names(session)
        refs = queries.incident_refs(session, {a.incident_id for a in rows if a.incident_id})
        return [AlertOut(**_alert_out(a, services, refs)) for a in rows]


@router.get("/alerts/{alert_id}", response_model=AlertDetail, summary="One alert with its event history")
def show_alert(alert_id: str, db: DB, actor: CurrentActor) -> AlertDetail:
    with db.unit_of_work(write=False) as session:
        alert = queries.find_alert(session, actor, alert_id)
        history = queries.history(session, alert.id)
        refs = queries.incident_refs(session, {alert.incident_id} if alert.incident_id else set())
        return AlertDetail(**_alert_out(alert, queries.service_names(session), refs), details=alert.details,
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


@router.post("/alerts/explain", response_model=ExplainOut,
             summary="What Firebell would do with a payload, without storing anything")
def explain(body: ExplainIn, db: DB, actor: CurrentActor, now: Now) -> ExplainOut:
    found = explain_payload(db, body.payload, service=body.service, fmt=body.format, now=now())
    return ExplainOut(format=found.format, service=found.service, integration=found.integration,
                      outcomes=[{k: v for k, v in o.__dict__.items() if k != "alert_id"} for o in found.outcomes])


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
    return MaintenanceOut(id=w.id, service=services.get(w.service_id, "?"), name=w.name, origin=w.origin,
                          starts_at=w.starts_at, ends_at=w.ends_at, ended_at=w.ended_at, reason=w.reason,
                          created_by=w.created_by, active=maintenance.is_active(w, now))


@router.post("/maintenance", response_model=MaintenanceOut, status_code=201, summary="Start a maintenance window",
             responses=problem_responses(403))
def start_maintenance(body: MaintenanceIn, db: DB, actor: CurrentActor, now: Now) -> MaintenanceOut:
    at = now()
    with db.unit_of_work() as session:
        window = maintenance.start_window(session, actor, body.service, now=at, duration=body.duration,
                                          starts_at=body.starts_at, ends_at=body.ends_at, reason=body.reason)
        return _window_out(window, {window.service_id: body.service}, at)


@router.get("/maintenance", response_model=list[MaintenanceOut], summary="Current and upcoming windows")
def list_maintenance(db: DB, actor: CurrentActor, now: Now,
                     include_past: Annotated[bool, Query()] = False) -> list[MaintenanceOut]:
    at = now()
    with db.unit_of_work(write=False) as session:
        services = queries.service_names(session)
        return [_window_out(w, services, at) for w in maintenance.windows(session, at, include_past=include_past)]


@router.post("/maintenance/{window_id}/end", response_model=MaintenanceOut, summary="End a window early",
             responses=problem_responses(409))
def end_maintenance(window_id: str, db: DB, actor: CurrentActor, now: Now) -> MaintenanceOut:
    at = now()
    with db.unit_of_work() as session:
        window = maintenance.end_window(session, actor, window_id, now=at)
        return _window_out(window, queries.service_names(session), at)


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


def changes_out(session: Session, changes: list[ChangeEvent]) -> list[ChangeOut]:
    names = queries.service_names(session)
    return [ChangeOut(service=names.get(c.service_id, "?"), summary=c.summary, source=c.source,
                      occurred_at=c.occurred_at, received_at=c.received_at, links=c.links, details=c.details)
            for c in changes]


@router.get("/changes", response_model=list[ChangeOut], summary="Change events (deploys, config changes)")
def list_changes(db: DB, actor: CurrentActor, now: Now, service: str | None = None,
                 since: Instant | None = None) -> list[ChangeOut]:
    with db.unit_of_work(write=False) as session:
        ids = list(session.execute(select(Service.id).where(Service.name == service) if service
                                   else select(Service.id)).scalars())
        return changes_out(session, queries.changes_of(session, ids, since or now() - timedelta(days=1)))


@router.get("/incidents/{ref}/changes", response_model=list[ChangeOut], tags=["incidents"],
            summary="Changes to the incident's services shortly before detection")
def incident_changes(
    ref: str, db: DB, actor: CurrentActor,
    before: Annotated[str, Query(description="how far back from detection")] = "2h",
) -> list[ChangeOut]:
    with db.unit_of_work(write=False) as session:
        incident = find(session, actor, ref)
        try:
            changes = queries.changes_around(session, incident, parse_duration(before))
        except ValueError as exc:  # a duration that does not parse, or reaches out of range
            raise Invalid(f"before: {exc}") from None
        return changes_out(session, changes)
