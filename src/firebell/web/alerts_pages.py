"""Alerts: the list with its filters, one alert with its history and links, and explain (paste a
payload, see what would happen). The questions are alerts/queries.py's and the dry run is
alerts/explain.py's, the same the REST API asks and runs."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts import queries
from firebell.alerts.explain import FORMATS, explain
from firebell.alerts.models import Alert
from firebell.core.link_templates import Link
from firebell.errors import DecisionError, Invalid, NotFound
from firebell.incidents.models import Incident
from firebell.store.uow import Database
from firebell.web import reference_data
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.errors import not_found_page
from firebell.web.render import page
from firebell.web.view_times import shown

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
MAX_PAYLOAD_CHARS = 1_000_000


def not_found(request: Request, what: str) -> HTMLResponse:
    """The same answer for what does not exist and for what this person may not see."""
    return not_found_page(request, "Not found", f"There is no {what} here, or it is not yours to see.")


# "Open" is what a responder means at 3 a.m.: triggered or acknowledged, not yet resolved.
STATUS_CHOICES = {"open": ("triggered", "acknowledged")} | {s: (s,) for s in queries.ALERT_STATUSES}


def _choices(session: Session) -> dict[str, Any]:
    known = reference_data.current(session)  # configuration: read once per version (the incident pages' too)
    severities = [key for key, _ in known.severities]
    return {"services": known.services,
            "severities": severities, "statuses": list(STATUS_CHOICES),
            # The most severe level first: its badge is the loudest (sev-1 red ... sev-4 and after grey).
            "ranks": {key: min(rank + 1, 4) for rank, key in enumerate(severities)}}


def _row(alert: Alert, services: dict[str, str], refs: dict[str, str], now: datetime) -> dict[str, Any]:
    return {"id": alert.id, "summary": alert.summary or alert.dedup_key, "dedup_key": alert.dedup_key,
            "status": alert.status, "severity": alert.severity, "service": services.get(alert.service_id, "?"),
            "incident": refs.get(alert.incident_id) if alert.incident_id else None, "held": alert.held_reason,
            "events": alert.event_count, "last_seen": shown(alert.last_seen_at, now),
            "first_seen": shown(alert.first_seen_at, now), "flapping": alert.flapping}


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, actor: WebActor, status: str = "", service: str = "", severity: str = "",
           q: Annotated[str, Query(max_length=200)] = "",
           number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1) -> HTMLResponse:
    db: Database = request.app.state.db
    now = request.app.state.clock()
    where = queries.AlertFilter(statuses=STATUS_CHOICES.get(status, ()), service=service or None,
                                severity=severity or None, search=q or None)
    with db.unit_of_work(write=False) as session:
        found = queries.list_alerts(session, actor, where, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
        services = reference_data.current(session).service_names
        refs = queries.incident_refs(session, {a.incident_id for a in found if a.incident_id})
        rows = [_row(a, services, refs, now) for a in found[:PAGE_SIZE]]
        choices = _choices(session)
    filters = {"status": status, "service": service, "severity": severity, "q": q}

    def page_link(n: int) -> str:
        return "/alerts?" + urlencode({k: v for k, v in filters.items() if v} | ({"page": n} if n > 1 else {}))

    return page(request, "alerts.html", {
        "rows": rows, "filters": filters, "choices": choices, "page_number": number,
        "newer": page_link(number - 1) if number > 1 else None,
        "older": page_link(number + 1) if len(found) > PAGE_SIZE else None,
        "filtered": any(filters.values())})


def _explain_form(request: Request, *, payload: str = "", service: str = "", fmt: str = "",
                  result: Any = None, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        choices = _choices(session)
    return page(request, "alert_explain.html", {
        "payload": payload, "service": service, "fmt": fmt, "formats": FORMATS, "choices": choices,
        "result": result, "error": error}, status_code=status_code)


@router.get("/alerts/explain", response_class=HTMLResponse)
def explain_form(request: Request, actor: WebActor) -> HTMLResponse:
    return _explain_form(request)


@router.post("/alerts/explain", dependencies=[CsrfChecked], response_class=HTMLResponse)
def explain_payload(request: Request, actor: WebActor,
                    payload: Annotated[str, Form(max_length=MAX_PAYLOAD_CHARS)] = "",
                    service: Annotated[str, Form(max_length=100)] = "",
                    fmt: Annotated[str, Form(alias="format", max_length=20)] = "") -> HTMLResponse:
    """Nothing is written: explain runs ingestion in a transaction it rolls back."""
    again = partial(_explain_form, request, payload=payload, service=service, fmt=fmt)  # the form as sent
    try:
        body = json.loads(payload)
    except ValueError as exc:
        return again(error=f"The payload is not JSON: {exc}.", status_code=400)
    try:
        result = explain(request.app.state.db, body, service=service or None, fmt=fmt or None,
                         now=request.app.state.clock())
    except Invalid as exc:
        return again(error=exc.message[:1].upper() + exc.message[1:] + ".", status_code=400)
    return again(result=result)


def _incident(session: Session, alert: Alert) -> dict[str, Any] | None:
    if alert.incident_id is None:
        return None
    incident = session.get(Incident, alert.incident_id)
    return None if incident is None else {"ref": f"INC-{incident.number}", "title": incident.title,
                                          "status": incident.status, "private": incident.private}


def _history(session: Session, alert: Alert, now: datetime) -> list[dict[str, Any]]:
    events = queries.history(session, alert.id)
    return [{"action": e.action, "outcome": e.outcome, "at": shown(e.received_at, now),
             "payload": json.dumps(e.payload, indent=2, sort_keys=True, ensure_ascii=False)
             if e.payload is not None else None} for e in reversed(events)]


def _link(link: Link) -> dict[str, str]:
    """A link with the host it leads to, so a person knows where a click goes."""
    return {"text": link.text, "href": link.href, "host": urlsplit(link.href).hostname or ""}


def _alert_context(session: Session, actor: Actor, alert_id: str, now: datetime) -> dict[str, Any]:
    alert = queries.find_alert(session, actor, alert_id)
    about = {"source": alert.source, "source_severity": alert.source_severity, "format": alert.format,
             "group_key": alert.group_key, "labels": dict(sorted((alert.labels or {}).items())),
             "annotations": dict(sorted((alert.annotations or {}).items())), "tags": alert.tags or [],
             "acknowledged": shown(alert.acknowledged_at, now), "resolved": shown(alert.resolved_at, now),
             "details": json.dumps(alert.details, indent=2, sort_keys=True, ensure_ascii=False)
             if alert.details not in (None, {}, []) else None}
    return {"alert": _row(alert, reference_data.current(session).service_names, {}, now) | about,
            "incident": _incident(session, alert),
            "links": [_link(link) for link in queries.links_of(session, alert)],
            "history": _history(session, alert, now), "ranks": _choices(session)["ranks"]}


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, actor: WebActor, alert_id: str) -> HTMLResponse:
    db: Database = request.app.state.db
    try:
        with db.unit_of_work(write=False) as session:
            context = _alert_context(session, actor, alert_id, request.app.state.clock())
    except NotFound:  # the same page for a missing alert and for one this person may not see
        return not_found(request, "such alert")
    return page(request, "alert.html", context)


def refused(request: Request, exc: DecisionError) -> HTMLResponse:
    """A person's change the service refused: what it said, with the status the API would give."""
    status = {"not_found": 404, "forbidden": 403, "conflict": 409}.get(getattr(exc, "kind", ""), 400)
    title = {403: "Not allowed", 404: "Not found", 409: "Already done"}.get(status, "Not possible")
    return page(request, "message.html", {"title": title, "message": exc.message[:1].upper() + exc.message[1:] + "."},
                status_code=status)

