"""On call: who is on call now and next on every schedule, the signed-in person's shifts, and a
schedule's page (two weeks drawn as a timeline, overrides added and cancelled, shifts swapped, the
calendar feed). Every change goes through oncall/service.py, as the API's do; what a person may do
is decided there too (a schedule's team and admins change it; a viewer's forged POST is a 403)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.deps import DB, Now
from firebell.api.problems import status_for
from firebell.core import access
from firebell.core.schedules import Shift
from firebell.errors import DecisionError, Invalid, NotFound
from firebell.oncall import service
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.errors import not_found_page
from firebell.web.oncall_timeline import (
    from_local_input,
    local,
    local_input,
    span,
    timeline,
    window,
    zone_now,
)
from firebell.web.render import page

router = APIRouter(include_in_schema=False)
MY_SHIFTS_DAYS = 28
TIMELINE_DAYS = 14
SWAP_DAYS = 28
DONE = {"added": "Override added.", "cancelled": "Override cancelled.", "swapped": "Shifts swapped.",
        "rotated": "Calendar feed URL rotated: the old URL no longer works, calendars need the new one."}
Text = Annotated[str, Form(max_length=500)]


def _next_text(view: service.Overview, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    change = view.next
    return {"now": view.now, "next_user": change.user if change else None,
            "next_at": local(change.at, zone, zone_name=True) if change else None,
            "next_in": span(now, change.at) if change else None}


@router.get("/oncall", response_class=HTMLResponse)
def oncall(request: Request, actor: WebActor, db: DB, clock: Now) -> HTMLResponse:
    now = clock()
    with db.unit_of_work(write=False) as session:
        teams = service.team_names(session)
        schedules = []
        zones = {}
        for view in service.overviews(session, now):
            zone = zones[view.schedule.name] = ZoneInfo(view.schedule.timezone)
            schedules.append({"name": view.schedule.name, "title": view.schedule.title or view.schedule.name,
                              "team": teams.get(view.schedule.team_id or ""), "timezone": view.schedule.timezone,
                              **_next_text(view, zone, now)})
        # Shifts that start in the next weeks, each to its real end (the window reaches past them).
        horizon = now + timedelta(days=MY_SHIFTS_DAYS)
        mine = [{"schedule": name, "start": local(s.start, zones[name], zone_name=True),
                 "end": local(s.end, zones[name], zone_name=True), "length": span(max(s.start, now), s.end),
                 "under_way": s.start <= now}
                for name, s in service.shifts_of(session, actor.user_name, now, horizon + timedelta(days=14))
                if s.start < horizon]
    return page(request, "oncall.html", {"schedules": schedules, "mine": mine, "days": MY_SHIFTS_DAYS})


def _schedule_context(session: Session, request: Request, actor: Actor, name: str, now: datetime) -> dict[str, Any]:
    row = service.find(session, name)
    zone = ZoneInfo(row.timezone)
    view = service.overview(session, name, now, days=0)
    start, end = window(zone, now, TIMELINE_DAYS)
    final, gaps = service.coverage(session, row, start, end)
    drawing = timeline(zone, now, TIMELINE_DAYS, service.layer_shifts(session, row, start, end), final, gaps)
    may_change = access.can_change_schedule(actor.principal, row.team_id)
    overrides = [{"id": v.row.id, "user": v.user, "start": local(v.row.starts_at, zone),
                  "end": local(service.effective_end(v.row), zone), "reason": v.row.reason,
                  "by": v.row.created_by, "swap": v.row.swap_id is not None, "under_way": v.row.starts_at <= now}
                 for v in service.overrides(session, name, now, None)]
    listed = sorted([(s.start, s.end, s.user, s.source) for s in final] + [(a, b, None, "") for a, b in gaps])
    shifts = [{"start": local(a, zone), "end": local(b, zone), "user": user, "source": source,
               "length": span(a, b), "now": a <= now < b} for a, b, user, source in listed]
    swappable = service.final_shifts(session, row, now, now + timedelta(days=SWAP_DAYS))
    soon = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return {
        "schedule": {"name": row.name, "title": row.title or row.name, "description": row.description,
                     "team": service.team_names(session).get(row.team_id or ""), "timezone": row.timezone,
                     "zone_now": zone_now(now, zone), **_next_text(view, zone, now)},
        "timeline": drawing, "shifts": shifts, "gap_count": len(gaps), "overrides": overrides,
        "may_change": may_change, "days": TIMELINE_DAYS,
        "people": service.people_who_can_be_on_call(session) if may_change else [],
        "swap_options": [(f"{s.user}|{s.start.isoformat()}|{s.end.isoformat()}",
                          f"{s.user}: {local(s.start, zone)} to {local(s.end, zone)}") for s in swappable],
        "feed_url": str(request.base_url).rstrip("/") + service.feed_path(session, "schedule", row)
        if may_change else None,
        "form": {"user": "", "start": local_input(soon, zone), "end": local_input(soon + timedelta(hours=8), zone),
                 "reason": ""},
    }


def _schedule_page(request: Request, actor: Actor, db: Any, name: str, now: datetime, *, error: str | None = None,
                   status_code: int = 200, form: dict[str, str] | None = None) -> HTMLResponse:
    with db.unit_of_work(write=False) as session:
        try:
            context = _schedule_context(session, request, actor, name, now)
        except NotFound as exc:
            return not_found_page(request, "No such schedule", exc.message)
    if form:
        context["form"] |= form
    notice = DONE.get(request.query_params.get("done", "")) if error is None else None
    return page(request, "oncall_schedule.html", context | {"error": error, "notice": notice},
                status_code=status_code)


@router.get("/oncall/schedules/{name}", response_class=HTMLResponse)
def schedule(request: Request, name: str, actor: WebActor, db: DB, clock: Now) -> HTMLResponse:
    return _schedule_page(request, actor, db, name, clock())


def _done(name: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/oncall/schedules/{quote(name, safe='')}?done={what}", status_code=303)


def _refused(request: Request, actor: Actor, db: Any, name: str, now: datetime, exc: DecisionError,
             form: dict[str, str] | None = None) -> HTMLResponse:
    """The page again, saying why nothing changed, with the status the API answers."""
    return _schedule_page(request, actor, db, name, now, error=exc.message, status_code=status_for(exc), form=form)


@router.post("/oncall/schedules/{name}/overrides", dependencies=[CsrfChecked], response_class=HTMLResponse)
def add_override(request: Request, name: str, actor: WebActor, db: DB, clock: Now, user: Text = "",
                 start: Text = "", end: Text = "", reason: Text = "") -> Response:
    now = clock()
    form = {"user": user, "start": start, "end": end, "reason": reason}
    try:
        with db.unit_of_work() as session:
            zone = ZoneInfo(service.find(session, name).timezone)
            try:
                begins, ends = from_local_input(start, zone), from_local_input(end, zone)
            except ValueError:
                raise Invalid("give the start and end as a date and a time") from None
            service.add_override(session, actor, schedule=name, user=user, start=begins, end=ends,
                                 reason=reason.strip(), created_by=actor.label, now=now)
    except DecisionError as exc:
        return _refused(request, actor, db, name, now, exc, form)
    return _done(name, "added")


@router.post("/oncall/schedules/{name}/overrides/{override_id}/cancel", dependencies=[CsrfChecked],
             response_class=HTMLResponse)
def cancel_override(request: Request, name: str, override_id: str, actor: WebActor, db: DB, clock: Now) -> Response:
    now = clock()
    try:
        with db.unit_of_work() as session:
            service.cancel_override(session, actor, schedule=name, override_id=override_id, now=now)
    except DecisionError as exc:
        return _refused(request, actor, db, name, now, exc)
    return _done(name, "cancelled")


def _shift(value: str) -> Shift:
    user, _, rest = value.partition("|")
    start, _, end = rest.partition("|")
    try:
        return Shift(user, datetime.fromisoformat(start), datetime.fromisoformat(end), "")
    except ValueError:
        raise Invalid("choose two shifts from the lists") from None


@router.post("/oncall/schedules/{name}/swap", dependencies=[CsrfChecked], response_class=HTMLResponse)
def swap(request: Request, name: str, actor: WebActor, db: DB, clock: Now, first: Text = "", second: Text = "",
         reason: Text = "") -> Response:
    now = clock()
    try:
        with db.unit_of_work() as session:
            service.swap(session, actor, schedule=name, first=_shift(first), second=_shift(second),
                         created_by=actor.label, now=now, reason=reason.strip())
    except DecisionError as exc:
        return _refused(request, actor, db, name, now, exc)
    return _done(name, "swapped")


@router.post("/oncall/schedules/{name}/feed/rotate", dependencies=[CsrfChecked], response_class=HTMLResponse)
def rotate_feed(request: Request, name: str, actor: WebActor, db: DB, clock: Now) -> Response:
    now = clock()
    try:
        with db.unit_of_work() as session:
            row = service.find(session, name)
            service.check_may_change(session, actor, row)
            service.rotate_feed(session, actor, "schedule", row, now)
    except DecisionError as exc:
        return _refused(request, actor, db, name, now, exc)
    return _done(name, "rotated")
