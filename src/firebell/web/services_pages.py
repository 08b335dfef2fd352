"""Services: each with its team, its integrations and where they receive (admins rotate a generated
key; the new one is shown once), its maintenance windows (start one now, end one early: the rules of
alerts/maintenance.py, the API's and the CLI's) and its heartbeats with when each last beat."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.actor import Actor
from firebell.alerts import maintenance, services_view
from firebell.alerts.keys_admin import rotate_as
from firebell.alerts.services_view import ServiceView
from firebell.core.durations import format_duration
from firebell.errors import DecisionError
from firebell.store.uow import Database
from firebell.web.alerts_pages import not_found, refused
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.render import page
from firebell.web.view_times import shown

router = APIRouter(include_in_schema=False)
DURATIONS = (("30m", "30 minutes"), ("1h", "1 hour"), ("2h", "2 hours"), ("4h", "4 hours"), ("8h", "8 hours"),
             ("1d", "1 day"))


def _view(service: ServiceView, actor: Actor, now: datetime, base_url: str) -> dict[str, Any]:
    return {
        "name": service.name, "title": service.title or service.name, "description": service.description,
        "team": service.team, "open_alerts": service.open_alerts, "in_maintenance": service.in_maintenance(now),
        "may_manage": maintenance.may_manage(actor, service.team_id), "may_rotate": actor.is_admin,
        "integrations": [{"name": i.name, "type": i.type, "endpoint": i.endpoint(base_url),
                          "rotatable": i.key_source == "generated", "key_source": i.key_source}
                         for i in service.integrations],
        "windows": [{"id": w.id, "starts": shown(w.starts_at, now), "ends": shown(w.ends_at, now),
                     "active": maintenance.is_active(w, now), "reason": w.reason or w.name or "",
                     "origin": w.origin, "by": w.created_by} for w in service.windows],
        "heartbeats": [{"name": h.name, "status": h.status, "overdue": h.overdue,
                        "every": format_duration(timedelta(seconds=h.interval_s)),
                        "grace": format_duration(timedelta(seconds=h.grace_s)), "last": shown(h.last_beat_at, now),
                        "due": shown(h.overdue_at, now)} for h in service.heartbeats],
    }


def _render(request: Request, actor: WebActor, name: str | None, *, status_code: int = 200,
            **extra: Any) -> HTMLResponse:
    db: Database = request.app.state.db
    now = request.app.state.clock()
    base_url = request.app.state.web_settings.public_url
    with db.unit_of_work(write=False) as session:
        found = services_view.services(session, now, name=name)
    views = [_view(s, actor, now, base_url) for s in found]
    if name is not None:
        if not views:
            return not_found(request, "such service")
        new_key = extra.pop("new_key", None)
        if new_key is not None:  # its URL, whole this once
            [integration] = [i for i in found[0].integrations if i.name == new_key["integration"]]
            # PagerDuty's senders take a routing key, sent to one URL for all; the others, a URL with the key in it.
            new_key["url"] = None if integration.type == "pagerduty" else integration.endpoint(base_url, new_key["key"])
            new_key["pagerduty_url"] = f"{base_url}/v2/enqueue"
        return page(request, "service.html", {"service": views[0], "durations": DURATIONS, "error": None,
                                              "new_key": new_key} | extra, status_code=status_code)
    return page(request, "services.html", {"services": views}, status_code=status_code)


@router.get("/services", response_class=HTMLResponse)
def services(request: Request, actor: WebActor) -> HTMLResponse:
    return _render(request, actor, None)


@router.get("/services/{name}", response_class=HTMLResponse)
def service_page(request: Request, actor: WebActor, name: str) -> HTMLResponse:
    return _render(request, actor, name)


@router.post("/services/{name}/integrations/{integration}/rotate", dependencies=[CsrfChecked],
             response_class=HTMLResponse)
def rotate_key(request: Request, actor: WebActor, name: str, integration: str) -> Response:
    """Answered with the page itself, not a redirect: the key is in this answer only, never in a URL."""
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            key = rotate_as(session, actor, name, integration, now=request.app.state.clock())
    except DecisionError as exc:
        return refused(request, exc)
    response = _render(request, actor, name, new_key={"integration": integration, "key": key})
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/services/{name}/maintenance", dependencies=[CsrfChecked], response_class=HTMLResponse)
def start_maintenance(request: Request, actor: WebActor, name: str,
                      duration: Annotated[str, Form(max_length=20)] = "",
                      reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            maintenance.start_window(session, actor, name, now=request.app.state.clock(), duration=duration.strip(),
                                     reason=reason)
    except DecisionError as exc:
        if exc.kind != "invalid":
            return refused(request, exc)
        return _render(request, actor, name, error=exc.message[:1].upper() + exc.message[1:] + ".", status_code=400)
    return RedirectResponse(f"/services/{name}#maintenance", status_code=303)


@router.post("/services/{name}/maintenance/{window_id}/end", dependencies=[CsrfChecked])
def end_maintenance(request: Request, actor: WebActor, name: str, window_id: str) -> Response:
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            maintenance.end_window(session, actor, window_id, now=request.app.state.clock())
    except DecisionError as exc:
        return refused(request, exc)
    return RedirectResponse(f"/services/{name}#maintenance", status_code=303)
