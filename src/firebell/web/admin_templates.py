"""/admin/templates: the message templates for admins, each purpose with its channels and where each
part's text comes from, and an editor per channel beside a preview rendered here on the server
(a form POST with CSRF, no script needed).

The config tree stays the source of truth: the editor never saves. It renders the edited text with
messages/templates.preview (the service behind POST /api/v1/templates/{name}/preview), shows
problems at their lines, and gives the `templates:` entry to paste into the tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.problems import status_for
from firebell.errors import DecisionError
from firebell.incidents import queries
from firebell.messages import templates
from firebell.org.models import Service
from firebell.store.uow import Database
from firebell.web.admin import AdminActor
from firebell.web.deps import CsrfChecked
from firebell.web.render import page

router = APIRouter(include_in_schema=False)
RECENT_INCIDENTS = 20
Choice = Annotated[str, Form(max_length=100)]
PartText = Annotated[str | None, Form(max_length=20_000)]


@router.get("/admin/templates", response_class=HTMLResponse)
def listing(request: Request, actor: AdminActor) -> HTMLResponse:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        found = templates.listing(session)
    return page(request, "admin_templates.html", {"templates": found, "error": None, "notice": None})


def _choices(session: Session, actor: Actor) -> dict[str, Any]:
    recent, _ = queries.list_incidents(session, actor, queries.IncidentFilter(limit=RECENT_INCIDENTS))
    return {"services": list(session.execute(select(Service.name).where(Service.archived_at.is_(None))
                                             .order_by(Service.name)).scalars()),
            "incidents": [(i.ref, i.title) for i in recent]}


def _editor(request: Request, actor: Actor, name: str, channel: str | None, service: str, incident: str,
            edited: Mapping[str, str] | None = None) -> HTMLResponse:
    """The editor prefilled with the effective text (or what the admin sent), and its preview."""
    db: Database = request.app.state.db
    status, problems, shown, error = 200, [], None, None
    with db.unit_of_work(write=False) as session:
        try:
            purpose = templates.purpose_of(name)
            channel = templates.channel_of(purpose, channel or None)
        except DecisionError as exc:
            return page(request, "message.html", {"title": "No such template", "message": exc.message},
                        status_code=status_for(exc))
        current = next(c for c in templates.effective(session, name, service or None).channels
                       if c.channel == channel)
        texts = {p.part: (edited or {}).get(p.part, p.text) for p in current.parts}
        unsaved = {part: text for part, text in texts.items()
                   if text != next(p.text for p in current.parts if p.part == part)}
        try:
            shown = templates.preview(session, actor, name, channel=channel, now=request.app.state.clock(),
                                      incident_ref=incident or None, service=service or None, unsaved=unsaved,
                                      public_url=request.app.state.channels.public_url)
        except templates.TemplateProblems as exc:
            status, problems = 422, exc.problems
        except DecisionError as exc:
            status, error = status_for(exc), exc.message
        choices = _choices(session, actor)
    parts = [{"part": p.part, "source": "edited here" if p.part in unsaved else p.source, "text": texts[p.part],
              "lines": _numbered(texts[p.part], {q.line for q in problems if q.part == p.part}),
              "problems": [q for q in problems if q.part == p.part]} for p in current.parts]
    return page(request, "admin_template.html", {
        "purpose": purpose, "channel": channel, "service": service, "incident": incident, "parts": parts,
        "preview": shown, "problems": problems, "error": error, "notice": None, "choices": choices,
        "entry": templates.config_entry(name, channel, service or None, texts),
        "variables": templates.variables_of(name)}, status_code=status)


def _numbered(text: str, bad: set[int]) -> list[dict[str, Any]]:
    """The text's lines with their numbers, marked where a problem is: shown only when there is one."""
    if not bad:
        return []
    return [{"number": n, "text": line, "bad": n in bad} for n, line in enumerate(text.split("\n"), start=1)]


@router.get("/admin/templates/{name}", response_class=HTMLResponse)
def editor(request: Request, actor: AdminActor, name: str, channel: str = "", service: str = "",
           incident: str = "") -> HTMLResponse:
    return _editor(request, actor, name, channel, service, incident)


@router.post("/admin/templates/{name}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def preview(request: Request, actor: AdminActor, name: str, channel: Choice = "", service: Choice = "",
            incident: Choice = "", subject: PartText = None, text: PartText = None, html: PartText = None,
            title: PartText = None, body: PartText = None) -> HTMLResponse:
    sent = {"subject": subject, "text": text, "html": html, "title": title, "body": body}
    # Browsers send a textarea's line breaks as CRLF; templates are written with LF.
    edited = {part: value.replace("\r\n", "\n") for part, value in sent.items() if value is not None}
    return _editor(request, actor, name, channel, service, incident, edited)
