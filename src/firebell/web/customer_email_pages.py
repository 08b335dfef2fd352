"""The console's customer email page, /incidents/INC-n/customer-email: the draft's words in a form, the
mail as each customer would receive it, and approve (which sends) or discard. Every change calls
messages/customer_email.py, as the API does; a viewer sees the words and no form, an outsider of a private
incident the same "not found" page as for an incident that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.deps import DB, Now
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.messages import customer_email as service
from firebell.store.uow import Database
from firebell.web.deps import CsrfChecked, WebActor
from firebell.web.errors import not_found_page
from firebell.web.render import page
from firebell.web.timefmt import HELPERS

router = APIRouter(tags=["console"], include_in_schema=False)
_STATUS: dict[type[Exception], int] = {Invalid: 422, Conflict: 409, Forbidden: 403}
Text = Annotated[str, Form()]


def _public_url(request: Request) -> str:
    return str(getattr(request.app.state.channels, "public_url", "")).rstrip("/")


def _page(request: Request, db: Database, actor: Actor, ref: str, now: datetime, *, error: str = "",
          typed: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    try:
        with db.unit_of_work(write=False) as session:
            incident, draft = service.find(session, actor, ref)
            may = service.allowed(session, actor, incident, draft)
            policy = next((p for p in service.policies(session) if p.severity == incident.severity), None)
            customers = service.customers_of(session, incident)
            previews = (service.preview(session, actor, ref, now, public_url=_public_url(request))[2]
                        if draft is not None and draft.state == "draft" else [])
            open_draft = draft is not None and draft.state == "draft"
            words = typed or ({name: getattr(draft, name) for name in service.FIELDS} if open_draft
                              else service.prefilled(incident))
            context = {"i": incident, "draft": draft, "may": may, "policy": policy, "customers": customers,
                       "previews": previews, "words": words, "open_draft": open_draft, "now": now,
                       "error": error, "done": request.query_params.get("done", "")}
            return page(request, "customer_email.html", HELPERS | context, status_code=status_code)
    except NotFound:
        return not_found_page(request, "Incident not found", f"There is no incident {ref[:40]} you can see.")


@router.get("/incidents/{ref}/customer-email", response_class=HTMLResponse)
def customer_email(request: Request, ref: str, db: DB, actor: WebActor, now: Now) -> HTMLResponse:
    return _page(request, db, actor, ref, now())


def _act(request: Request, db: Database, actor: Actor, ref: str, now: Callable[[], datetime],
         use_case: Callable[[Session, datetime], str], typed: dict[str, str] | None = None) -> Response:
    try:
        with db.unit_of_work() as session:
            done = use_case(session, now())
    except (Invalid, Conflict, Forbidden) as exc:
        return _page(request, db, actor, ref, now(), error=str(exc), typed=typed,
                     status_code=_STATUS.get(type(exc), 400))
    except NotFound:
        return _page(request, db, actor, ref, now())  # the incident's own 404, or the page saying there is no draft
    return RedirectResponse(f"/incidents/{ref}/customer-email?{urlencode({'done': done})}", status_code=303)


@router.post("/incidents/{ref}/customer-email", dependencies=[CsrfChecked])
def save(request: Request, ref: str, db: DB, actor: WebActor, now: Now, summary: Text = "", impact: Text = "",
         root_cause: Text = "", remediation: Text = "", prevention: Text = "") -> Response:
    typed = {"summary": summary, "impact": impact, "root_cause": root_cause, "remediation": remediation,
             "prevention": prevention}
    return _act(request, db, actor, ref, now, lambda s, at: service.save_draft(s, actor, ref, typed, at).state
                and "draft saved: check the preview below", typed)


@router.post("/incidents/{ref}/customer-email/approve", dependencies=[CsrfChecked])
def approve(request: Request, ref: str, db: DB, actor: WebActor, now: Now, override_private: Text = "") -> Response:
    def use_case(session: Session, at: datetime) -> str:
        sent = service.approve(session, actor, ref, at, override_private=override_private in ("1", "on", "true"),
                               public_url=_public_url(request))
        return f"approved: sending to {len(sent.recipients)} customers, one mail each"
    return _act(request, db, actor, ref, now, use_case)


@router.post("/incidents/{ref}/customer-email/discard", dependencies=[CsrfChecked])
def discard(request: Request, ref: str, db: DB, actor: WebActor, now: Now, reason: Text = "") -> Response:
    return _act(request, db, actor, ref, now, lambda s, at: service.discard(s, actor, ref, at, reason).state
                and "draft discarded")
