"""Statuspage's management API (v1), so that scripts and Terraform providers written for it can be
pointed at Firebell: `/v1/pages/{page_id}/...` with `Authorization: OAuth <key>`, bodies wrapped in
their resource's key, answers in Statuspage's shapes. Writes honour `Idempotency-Key`
(statuspage/idempotency.py). Each handler calls the same use cases as the comms lead's API and CLI.

Shapes: ../shared/reference/comms-and-learning.md 1.3; docs/status-page-v1.md says what is taken,
what is ignored (tweets, metrics) and what is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.api.deps import DB, Now, refuse_nul
from firebell.api.problems import problem_responses
from firebell.errors import Invalid, NotFound
from firebell.statuspage import service, v1_service
from firebell.statuspage.idempotency import Reply, checked_key, fingerprint, run_once
from firebell.statuspage.key_api import Holder
from firebell.statuspage.models import PublicIncident, PublicIncidentUpdate, StatusComponent, StatusPage
from firebell.statuspage.v1_schemas import (
    ComponentBody,
    ComponentGroupBody,
)
from firebell.statuspage.wire import component_object, incident_object, iso, page_object

_PAGE = "/v1/pages/{page_id}"


def no_nul_in_path(request: Request) -> None:
    """A NUL in an id is a 422 that says so: PostgreSQL refuses it in a lookup (a 500 there). The app's own
    check covers /api/v1/ only; this API keeps Statuspage's paths."""
    refuse_nul("path", request.path_params.items())


NoNul = Depends(no_nul_in_path)
router = APIRouter(tags=["status page (Statuspage v1)"], responses=problem_responses(401, 403, 404, 409, 422),
                   dependencies=[NoNul])
Obj = dict[str, Any]


def _page(session: Session, page_id: str) -> StatusPage:
    found = service.page(session)
    if found.id != page_id:
        raise NotFound(f"page {page_id} not found")
    return found


def _component(row: StatusComponent, page_id: str) -> Obj:
    return component_object(row, page_id) | {"automation_email": None}


def _group(session: Session, row: StatusComponent, page_id: str) -> Obj:
    return {"id": row.id, "page_id": page_id, "name": row.name, "description": row.description or None,
            "components": [child.id for child in v1_service.children(session, row)], "position": row.position,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at)}


def _incident(session: Session, public: PublicIncident, page: StatusPage) -> Obj:
    objects = {row.id: component_object(row, page.id) for row in service.components(session)}
    updates = session.scalars(select(PublicIncidentUpdate).where(PublicIncidentUpdate.public_incident_id == public.id)
                              .order_by(PublicIncidentUpdate.created_at.desc()))
    obj = incident_object(public, list(updates), page, objects)
    maintenance_kind = public.kind == "maintenance"
    return obj | {"impact_override": None, "metadata": {}, "backfilled": False,
                  "postmortem_body": public.postmortem_body if public.postmortem_published_at else None,
                  "postmortem_published_at": iso(public.postmortem_published_at),
                  "scheduled_for": iso(public.scheduled_for), "scheduled_until": iso(public.scheduled_until),
                  "scheduled_auto_in_progress": public.auto_start if maintenance_kind else False,
                  "scheduled_auto_completed": public.auto_complete if maintenance_kind else False}


def _write(request: Request, holder: Holder, db: DB, now: datetime, key: str | None, body: BaseModel | None,
           work: Callable[[Session], tuple[int, Any]]) -> Response:
    """One write, once per Idempotency-Key: the same key and request answer as they did the first time."""
    canonical = b"" if body is None else body.model_dump_json(exclude_unset=True).encode()
    reply = run_once(db, token_id=holder.token_id, key=checked_key(key), now=now,
                     request_print=fingerprint(request.method, request.url.path, canonical),
                     write=lambda session: Reply(*work(session)))
    if reply.status_code == 204:
        return Response(status_code=204)
    headers = {"Idempotent-Replayed": "true"} if reply.replayed else {}
    return JSONResponse(reply.body, status_code=reply.status_code, headers=headers)


def _remove(request: Request, holder: Holder, db: DB, now: Now, page_id: str, key: str | None,
            remove: Callable[[Session, datetime], object]) -> Response:
    """A DELETE answered 204: the page checked, `remove` run once per Idempotency-Key."""
    at = now()

    def work(session: Session) -> tuple[int, Any]:
        _page(session, page_id)
        remove(session, at)
        return 204, None
    return _write(request, holder, db, at, key, None, work)


IdempotencyKey = Header(default=None, alias="Idempotency-Key")


# --- pages ---------------------------------------------------------------------------------------

