"""Incident routes under /api/v1/incidents. Each handler is one unit of work around one use case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy.orm import Session

from firebell.api.deps import DB, CurrentActor, Effects, Now
from firebell.api.fields import Instant
from firebell.api.problems import problem_responses
from firebell.errors import Invalid
from firebell.incidents import queries, reference, service
from firebell.incidents.models import Incident
from firebell.incidents.schemas import (
    DeclareIn,
    DetailsIn,
    EscalateIn,
    IncidentOut,
    IncidentPage,
    MemberIn,
    NoteIn,
    ReassignIn,
    ReopenIn,
    ResolveIn,
    RoleIn,
    SeverityIn,
    StageIn,
    TimelineOut,
    UpdateIn,
    event_out,
    incident_out,
)
from firebell.store.uow import Database

_PREFIX = "/api/v1/incidents"
_reads = APIRouter(prefix=_PREFIX, tags=["incidents"], responses=problem_responses(401, 404, 422))
# Changes can also be refused to the token (403) or in the incident's state (409).
_changes = APIRouter(prefix=_PREFIX, tags=["incidents"], responses=problem_responses(401, 403, 404, 409, 422))


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


@_reads.get("", response_model=IncidentPage, summary="List incidents you may see, newest first")
def list_incidents(
    db: DB, actor: CurrentActor, now: Now,
    status_: Annotated[list[str] | None, Query(alias="status")] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    service_: Annotated[list[str] | None, Query(alias="service")] = None,
    team: Annotated[list[str] | None, Query()] = None,
    since: Instant | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
) -> IncidentPage:
    statuses = _split(status_)
    bad = [s for s in statuses if s not in ("triggered", "acknowledged", "resolved")]
    if bad:
        raise Invalid(f"unknown status {bad[0]!r}; use triggered, acknowledged or resolved")
    f = queries.IncidentFilter(statuses=statuses, severities=_split(severity), services=_split(service_),
                               teams=_split(team), since=since, cursor=cursor, limit=limit)
    with db.unit_of_work(write=False) as session:
        rows, next_cursor = queries.list_incidents(session, actor, f)
        return IncidentPage(items=incident_out(session, rows, now()), next_cursor=next_cursor)


def _run(db: Database, now: Callable[[], datetime],
         use_case: Callable[[Session, datetime], Incident]) -> IncidentOut:
    with db.unit_of_work() as session:
        at = now()
        incident = use_case(session, at)
        session.flush()
        return incident_out(session, [incident], at)[0]


@_changes.post("", response_model=IncidentOut, status_code=status.HTTP_201_CREATED, summary="Declare an incident")
def declare(body: DeclareIn, db: DB, actor: CurrentActor, now: Now, effects: Effects) -> IncidentOut:
    d = service.Declaration(**body.model_dump())
    return _run(db, now, lambda s, at: service.declare(s, actor, d, at, effects=effects))


@_reads.get("/{ref}", response_model=IncidentOut, summary="One incident with its SLA clock")
def show(ref: str, db: DB, actor: CurrentActor, now: Now) -> IncidentOut:
    with db.unit_of_work(write=False) as session:
        return incident_out(session, [queries.find(session, actor, ref)], now())[0]


@_reads.get("/{ref}/timeline", response_model=TimelineOut, summary="The append-only timeline")
def timeline(ref: str, db: DB, actor: CurrentActor) -> TimelineOut:
    with db.unit_of_work(write=False) as session:
        incident, events, people = service.timeline(session, actor, ref)
        stages = reference.vocabulary(session).stage_titles
        return TimelineOut(incident=incident.ref, events=[event_out(e, people, stages) for e in events])


@_changes.post("/{ref}/acknowledge", response_model=IncidentOut, summary="Acknowledge (stops paging)")
def acknowledge(ref: str, db: DB, actor: CurrentActor, now: Now, effects: Effects) -> IncidentOut:
    return _run(db, now, lambda s, at: service.acknowledge(s, actor, ref, at, effects=effects))


@_changes.post("/{ref}/escalate", response_model=IncidentOut,
             summary="Page the next escalation level now (or a named level), even when acknowledged")
def escalate(ref: str, db: DB, actor: CurrentActor, now: Now, effects: Effects,
             body: EscalateIn | None = None) -> IncidentOut:
    body = body or EscalateIn()

    def use_case(session: Session, at: datetime) -> Incident:
        effects.escalate(session, actor, ref, body.level, at, help_needed=body.help_needed,
                         actions_taken=body.actions_taken)
        return queries.find(session, actor, ref)

    return _run(db, now, use_case)


@_changes.post("/{ref}/reassign", response_model=IncidentOut,
             summary="Hand the incident to a person or another escalation policy, paged now")
def reassign(ref: str, body: ReassignIn, db: DB, actor: CurrentActor, now: Now, effects: Effects) -> IncidentOut:
    def use_case(session: Session, at: datetime) -> Incident:
        effects.reassign(session, actor, ref, user=body.user, policy=body.policy, now=at)
        return queries.find(session, actor, ref)

    return _run(db, now, use_case)


@_changes.post("/{ref}/resolve", response_model=IncidentOut, summary="Resolve")
def resolve(ref: str, db: DB, actor: CurrentActor, now: Now, effects: Effects,
            body: ResolveIn | None = None) -> IncidentOut:
    resolution = body.resolution if body else ""
    return _run(db, now, lambda s, at: service.resolve(s, actor, ref, at, resolution, effects=effects))


@_changes.post("/{ref}/reopen", response_model=IncidentOut, summary="Reopen a resolved incident")
def reopen(ref: str, db: DB, actor: CurrentActor, now: Now, effects: Effects,
           body: ReopenIn | None = None) -> IncidentOut:
    reason = body.reason if body else ""
    return _run(db, now, lambda s, at: service.reopen(s, actor, ref, at, reason, effects=effects))


@_changes.post("/{ref}/notes", response_model=IncidentOut, summary="Add a note to the timeline")
def note(ref: str, body: NoteIn, db: DB, actor: CurrentActor, now: Now) -> IncidentOut:
    return _run(db, now, lambda s, at: service.add_note(s, actor, ref, body.text, at))


@_changes.post("/{ref}/updates", response_model=IncidentOut,
               summary="Post a status update (on the timeline and to the stakeholder routes)")
def post_update(ref: str, body: UpdateIn, db: DB, actor: CurrentActor, now: Now, effects: Effects) -> IncidentOut:
    return _run(db, now, lambda s, at: service.post_update(s, actor, ref, body.update(), at, effects=effects))


@_changes.post("/{ref}/severity", response_model=IncidentOut, summary="Change severity (reason required)")
def severity(ref: str, body: SeverityIn, db: DB, actor: CurrentActor, now: Now, effects: Effects) -> IncidentOut:
    return _run(db, now, lambda s, at: service.change_severity(s, actor, ref, body.severity, body.reason, at,
                                                               effects=effects))


@_changes.post("/{ref}/stage", response_model=IncidentOut, summary="Move to a lifecycle stage")
def stage(ref: str, body: StageIn, db: DB, actor: CurrentActor, now: Now) -> IncidentOut:
    return _run(db, now, lambda s, at: service.change_stage(s, actor, ref, body.stage, at))


@_changes.post("/{ref}/roles", response_model=IncidentOut, summary="Assign or clear an incident role")
def role(ref: str, body: RoleIn, db: DB, actor: CurrentActor, now: Now) -> IncidentOut:
    return _run(db, now, lambda s, at: service.assign_role(s, actor, ref, body.role, body.user, at))


@_changes.post("/{ref}/responders", response_model=IncidentOut, summary="Add a person to the incident")
def add_responder(ref: str, body: MemberIn, db: DB, actor: CurrentActor, now: Now, effects: Effects) -> IncidentOut:
    return _run(db, now, lambda s, at: service.add_member(s, actor, ref, body.user, at, body.message,
                                                          effects=effects))


@_changes.patch("/{ref}", response_model=IncidentOut, summary="Edit title, summary, impact, tags or privacy")
def edit(ref: str, body: DetailsIn, db: DB, actor: CurrentActor, now: Now, effects: Effects) -> IncidentOut:
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise Invalid("nothing to change; send at least one of title, summary, impact, tags, private")
    return _run(db, now, lambda s, at: service.update_details(s, actor, ref, changes, at, effects=effects))


router = APIRouter()
router.include_router(_reads)
router.include_router(_changes)
