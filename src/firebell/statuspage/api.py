"""The comms lead's status page API, under /api/v1/status-page (admins and the page's editors):
set a component's status, open, update and resolve a public incident, schedule a maintenance.
Answers are the public v2 objects, plus a draft's flag; each handler is one unit of work around
statuspage/service.py and maintenance.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.problems import problem_responses
from firebell.core.statuspage.rollup import ComponentStatus, Impact
from firebell.core.statuspage.states import IncidentStatus, MaintenanceStatus
from firebell.statuspage import maintenance, resolutions, service
from firebell.statuspage.models import PublicIncident, PublicIncidentUpdate
from firebell.statuspage.public import public_documents
from firebell.statuspage.v1_schemas import Instant, Text  # no NUL; a time with its offset, held in UTC
from firebell.statuspage.wire import component_object, incident_object

_BASE = "/api/v1/status-page"
router = APIRouter(tags=["status page"], responses=problem_responses(401, 403, 404, 409, 422))
ComponentStatusName = Literal["operational", "degraded_performance", "partial_outage", "major_outage",
                              "under_maintenance"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ComponentStatusIn(_Input):
    status: ComponentStatusName


class IncidentIn(_Input):
    name: Text = Field(max_length=service.MAX_NAME)
    status: Literal["investigating", "identified", "monitoring"] = "investigating"
    body: Text = Field(default="", max_length=service.MAX_BODY)
    impact: Literal["none", "minor", "major", "critical"] | None = None
    components: dict[Text, ComponentStatusName] = Field(default_factory=dict,
                                                       description="component id or name -> its status now")
    incidents: list[Text] = Field(default_factory=list, description="internal incidents it speaks for (INC-7)")
    draft: bool = False
    deliver_notifications: bool = True


class UpdateIn(_Input):
    status: Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
    body: Text = Field(default="", max_length=service.MAX_BODY)
    impact: Literal["none", "minor", "major", "critical"] | None = None
    components: dict[Text, ComponentStatusName] = Field(default_factory=dict)
    incidents: list[Text] = Field(default_factory=list)
    publish: bool = False
    deliver_notifications: bool = True


class ResolveIn(_Input):
    body: Text = Field(default="", max_length=service.MAX_BODY)


class MaintenanceIn(_Input):
    name: Text = Field(max_length=service.MAX_NAME)
    body: Text = Field(default="", max_length=service.MAX_BODY)
    scheduled_for: Instant
    scheduled_until: Instant
    components: list[Text] = Field(default_factory=list)
    auto_start: bool = True
    auto_complete: bool = True


class MaintenanceWindowIn(_Input):
    scheduled_for: Instant
    scheduled_until: Instant
    body: Text = Field(default="", max_length=service.MAX_BODY)


class MaintenanceMoveIn(_Input):
    status: Literal["in_progress", "verifying", "completed"]
    body: Text = Field(default="", max_length=service.MAX_BODY)


def _incident_out(session: Session, public: PublicIncident) -> dict[str, Any]:
    page = service.page(session)
    objects = {row.id: component_object(row, page.id) for row in service.components(session)}
    updates = session.scalars(select(PublicIncidentUpdate).where(PublicIncidentUpdate.public_incident_id == public.id)
                              .order_by(PublicIncidentUpdate.created_at.desc()))
    proposal = resolutions.waiting(session, public.id)
    waiting = {"body": proposal.body, "proposed_at": proposal.proposed_at.isoformat()} if proposal else None
    return incident_object(public, list(updates), page, objects) | {"draft": public.draft,
                                                                     "proposed_resolution": waiting}


def _statuses(given: Mapping[str, str]) -> dict[str, ComponentStatus]:
    return {ref: ComponentStatus(status) for ref, status in given.items()}


@router.get(f"{_BASE}/components", summary="Every component and group, as the public sees them")
def list_components(db: DB, actor: CurrentActor, now: Now) -> list[dict[str, Any]]:
    with db.unit_of_work(write=False) as session:
        service.require_editor(session, actor)
        documents = public_documents(session, now())
        return list(documents["summary"]["components"]) if documents else []


@router.put(f"{_BASE}/components/{{ref}}", summary="Set a component's status (by id or name)")
def set_component(ref: str, body: ComponentStatusIn, db: DB, actor: CurrentActor, now: Now) -> dict[str, Any]:
    with db.unit_of_work() as session:
        row = service.set_component_status(session, actor, ref, ComponentStatus(body.status), now())
        return component_object(row, service.page(session).id)


@router.get(f"{_BASE}/incidents", summary="Public incidents and maintenances, drafts included, newest first")
def list_incidents(db: DB, actor: CurrentActor) -> list[dict[str, Any]]:
    with db.unit_of_work(write=False) as session:
        service.require_editor(session, actor)
        rows = session.scalars(select(PublicIncident).order_by(PublicIncident.created_at.desc()).limit(50))
        return [_incident_out(session, row) for row in rows]


@router.post(f"{_BASE}/incidents", status_code=201, summary="Open a public incident (a draft waits to be published)")
def open_incident(body: IncidentIn, db: DB, actor: CurrentActor, now: Now) -> dict[str, Any]:
    change = service.IncidentChange(IncidentStatus(body.status), body.body, _statuses(body.components),
                                    body.deliver_notifications, Impact(body.impact) if body.impact else None)
    with db.unit_of_work() as session:
        public = service.open_incident(session, actor, body.name, change, now(), incidents=body.incidents,
                                       draft=body.draft)
        return _incident_out(session, public)


@router.post(f"{_BASE}/incidents/{{public_id}}/updates", summary="Post an update (publish: show a draft)")
def update_incident(public_id: str, body: UpdateIn, db: DB, actor: CurrentActor, now: Now) -> dict[str, Any]:
    change = service.IncidentChange(IncidentStatus(body.status), body.body, _statuses(body.components),
                                    body.deliver_notifications, Impact(body.impact) if body.impact else None)
    with db.unit_of_work() as session:
        public = service.update_incident(session, actor, public_id, change, now(), publish=body.publish,
                                         link=body.incidents)
        return _incident_out(session, public)


@router.post(f"{_BASE}/incidents/{{public_id}}/resolve",
             summary="Resolve: its components go back to operational; without a body, the proposed resolved words")
def resolve_incident(public_id: str, db: DB, actor: CurrentActor, now: Now,
                     body: ResolveIn | None = None) -> dict[str, Any]:
    with db.unit_of_work() as session:
        public = resolutions.resolve(session, actor, public_id, now(), body=body.body if body else "")
        return _incident_out(session, public)


@router.post(f"{_BASE}/maintenances", status_code=201,
             summary="Schedule a maintenance; it starts and completes on time")
def schedule_maintenance(body: MaintenanceIn, db: DB, actor: CurrentActor, now: Now) -> dict[str, Any]:
    with db.unit_of_work() as session:
        public = maintenance.schedule(session, actor, body.name, body.body, body.scheduled_for, body.scheduled_until,
                                      body.components, now(), auto_start=body.auto_start,
                                      auto_complete=body.auto_complete)
        return _incident_out(session, public)


@router.post(f"{_BASE}/maintenances/{{public_id}}/status", summary="Move a maintenance by hand")
def move_maintenance(public_id: str, body: MaintenanceMoveIn, db: DB, actor: CurrentActor,
                     now: Now) -> dict[str, Any]:
    with db.unit_of_work() as session:
        public = maintenance.move(session, actor, public_id, MaintenanceStatus(body.status), now(), body.body)
        return _incident_out(session, public)


@router.post(f"{_BASE}/maintenances/{{public_id}}/reschedule",
             summary="Move a maintenance's window; its alert maintenance windows move with it")
def reschedule_maintenance(public_id: str, body: MaintenanceWindowIn, db: DB, actor: CurrentActor,
                           now: Now) -> dict[str, Any]:
    with db.unit_of_work() as session:
        public = maintenance.reschedule(session, actor, public_id, body.scheduled_for, body.scheduled_until, now(),
                                        body.body)
        return _incident_out(session, public)