@router.get("/v1/pages", summary="The page (Firebell has one per organisation)")
def list_pages(holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        return [page_object(service.page(session))]


@router.get(_PAGE, summary="The page")
def get_page(page_id: str, holder: Holder, db: DB) -> Obj:
    with db.unit_of_work(write=False) as session:
        return page_object(_page(session, page_id))


# --- components ----------------------------------------------------------------------------------

@router.get(f"{_PAGE}/components", summary="Components (groups are under component-groups)")
def list_components(page_id: str, holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        page = _page(session, page_id)
        return [_component(row, page.id) for row in service.components(session) if not row.is_group]


@router.post(f"{_PAGE}/components", status_code=201, summary="Create a component")
def create_component(page_id: str, body: ComponentBody, request: Request, holder: Holder, db: DB, now: Now,
                     idempotency_key: str | None = IdempotencyKey) -> Response:
    at = now()

    def work(session: Session) -> tuple[int, Any]:
        page = _page(session, page_id)
        if not body.component.name:
            raise Invalid("component.name is required")
        row = v1_service.create_component(session, holder.actor, body.component.model_dump(exclude_unset=True), at)
        return 201, _component(row, page.id)
    return _write(request, holder, db, at, idempotency_key, body, work)


@router.get(f"{_PAGE}/components/{{component_id}}", summary="A component")
def get_component(page_id: str, component_id: str, holder: Holder, db: DB) -> Obj:
    with db.unit_of_work(write=False) as session:
        page = _page(session, page_id)
        return _component(v1_service.find_component(session, component_id), page.id)


def _change_component(page_id: str, component_id: str, body: ComponentBody, request: Request, holder: Holder,
                      db: DB, now: Now, idempotency_key: str | None) -> Response:
    at = now()

    def work(session: Session) -> tuple[int, Any]:
        page = _page(session, page_id)
        row = v1_service.change_component(session, holder.actor, component_id,
                                          body.component.model_dump(exclude_unset=True), at)
        return 200, _component(row, page.id)
    return _write(request, holder, db, at, idempotency_key, body, work)


@router.patch(f"{_PAGE}/components/{{component_id}}",
              summary="Change a component (its status; an API-made one's layout too)")
def patch_component(page_id: str, component_id: str, body: ComponentBody, request: Request, holder: Holder, db: DB,
                    now: Now, idempotency_key: str | None = IdempotencyKey) -> Response:
    return _change_component(page_id, component_id, body, request, holder, db, now, idempotency_key)


@router.put(f"{_PAGE}/components/{{component_id}}", summary="Change a component (as PATCH)")
def put_component(page_id: str, component_id: str, body: ComponentBody, request: Request, holder: Holder, db: DB,
                  now: Now, idempotency_key: str | None = IdempotencyKey) -> Response:
    return _change_component(page_id, component_id, body, request, holder, db, now, idempotency_key)


@router.delete(f"{_PAGE}/components/{{component_id}}", status_code=204, summary="Remove an API-made component")
def delete_component(page_id: str, component_id: str, request: Request, holder: Holder, db: DB, now: Now,
                     idempotency_key: str | None = IdempotencyKey) -> Response:
    return _remove(request, holder, db, now, page_id, idempotency_key,
                   lambda session, at: v1_service.remove_component(session, holder.actor, component_id, at))


# --- component groups ----------------------------------------------------------------------------

@router.get(f"{_PAGE}/component-groups", summary="Component groups")
def list_groups(page_id: str, holder: Holder, db: DB) -> list[Obj]:
    with db.unit_of_work(write=False) as session:
        page = _page(session, page_id)
        return [_group(session, row, page.id) for row in service.components(session) if row.is_group]


@router.post(f"{_PAGE}/component-groups", status_code=201, summary="Create a component group")
def create_group(page_id: str, body: ComponentGroupBody, request: Request, holder: Holder, db: DB, now: Now,
                 idempotency_key: str | None = IdempotencyKey) -> Response:
    at = now()

    def work(session: Session) -> tuple[int, Any]:
        page = _page(session, page_id)
        fields = body.component_group
        if not fields.name:
            raise Invalid("component_group.name is required")
        group = v1_service.create_component(session, holder.actor, {"name": fields.name,
                                                                    "description": fields.description}, at, group=True)
        v1_service.set_group_members(session, group, fields.components or [])
        return 201, _group(session, group, page.id)
    return _write(request, holder, db, at, idempotency_key, body, work)


@router.get(f"{_PAGE}/component-groups/{{group_id}}", summary="A component group")
def get_group(page_id: str, group_id: str, holder: Holder, db: DB) -> Obj:
    with db.unit_of_work(write=False) as session:
        page = _page(session, page_id)
        return _group(session, v1_service.find_component(session, group_id, group=True), page.id)


def _change_group(page_id: str, group_id: str, body: ComponentGroupBody, request: Request, holder: Holder, db: DB,
                  now: Now, idempotency_key: str | None) -> Response:
    at = now()

    def work(session: Session) -> tuple[int, Any]:
        page = _page(session, page_id)
        group = v1_service.change_group(session, holder.actor, group_id,
                                        body.component_group.model_dump(exclude_unset=True), at)
        return 200, _group(session, group, page.id)
    return _write(request, holder, db, at, idempotency_key, body, work)


@router.patch(f"{_PAGE}/component-groups/{{group_id}}", summary="Change a component group")
def patch_group(page_id: str, group_id: str, body: ComponentGroupBody, request: Request, holder: Holder, db: DB,
                now: Now, idempotency_key: str | None = IdempotencyKey) -> Response:
    return _change_group(page_id, group_id, body, request, holder, db, now, idempotency_key)


@router.put(f"{_PAGE}/component-groups/{{group_id}}", summary="Change a component group (as PATCH)")
def put_group(page_id: str, group_id: str, body: ComponentGroupBody, request: Request, holder: Holder, db: DB,
              now: Now, idempotency_key: str | None = IdempotencyKey) -> Response:
    return _change_group(page_id, group_id, body, request, holder, db, now, idempotency_key)


@router.delete(f"{_PAGE}/component-groups/{{group_id}}", status_code=204,
               summary="Remove an API-made group (its components stay, ungrouped)")
def delete_group(page_id: str, group_id: str, request: Request, holder: Holder, db: DB, now: Now,
                 idempotency_key: str | None = IdempotencyKey) -> Response:
    return _remove(request, holder, db, now, page_id, idempotency_key,
                   lambda session, at: v1_service.remove_component(session, holder.actor, group_id, at, group=True))
