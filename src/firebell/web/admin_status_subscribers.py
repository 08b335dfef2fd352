"""/admin/status-subscribers: the status page's subscribers for admins, quarantined ones marked with
why and a button to release them, and a CSV import that skips the confirmation mails only when the
admin ticks the box that says so. Every action calls statuspage/subscriptions/service.py, as
/api/v1/status-page/subscribers does (which also writes the audit entries)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.api.problems import status_for
from firebell.errors import DecisionError, Invalid
from firebell.statuspage.subscriptions import service
from firebell.store.uow import Database
from firebell.web.admin import AdminActor
from firebell.web.deps import CsrfChecked
from firebell.web.render import page
from firebell.web.timefmt import HELPERS

router = APIRouter(include_in_schema=False)
PATH = "/admin/status-subscribers"
STATES = ("", "quarantined", "confirmed", "pending", "unsubscribed")
RELEASED = "Released from quarantine: it receives the next notices."


def _page(request: Request, actor: AdminActor, *, state: str = "", imported: service.Imported | None = None,
          skipped: bool = False, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        everyone = service.listing(session, actor, None)
    counts = {name: sum(1 for s in everyone if s["state"] == name) for name in STATES if name}
    shown = [s for s in everyone if not state or s["state"] == state]
    shown.sort(key=lambda s: (s["state"] != "quarantined", s["address"]))  # what needs an admin first
    notice = RELEASED if request.query_params.get("done") == "released" else None
    return page(request, "admin_status_subscribers.html", HELPERS | {
        "subscribers": shown, "counts": counts, "state": state, "states": STATES, "imported": imported,
        "skipped": skipped, "notice": notice, "error": error, "now": request.app.state.clock()},
        status_code=status_code)


@router.get(PATH, response_class=HTMLResponse)
def subscribers(request: Request, actor: AdminActor, state: str = "") -> HTMLResponse:
    return _page(request, actor, state=state if state in STATES else "")


@router.post(PATH + "/{subscriber_id}/release", dependencies=[CsrfChecked])
def release(request: Request, actor: AdminActor, subscriber_id: str) -> Response:
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            service.release(session, actor, subscriber_id, request.app.state.clock())
    except DecisionError as exc:
        return _page(request, actor, error=exc.message, status_code=status_for(exc))
    return RedirectResponse(f"{PATH}?done=released", status_code=303)


@router.post(PATH + "/import", dependencies=[CsrfChecked])
def import_csv(request: Request, actor: AdminActor, csv_file: Annotated[UploadFile | None, File()] = None,
               skip_confirmation: Annotated[str, Form()] = "") -> Response:
    skip = skip_confirmation in ("1", "on", "true")
    db: Database = request.app.state.db
    try:
        raw = csv_file.file.read(service.MAX_CSV_BYTES + 1) if csv_file is not None else b""
        if not raw:
            raise Invalid("choose a CSV file to import")
        text = service.csv_text(raw)
        with db.unit_of_work() as session:
            done = service.import_csv(session, actor, text, request.app.state.clock(), skip_confirmation=skip)
    except DecisionError as exc:
        return _page(request, actor, error=exc.message, status_code=status_for(exc))
    return _page(request, actor, imported=done, skipped=skip)
