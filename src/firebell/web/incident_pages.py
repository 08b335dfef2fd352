"""The console's incident pages: /incidents (open first, history, filters, declare) and
/incidents/INC-n (its state, every action, the timeline, alerts, pages, on call), live through
server-sent events. Every change goes through incidents/respond.py or the service the API calls;
a route only reads the form, runs the use case in one unit of work and redirects (or shows why not)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from firebell.actor import Actor
from firebell.api.deps import DB, Effects, Now
from firebell.core.severity import assess, signals_of
from firebell.core.timeline.views import view_named
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.incidents import queries, respond, service
from firebell.org.models import User
from firebell.severity import levels as severities
from firebell.store.uow import Database
from firebell.web import incident_view as views
from firebell.web import status_page_view
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.errors import not_found_page
from firebell.web.live import LIST, event_stream, hub_of, last_seen, now_ms
from firebell.web.render import environment, page
from firebell.web.sessions import csrf_token, viewer
from firebell.web.timefmt import HELPERS

router = APIRouter(tags=["console"], include_in_schema=False)
FRAGMENT_HEADER = "x-firebell-fragment"  # live.js asks for the page's live part alone with it

Form_ = Annotated[str, Form()]


def _page(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The whole page, or (asked by live.js) only the part of it that changes, without the layout."""
    context = HELPERS | context
    if not request.headers.get(FRAGMENT_HEADER):
        return page(request, template, context, status_code=status_code)
    live_part = template.replace(".html", "_live.html")
    names = {"request": request, "viewer": viewer(request), "csrf_token": csrf_token(request)} | context
    response = HTMLResponse(environment().get_template(live_part).render(names), status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _missing(request: Request, ref: str) -> HTMLResponse:
    """The one answer for an incident that does not exist and for one private to others: the same page."""
    return not_found_page(request, "Incident not found", f"There is no incident {ref[:40]} you can see.")


def _params(status: str, severity: str, service_: str, team: str, mine: str, q: str,
            cursor: str | None) -> views.ListParams:
    return views.ListParams(status=status.strip(), severity=severity.strip(), service=service_.strip(),
                            team=team.strip(), mine=mine in ("1", "on", "true"), q=q.strip()[:200], cursor=cursor)


def _list_page(request: Request, db: Database, actor: Actor, now: Callable[[], datetime], params: views.ListParams,
               extra: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    with db.unit_of_work(write=False) as session:
        shown = views.incident_list(session, actor, params, now())
    context = {"list": shown, "now": now(), "since": now_ms(), "suggestion": None, "ticked": set(),
               "draft": {}, "declare_error": "", **(extra or {})}
    return _page(request, "incidents.html", context, status_code)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, db: DB, actor: WebActor, now: Now,
              status: str = "", severity: str = "", service: str = "", team: str = "", mine: str = "",
              q: str = "", cursor: str | None = None) -> HTMLResponse:
    return _list_page(request, db, actor, now, _params(status, severity, service, team, mine, q, cursor))


def _suggest(db: Database, ticked: list[str]) -> dict[str, str]:
    with db.unit_of_work(write=False) as session:
        levels = [severities.to_core_level(r) for r in severities.severity_levels(session)]
        criteria = severities.criteria(session)
    flags, metrics = signals_of([c for c in criteria if c.name in set(ticked)])
    try:
        result = assess(levels, criteria, flags, metrics)
    except Invalid as exc:
        return {"error": str(exc)}
    return {"severity": result.level.key, "name": result.level.name, "reason": result.reason}


@router.get("/incidents/suggest", response_class=HTMLResponse)
def suggest(request: Request, db: DB, actor: WebActor,
            flag: Annotated[list[str] | None, Query()] = None) -> HTMLResponse:
    """The suggested severity for the ticked criteria (live.js fills the declare form with it)."""
    html = environment().get_template("incident_suggestion.html").render(suggestion=_suggest(db, flag or []))
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/incidents/live")
async def list_events(request: Request, db: DB, actor: WebActor, since: str | None = None) -> Response:
    return event_stream(hub_of(request.app.state, db), LIST,
                        last_seen(request.headers.get("last-event-id"), since))


@router.post("/incidents", response_class=HTMLResponse, dependencies=[CsrfChecked])
def declare(request: Request, db: DB, actor: WebActor, now: Now, effects: Effects,
            title: Annotated[str, Form()] = "", severity: Annotated[str, Form()] = "",
            services: Annotated[list[str] | None, Form()] = None, summary: Annotated[str, Form()] = "",
            private: Annotated[str, Form()] = "", command: Annotated[str, Form()] = "",
            flag: Annotated[list[str] | None, Form()] = None, intent: Annotated[str, Form()] = "declare") -> Response:
    draft = {"title": title, "severity": severity, "services": services or [], "summary": summary,
             "private": private, "command": command}
    if intent == "suggest":  # "Suggest a severity" without JavaScript: the form again, with the suggestion
        return _list_page(request, db, actor, now, views.ListParams(),
                          {"suggestion": _suggest(db, flag or []), "ticked": set(flag or []), "draft": draft})
    declaration = service.Declaration(title=title, severity=severity, services=[s for s in services or [] if s],
                                      summary=summary, private=private in ("1", "on", "true"),
                                      commander=actor.user_name if command else None)
    try:
        with db.unit_of_work() as session:
            incident = service.declare(session, actor, declaration, now(), effects=effects)
            ref = incident.ref
    except (Invalid, Conflict, Forbidden) as exc:
        return _list_page(request, db, actor, now, views.ListParams(),
                          {"declare_error": str(exc), "draft": draft, "ticked": set(flag or [])},
                          status_code=_status(exc))
    return RedirectResponse(f"/incidents/{ref}", status_code=303)


_STATUS: dict[type[Exception], int] = {Invalid: 422, Conflict: 409, Forbidden: 403, NotFound: 404}


def _status(exc: Exception) -> int:
    return _STATUS.get(type(exc), 400)


def _incident_page(request: Request, db: Database, actor: Actor, ref: str, now: datetime, *, view: str = "",
                   order: str = "", show_all: bool = False, error: str = "", status_code: int = 200) -> HTMLResponse:
    try:
        with db.unit_of_work(write=False) as session:
            shown = views.incident_page(session, actor, ref, now, view=view_named(view),
                                        newest_first=order != "oldest", show_all=show_all)
            public = status_page_view.panel(session, actor, shown.incident.id, shown.incident.private)
    except NotFound:
        return _missing(request, ref)
    context = {"p": shown, "i": shown.incident, "now": now, "since": now_ms(), "error": error,
               "done": request.query_params.get("done", ""), "public": public}
    return _page(request, "incident.html", context, status_code)


@router.get("/incidents/{ref}", response_class=HTMLResponse)
def incident(request: Request, ref: str, db: DB, actor: WebActor, now: Now, view: str = "",
             order: str = "", all: str = "") -> HTMLResponse:
    return _incident_page(request, db, actor, ref, now(), view=view, order=order, show_all=all == "1")


@router.get("/incidents/{ref}/live")
async def incident_events(request: Request, ref: str, db: DB, actor: WebActor, since: str | None = None) -> Response:
    def visible_id() -> str:  # a private incident's stream is as missing as the incident
        with db.unit_of_work(write=False) as session:
            return queries.find(session, actor, ref).id

    try:
        incident_id = await run_in_threadpool(visible_id)  # not on the event loop every stream shares
    except NotFound:
        return _missing(request, ref)
    return event_stream(hub_of(request.app.state, db), incident_id,
                        last_seen(request.headers.get("last-event-id"), since))


UseCase = Callable[[Session, datetime], str]  # does the change; says what was done


def _act(request: Request, db: Database, actor: Actor, ref: str, now: Callable[[], datetime],
         use_case: UseCase) -> Response:
    """Run one change in one unit of work; back to the incident page, or the page with why not."""
    try:
        with db.unit_of_work() as session:
            done = use_case(session, now())
    except NotFound:
        return _missing(request, ref)
    except (Invalid, Conflict, Forbidden) as exc:
        return _incident_page(request, db, actor, ref, now(), error=str(exc), status_code=_status(exc))
    return RedirectResponse(f"/incidents/{ref}?{urlencode({'done': done})}", status_code=303)


def _respond(actor: Actor, ref: str, action: str, effects: Effects, **asked: str) -> UseCase:
    """acknowledge, resolve, escalate: through the one funnel every channel answers a page with
    (`asked`: an escalation's help needed and actions taken)."""
    def use_case(session: Session, at: datetime) -> str:
        user = session.get(User, actor.user_id)
        if user is None:
            raise Forbidden("your account is gone")
        return respond.respond(session, user, ref, action, "web", at, effects=effects, **asked)
    return use_case


@router.post("/incidents/{ref}/acknowledge", dependencies=[CsrfChecked])
def acknowledge(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects) -> Response:
    return _act(request, db, actor, ref, now, _respond(actor, ref, "acknowledge", effects))


@router.post("/incidents/{ref}/resolve", dependencies=[CsrfChecked])
def resolve(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
            resolution: Annotated[str, Form()] = "") -> Response:
    if not resolution.strip():
        return _act(request, db, actor, ref, now, _respond(actor, ref, "resolve", effects))
    return _act(request, db, actor, ref, now, lambda s, at: service.resolve(
        s, actor, ref, at, resolution, effects=effects).ref + " resolved")


@router.post("/incidents/{ref}/reopen", dependencies=[CsrfChecked])
def reopen(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
           reason: Annotated[str, Form()] = "") -> Response:
    return _act(request, db, actor, ref, now, lambda s, at: service.reopen(
        s, actor, ref, at, reason, effects=effects).ref + " reopened")


@router.post("/incidents/{ref}/escalate", dependencies=[CsrfChecked])
def escalate(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
             level: Annotated[str, Form()] = "", help_needed: Annotated[str, Form()] = "",
             actions_taken: Annotated[str, Form()] = "") -> Response:
    if not level.strip():
        return _act(request, db, actor, ref, now, _respond(actor, ref, "escalate", effects, help_needed=help_needed,
                                                           actions_taken=actions_taken))

    def use_case(session: Session, at: datetime) -> str:
        if not level.strip().isdigit() or int(level) < 1:
            raise Invalid("level: a number from 1")
        paged = effects.escalate(session, actor, ref, int(level), at, help_needed=help_needed,
                                 actions_taken=actions_taken)
        return f"level {paged} is being paged"
    return _act(request, db, actor, ref, now, use_case)


@router.post("/incidents/{ref}/responders", dependencies=[CsrfChecked])
def add_responder(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
                  user: Form_, message: Annotated[str, Form()] = "") -> Response:
    return _act(request, db, actor, ref, now, lambda s, at: service.add_member(
        s, actor, ref, user, at, message, effects=effects).ref and f"{user} added and paged")


@router.post("/incidents/{ref}/reassign", dependencies=[CsrfChecked])
def reassign(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
             user: Annotated[str, Form()] = "", policy: Annotated[str, Form()] = "") -> Response:
    def use_case(session: Session, at: datetime) -> str:
        effects.reassign(session, actor, ref, user=user.strip() or None, policy=policy.strip() or None, now=at)
        return f"reassigned to {user.strip() or policy.strip()}"
    return _act(request, db, actor, ref, now, use_case)


@router.post("/incidents/{ref}/severity", dependencies=[CsrfChecked])
def severity(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
             severity: Form_, reason: Annotated[str, Form()] = "") -> Response:
    return _act(request, db, actor, ref, now, lambda s, at: "severity " + service.change_severity(
        s, actor, ref, severity, reason, at, effects=effects).severity)


@router.post("/incidents/{ref}/stage", dependencies=[CsrfChecked])
def stage(request: Request, ref: str, db: DB, actor: WebActor, now: Now,
          stage: Form_) -> Response:
    return _act(request, db, actor, ref, now, lambda s, at: "stage " + service.change_stage(
        s, actor, ref, stage, at).stage)


@router.post("/incidents/{ref}/role", dependencies=[CsrfChecked])
def role(request: Request, ref: str, db: DB, actor: WebActor, now: Now, role: Form_,
         user: Annotated[str, Form()] = "") -> Response:
    holder = user.strip() or None
    named = role.replace("_", " ")
    return _act(request, db, actor, ref, now, lambda s, at: service.assign_role(
        s, actor, ref, role, holder, at).ref and (f"{holder} is {named} now" if holder else f"{named}: nobody now"))


@router.post("/incidents/{ref}/details", dependencies=[CsrfChecked])
def details(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
            tags: Annotated[str | None, Form()] = None, private: Annotated[str | None, Form()] = None) -> Response:
    """Tags (comma-separated) or the private flag, whichever the form sent."""
    changes: dict[str, Any] = {}
    if tags is not None:
        changes["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
    if private is not None:
        changes["private"] = private in ("1", "on", "true")
    return _act(request, db, actor, ref, now, lambda s, at: service.update_details(
        s, actor, ref, changes, at, effects=effects).ref and "details changed")


@router.post("/incidents/{ref}/notes", dependencies=[CsrfChecked])
def note(request: Request, ref: str, db: DB, actor: WebActor, now: Now, text: Form_) -> Response:
    return _act(request, db, actor, ref, now, lambda s, at: service.add_note(s, actor, ref, text, at).ref
                and "note added")


@router.post("/incidents/{ref}/updates", dependencies=[CsrfChecked])
def status_update(request: Request, ref: str, db: DB, actor: WebActor, now: Now, effects: Effects,
                  message: Annotated[str, Form()] = "", status: Annotated[str, Form()] = "",
                  known: Annotated[str, Form()] = "", doing: Annotated[str, Form()] = "",
                  next_in: Annotated[str, Form()] = "") -> Response:
    """A stakeholder update: on the timeline and to the stakeholder routes, as from the API."""
    update = service.Update(status=status, known=known, doing=doing, text=message, next_in=next_in)
    return _act(request, db, actor, ref, now, lambda s, at: service.post_update(
        s, actor, ref, update, at, effects=effects).ref and "update posted")
