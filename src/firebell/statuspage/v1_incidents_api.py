"""Statuspage v1 incidents (maintenances are incidents with a maintenance status), their post-mortem,
and subscribers. See v1_api.py for the conventions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.api.deps import DB, Now
from firebell.api.problems import problem_responses
from firebell.core.statuspage.rollup import ComponentStatus, Impact
from firebell.core.statuspage.states import UNRESOLVED, IncidentStatus, MaintenanceStatus
from firebell.errors import Invalid, NotFound
from firebell.statuspage import maintenance, service, v1_service
from firebell.statuspage.key_api import Holder
from firebell.statuspage.models import PublicIncident
from firebell.statuspage.subscriptions import service as subscribers
from firebell.statuspage.v1_api import _PAGE, IdempotencyKey, NoNul, Obj, _incident, _page, _remove, _write
from firebell.statuspage.v1_schemas import IncidentBody, IncidentFields, PostmortemBody, SubscriberBody
from firebell.statuspage.wire import iso

router = APIRouter(tags=["status page (Statuspage v1)"], responses=problem_responses(401, 403, 404, 409, 422),
                   dependencies=[NoNul])
_MAINTENANCE = {s.value for s in MaintenanceStatus}


def _change(fields: IncidentFields, status: IncidentStatus) -> service.IncidentChange:
    impact = fields.impact_override
    if impact == "maintenance":
        raise Invalid("impact_override maintenance is for maintenances: create one with status scheduled")
    return service.IncidentChange(status, fields.body or "", {ref: ComponentStatus(s) for ref, s in
                                                              (fields.components or {}).items()},
                                  fields.deliver_notifications, Impact(impact) if impact else None)


def _known_components(session: Session, fields: IncidentFields) -> None:
    """Every component the body names exists, or a 422 naming it: a 404 here would tell a Terraform
    provider that the incident itself is gone (it drops it from its state)."""
    for ref in dict.fromkeys([*(fields.components or {}), *(fields.component_ids or [])]):
        try:
            service.component(session, ref)
        except NotFound:
            raise Invalid(f"incident.components: there is no component {ref[:80]!r} on this page") from None


def _affect(session: Session, public: PublicIncident, component_ids: list[str] | None) -> None:
    """`component_ids` without a status each: affected, their status unchanged."""
    for ref in component_ids or []:
        row = service.component(session, ref)
        if row.id not in public.components:
            public.components = [*public.components, row.id]


def _listed(session: Session, page_id: str, only: set[str] | None = None) -> list[Obj]:
    page = _page(session, page_id)
    rows = session.scalars(select(PublicIncident).where(PublicIncident.draft.is_(False))
                           .order_by(PublicIncident.created_at.desc()).limit(100))
    return [_incident(session, row, page) for row in rows if only is None or row.status in only]


@router.get(f"{_PAGE}/incidents", summary="Incidents and maintenances, newest first (drafts are not listed)")
def list_incidents(page_id: str, holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        return _listed(session, page_id)


@router.get(f"{_PAGE}/incidents/unresolved", summary="Incidents not yet resolved")
def unresolved(page_id: str, holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        return _listed(session, page_id, {s.value for s in UNRESOLVED})


@router.get(f"{_PAGE}/incidents/upcoming", summary="Scheduled maintenances not yet begun")
def upcoming(page_id: str, holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        return _listed(session, page_id, {MaintenanceStatus.SCHEDULED.value})


@router.get(f"{_PAGE}/incidents/active_maintenance", summary="Maintenances in progress or verifying")
def active_maintenance(page_id: str, holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        return _listed(session, page_id, {MaintenanceStatus.IN_PROGRESS.value, MaintenanceStatus.VERIFYING.value})


@router.post(f"{_PAGE}/incidents", status_code=201,
             summary="Create an incident, or a maintenance (status scheduled, in_progress, verifying)")
def create_incident(page_id: str, body: IncidentBody, request: Request, holder: Holder, db: DB, now: Now,
                    idempotency_key: str | None = IdempotencyKey) -> Response:
    at, fields = now(), body.incident

    def work(session: Session) -> tuple[int, Any]:
        page = _page(session, page_id)
        _known_components(session, fields)
        if not fields.name:
            raise Invalid("incident.name is required")
        if fields.backfilled:
            raise Invalid("backfilled incidents are not taken: open it and resolve it, or leave it out")
        status = fields.status or "investigating"
        if status in _MAINTENANCE:
            public = _schedule(session, holder, fields, at)
        else:
            public = service.open_incident(session, holder.actor, fields.name, _change(fields, IncidentStatus.
                                                                                       INVESTIGATING), at)
            _affect(session, public, fields.component_ids)
            if status != IncidentStatus.INVESTIGATING.value:
                _move_incident(session, holder, public.id, fields, IncidentStatus(status), at, first=True)
        return 201, _incident(session, public, page)
    return _write(request, holder, db, at, idempotency_key, body, work)


def _schedule(session: Session, holder: Holder, fields: IncidentFields, at: datetime) -> PublicIncident:
    if fields.scheduled_for is None or fields.scheduled_until is None:
        raise Invalid("a maintenance needs scheduled_for and scheduled_until")
    refs = list(dict.fromkeys([*(fields.component_ids or []), *(fields.components or {})]))
    public = maintenance.schedule(session, holder.actor, fields.name or "", fields.body or "", fields.scheduled_for,
                                  fields.scheduled_until, refs, at,
                                  auto_start=fields.scheduled_auto_in_progress is not False,
                                  auto_complete=fields.scheduled_auto_completed is not False)
    if fields.status and fields.status != MaintenanceStatus.SCHEDULED.value and fields.status != public.status:
        maintenance.move(session, holder.actor, public.id, MaintenanceStatus(fields.status), at)
    return public


def _move_incident(session: Session, holder: Holder, public_id: str, fields: IncidentFields, status: IncidentStatus,
                   at: datetime, *, first: bool = False) -> PublicIncident:
    if status is IncidentStatus.RESOLVED and not fields.components:
        return service.resolve_incident(session, holder.actor, public_id, at, body=fields.body or "")
    change = _change(fields, status)
    if first:  # the opening update carried the body and components already
        change = service.IncidentChange(status, "", {}, fields.deliver_notifications, change.impact)
    return service.update_incident(session, holder.actor, public_id, change, at)


@router.get(f"{_PAGE}/incidents/{{incident_id}}", summary="An incident or maintenance")
def get_incident(page_id: str, incident_id: str, holder: Holder, db: DB) -> Obj:
    with db.unit_of_work(write=False) as session:
        page = _page(session, page_id)
        return _incident(session, _shown(session, incident_id), page)


def _shown(session: Session, incident_id: str) -> PublicIncident:
    """An incident or maintenance the v1 API shows: a draft is the comms lead's, not yet anyone's (404)."""
    public = session.get(PublicIncident, incident_id)
    if public is None or public.draft:
        raise NotFound(f"incident {incident_id} not found")
    return public


def _change_incident(page_id: str, incident_id: str, body: IncidentBody, request: Request, holder: Holder, db: DB,
                     now: Now, idempotency_key: str | None) -> Response:
    at, fields = now(), body.incident

    def work(session: Session) -> tuple[int, Any]:
        page = _page(session, page_id)
        public = service.find_incident(session, incident_id, kind=_kind_of(session, incident_id))
        _known_components(session, fields)
        if public.kind == "maintenance":
            _change_maintenance(session, holder, public, fields, at)
        else:
            if fields.status in _MAINTENANCE:
                raise Invalid(f"{fields.status} is a maintenance status; this is an incident")
            if fields.status or fields.body or fields.components or fields.impact_override:
                status = IncidentStatus(fields.status) if fields.status else IncidentStatus(public.status)
                public = _move_incident(session, holder, public.id, fields, status, at)
            _affect(session, public, fields.component_ids)
        if fields.name is not None:
            service.rename_incident(session, public, fields.name, at)
        return 200, _incident(session, public, page)
    return _write(request, holder, db, at, idempotency_key, body, work)


def _change_maintenance(session: Session, holder: Holder, public: PublicIncident, fields: IncidentFields,
                        at: datetime) -> None:
    """A new window (either end; the other stays) is a reschedule, as the console's and the CLI's: its
    alert silences move and subscribers hear of it. A status is a move, made after it (a PATCH that
    reschedules and starts at once does both). The body goes with the first of them."""
    if fields.status and fields.status not in _MAINTENANCE:
        raise Invalid(f"a maintenance's status is one of {', '.join(sorted(_MAINTENANCE))}")
    body = fields.body or ""
    assert public.scheduled_for is not None and public.scheduled_until is not None
    starts, ends = fields.scheduled_for or public.scheduled_for, fields.scheduled_until or public.scheduled_until
    if (starts, ends) != (public.scheduled_for, public.scheduled_until):
        maintenance.reschedule(session, holder.actor, public.id, starts, ends, at, body)
        body = ""
    if fields.status and (fields.status != public.status or body):
        maintenance.move(session, holder.actor, public.id, MaintenanceStatus(fields.status), at, body)


def _kind_of(session: Session, incident_id: str) -> str:
    """incident or maintenance: what find_incident is to look for (a missing id: its 404)."""
    found = session.get(PublicIncident, incident_id)
    return found.kind if found is not None else "incident"


@router.patch(f"{_PAGE}/incidents/{{incident_id}}", summary="Update an incident: status, body (a new update), "
              "components, name; or move a maintenance")
def patch_incident(page_id: str, incident_id: str, body: IncidentBody, request: Request, holder: Holder, db: DB,
                   now: Now, idempotency_key: str | None = IdempotencyKey) -> Response:
    return _change_incident(page_id, incident_id, body, request, holder, db, now, idempotency_key)


@router.put(f"{_PAGE}/incidents/{{incident_id}}", summary="Update an incident (as PATCH)")
def put_incident(page_id: str, incident_id: str, body: IncidentBody, request: Request, holder: Holder, db: DB,
                 now: Now, idempotency_key: str | None = IdempotencyKey) -> Response:
    return _change_incident(page_id, incident_id, body, request, holder, db, now, idempotency_key)


@router.delete(f"{_PAGE}/incidents/{{incident_id}}", summary="Delete an incident; answers it as it was")
def delete_incident(page_id: str, incident_id: str, request: Request, holder: Holder, db: DB, now: Now,
                    idempotency_key: str | None = IdempotencyKey) -> Response:
    at = now()

    def work(session: Session) -> tuple[int, Any]:
        page = _page(session, page_id)
        public = session.get(PublicIncident, incident_id)
        if public is None:
            raise NotFound(f"incident {incident_id} not found")
        was = _incident(session, public, page)
        v1_service.delete_incident(session, holder.actor, incident_id, at)
        return 200, was
    return _write(request, holder, db, at, idempotency_key, None, work)


def _postmortem(public: PublicIncident) -> Obj:
    return {"body": public.postmortem_body if public.postmortem_published_at else None,
            "body_draft": public.postmortem_body, "published_at": iso(public.postmortem_published_at),
            "notify_subscribers": False, "notify_twitter": False, "custom_tweet": None,
            "updated_at": iso(public.updated_at)}


@router.get(f"{_PAGE}/incidents/{{incident_id}}/postmortem", summary="An incident's post-mortem")
def get_postmortem(page_id: str, incident_id: str, holder: Holder, db: DB) -> Obj:
    with db.unit_of_work(write=False) as session:
        _page(session, page_id)
        return _postmortem(_shown(session, incident_id))


@router.put(f"{_PAGE}/incidents/{{incident_id}}/postmortem",
            summary="Save the post-mortem (body_draft); with body or published_at, publish it")
def put_postmortem(page_id: str, incident_id: str, body: PostmortemBody, request: Request, holder: Holder, db: DB,
                   now: Now, idempotency_key: str | None = IdempotencyKey) -> Response:
    at, fields = now(), body.postmortem

    def work(session: Session) -> tuple[int, Any]:
        _page(session, page_id)
        _shown(session, incident_id)
        text = fields.body if fields.body is not None else fields.body_draft
        publish = fields.body is not None or fields.published_at is not None
        public = v1_service.write_postmortem(session, holder.actor, incident_id, text, publish,
                                             fields.notify_subscribers, at)
        return 200, _postmortem(public)
    return _write(request, holder, db, at, idempotency_key, body, work)


# --- subscribers ---------------------------------------------------------------------------------

def _subscriber(found: dict[str, Any]) -> Obj:
    email = found["mode"] == "email"
    return {"id": found["id"], "mode": found["mode"], "email": found["address"] if email else None,
            "endpoint": None if email else found["address"], "component_ids": found["component_ids"] or [],
            "created_at": iso(found["created_at"]), "quarantined_at": iso(found["quarantined_at"]),
            "purge_at": iso(found["purge_at"]), "state": found["state"]}


@router.get(f"{_PAGE}/subscribers", summary="Subscribers (admins)")
def list_subscribers(page_id: str, holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        _page(session, page_id)
        return [_subscriber(found) for found in subscribers.listing(session, holder.actor)]


@router.post(f"{_PAGE}/subscribers", status_code=201, summary="Add a subscriber (admins)")
def create_subscriber(page_id: str, body: SubscriberBody, request: Request, holder: Holder, db: DB, now: Now,
                      idempotency_key: str | None = IdempotencyKey) -> Response:
    at, fields = now(), body.subscriber

    def work(session: Session) -> tuple[int, Any]:
        _page(session, page_id)
        mode = fields.mode or ("email" if fields.email else "webhook")
        if mode == "sms":
            raise Invalid("SMS subscribers are not taken; use email, webhook, slack or teams")
        address = fields.email if mode == "email" else fields.endpoint
        if not address:
            raise Invalid("an email subscriber needs email; the others need endpoint")
        row = subscribers.add(session, holder.actor, mode, address, at, component_ids=fields.component_ids,
                              skip_confirmation=fields.skip_confirmation_notification, source="api")
        return 201, _subscriber(subscribers.describe(row))
    return _write(request, holder, db, at, idempotency_key, body, work)


@router.delete(f"{_PAGE}/subscribers/{{subscriber_id}}", status_code=204, summary="Remove a subscriber (admins)")
def delete_subscriber(page_id: str, subscriber_id: str, request: Request, holder: Holder, db: DB, now: Now,
                      idempotency_key: str | None = IdempotencyKey) -> Response:
    return _remove(request, holder, db, now, page_id, idempotency_key,
                   lambda session, at: subscribers.remove(session, holder.actor, subscriber_id, at))
