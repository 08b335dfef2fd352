"""The comms lead's status page console, /status-page: the page's overall status and components (set a
component's status), its public incidents (open, update, publish a draft, resolve) and maintenances
(schedule, start, verify, complete or cancel), and before any of it, what subscribers will receive.

Admins and the page's editors only: others get the API's 403, and without a page every address is a
404. Every change calls statuspage/service.py or maintenance.py, as /api/v1/status-page does; a route
reads the form, runs the use case in one unit of work and redirects (or shows the form again with why)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.deps import DB, Now
from firebell.core.statuspage.rollup import ComponentStatus
from firebell.core.statuspage.states import IncidentStatus, MaintenanceStatus
from firebell.errors import Conflict, Invalid
from firebell.statuspage import maintenance, resolutions, service
from firebell.store.uow import Database
from firebell.web import status_page_view as view
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.render import page
from firebell.web.timefmt import HELPERS

router = APIRouter(tags=["console"], include_in_schema=False)
Text = Annotated[str, Form()]
Many = Annotated[list[str] | None, Form()]
_STATUS: dict[type[Exception], int] = {Invalid: 422, Conflict: 409}
CANCELLED = "This maintenance has been cancelled."


def _public_url(request: Request) -> str:
    return str(getattr(request.app.state.channels, "public_url", "")).rstrip("/")


def _on(value: str) -> bool:
    return value in ("1", "on", "true")


def _helpers(zone: str) -> dict[str, Any]:
    return HELPERS | {"human": view.human, "local": lambda at: view.local_text(at, zone),
                      "local_field": lambda at: view.local_field(at, zone),
                      "component_statuses": view.COMPONENT_STATUSES, "open_statuses": view.OPEN_STATUSES,
                      "update_statuses": view.UPDATE_STATUSES}


def _overview(request: Request, db: Database, actor: Actor, now: datetime, *, typed: dict[str, Any] | None = None,
              previews: list[view.NoticePreview] | None = None, error: str = "",
              status_code: int = 200) -> HTMLResponse:
    with db.unit_of_work(write=False) as session:
        shown = view.overview(session, actor, now)
        components = view.settable_components(session)
        asked = request.query_params.get("incident", "")
        form = typed or (view.prefill(session, actor, asked) if asked else {})
        start, end = view.default_window(now, shown.page.time_zone)
        context = _helpers(shown.page.time_zone) | {
            "o": shown, "settable": components, "form": view.Typed(form), "previews": previews, "now": now,
            "error": error, "done": request.query_params.get("done", ""), "window": (start, end)}
        return page(request, "status_page.html", context, status_code=status_code)


def _detail(request: Request, db: Database, actor: Actor, public_id: str, kind: str, now: datetime, *,
            typed: dict[str, Any] | None = None, previews: list[view.NoticePreview] | None = None, error: str = "",
            status_code: int = 200) -> HTMLResponse:
    with db.unit_of_work(write=False) as session:
        shown = view.detail(session, actor, public_id, kind)
        context = _helpers(shown.page.time_zone) | {
            "d": shown, "p": shown.public, "form": view.Typed(typed or {}), "previews": previews, "now": now,
            "error": error, "done": request.query_params.get("done", "")}
        return page(request, "status_page_incident.html", context, status_code=status_code)


def _run(db: Database, use_case: Callable[[Session], str]) -> str:
    with db.unit_of_work() as session:
        return use_case(session)


def _redirect(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'done': done})}", status_code=303)


def _submit(request: Request, db: Database, intent: str, at: datetime, use_case: Callable[[Session], str],
            again: Callable[..., HTMLResponse], then: Callable[[str], Response]) -> Response:
    """A form's two buttons: "preview" shows the form again with what subscribers would receive (the
    use case rolled back); the other runs it and goes on with `then(what it returned)`. Refused: the
    form again (`again`), with why."""
    try:
        if intent == "preview":
            return again(previews=view.preview(db, use_case, at, _public_url(request)))
        done = _run(db, use_case)
    except (Invalid, Conflict) as exc:
        return again(error=str(exc), status_code=_STATUS[type(exc)])
    return then(done)


@router.get("/status-page", response_class=HTMLResponse)
def status_page(request: Request, db: DB, actor: WebActor, now: Now) -> HTMLResponse:
    return _overview(request, db, actor, now())


@router.post("/status-page/components/{component_id}", dependencies=[CsrfChecked])
def set_component(request: Request, component_id: str, db: DB, actor: WebActor, now: Now,
                  status: Text = "") -> Response:
    try:
        if status not in view.COMPONENT_STATUSES:
            raise Invalid(f"{status!r} is not a component status")
        done = _run(db, lambda s: service.set_component_status(s, actor, component_id, ComponentStatus(status),
                                                               now()).name + f" is now {view.human(status).lower()}")
    except (Invalid, Conflict) as exc:
        return _overview(request, db, actor, now(), error=str(exc), status_code=_STATUS[type(exc)])
    return _redirect("/status-page", done)


@router.post("/status-page/incidents", dependencies=[CsrfChecked])
def open_incident(request: Request, db: DB, actor: WebActor, now: Now, name: Text = "", body: Text = "",
                  status: Text = "investigating", components: Many = None, incidents: Text = "", draft: Text = "",
                  quiet: Text = "", intent: Text = "open") -> Response:
    typed = {"name": name, "body": body, "status": status, "incidents": incidents, "draft": _on(draft),
             "quiet": _on(quiet), "components": dict(v.split(":", 1) for v in components or [] if ":" in v)}
    at = now()

    def use_case(session: Session) -> str:
        if status not in view.OPEN_STATUSES:
            raise Invalid("a public incident opens as investigating, identified or monitoring")
        change = service.IncidentChange(IncidentStatus(status), body, view.component_choices(components),
                                        deliver_notifications=not _on(quiet))
        opened = service.open_incident(session, actor, name, change, at, incidents=view.incident_refs(incidents),
                                       draft=_on(draft))
        return opened.id

    said = "draft saved: publish it when it is ready" if _on(draft) else "opened and published"
    return _submit(request, db, intent, at, use_case, partial(_overview, request, db, actor, at, typed=typed),
                   lambda opened: _redirect(f"/status-page/incidents/{opened}", said))


@router.get("/status-page/incidents/{public_id}", response_class=HTMLResponse)
def public_incident(request: Request, public_id: str, db: DB, actor: WebActor, now: Now) -> HTMLResponse:
    return _detail(request, db, actor, public_id, "incident", now())


@router.post("/status-page/incidents/{public_id}/updates", dependencies=[CsrfChecked])
def post_update(request: Request, public_id: str, db: DB, actor: WebActor, now: Now, status: Text = "",
                body: Text = "", components: Many = None, publish: Text = "", quiet: Text = "",
                intent: Text = "post") -> Response:
    typed = {"status": status, "body": body, "publish": _on(publish), "quiet": _on(quiet),
             "components": dict(v.split(":", 1) for v in components or [] if ":" in v)}
    at = now()

    def use_case(session: Session) -> str:
        if status not in view.UPDATE_STATUSES:
            raise Invalid(f"{status!r} is not a public incident status")
        change = service.IncidentChange(IncidentStatus(status), body, view.component_choices(components),
                                        deliver_notifications=not _on(quiet))
        done = service.update_incident(session, actor, public_id, change, at, publish=_on(publish))
        return "update posted" + (" and the incident published" if _on(publish) and not done.draft else "")

    return _submit(request, db, intent, at, use_case,
                   partial(_detail, request, db, actor, public_id, "incident", at, typed=typed),
                   partial(_redirect, f"/status-page/incidents/{public_id}"))


@router.post("/status-page/incidents/{public_id}/resolve", dependencies=[CsrfChecked])
def resolve(request: Request, public_id: str, db: DB, actor: WebActor, now: Now, body: Text = "",
            intent: Text = "resolve") -> Response:
    at = now()

    def use_case(session: Session) -> str:
        resolutions.resolve(session, actor, public_id, at, body=body)  # marks a proposal published
        return "resolved: its components are operational again"

    return _submit(request, db, intent, at, use_case,
                   partial(_detail, request, db, actor, public_id, "incident", at, typed={"resolve_body": body}),
                   partial(_redirect, f"/status-page/incidents/{public_id}"))


@router.post("/status-page/maintenances", dependencies=[CsrfChecked])
def schedule(request: Request, db: DB, actor: WebActor, now: Now, name: Text = "", body: Text = "",
             starts: Text = "", ends: Text = "", components: Many = None, intent: Text = "schedule") -> Response:
    typed = {"m_name": name, "m_body": body, "m_starts": starts, "m_ends": ends, "m_components": components or []}
    at = now()

    def use_case(session: Session) -> str:
        zone = service.page(session).time_zone
        made = maintenance.schedule(session, actor, name, body, view.local_time(starts, zone, "start"),
                                    view.local_time(ends, zone, "end"), list(components or []), at)
        return made.id

    return _submit(request, db, intent, at, use_case, partial(_overview, request, db, actor, at, typed=typed),
                   lambda made: _redirect(f"/status-page/maintenances/{made}", "maintenance scheduled"))


@router.get("/status-page/maintenances/{public_id}", response_class=HTMLResponse)
def public_maintenance(request: Request, public_id: str, db: DB, actor: WebActor, now: Now) -> HTMLResponse:
    return _detail(request, db, actor, public_id, "maintenance", now())


@router.post("/status-page/maintenances/{public_id}/status", dependencies=[CsrfChecked])
def move_maintenance(request: Request, public_id: str, db: DB, actor: WebActor, now: Now, status: Text = "",
                     body: Text = "", intent: Text = "move") -> Response:
    """in_progress, verifying, completed; `cancel` is completing a maintenance that never started."""
    at = now()

    def use_case(session: Session) -> str:
        target = "completed" if status == "cancel" else status
        if target not in (s.value for s in MaintenanceStatus) or target == "scheduled":
            raise Invalid(f"{status!r} is not a move of a maintenance")
        if status == "cancel" and service.find_incident(session, public_id, kind="maintenance").status != "scheduled":
            raise Conflict("only a maintenance that has not started can be cancelled; complete it instead")
        maintenance.move(session, actor, public_id, MaintenanceStatus(target), at,
                         body or (CANCELLED if status == "cancel" else ""))
        return "cancelled" if status == "cancel" else f"maintenance {view.human(target).lower()}"

    return _submit(request, db, intent, at, use_case,
                   partial(_detail, request, db, actor, public_id, "maintenance", at,
                           typed={"m_status": status, "m_body": body}),
                   partial(_redirect, f"/status-page/maintenances/{public_id}"))


@router.post("/status-page/maintenances/{public_id}/reschedule", dependencies=[CsrfChecked])
def reschedule_maintenance(request: Request, public_id: str, db: DB, actor: WebActor, now: Now, starts: Text = "",
                           ends: Text = "", body: Text = "", intent: Text = "reschedule") -> Response:
    at = now()

    def use_case(session: Session) -> str:
        zone = service.page(session).time_zone
        maintenance.reschedule(session, actor, public_id, view.local_time(starts, zone, "start"),
                               view.local_time(ends, zone, "end"), at, body)
        return "maintenance rescheduled"

    return _submit(request, db, intent, at, use_case,
                   partial(_detail, request, db, actor, public_id, "maintenance", at,
                           typed={"r_starts": starts, "r_ends": ends, "r_body": body}),
                   partial(_redirect, f"/status-page/maintenances/{public_id}"))
