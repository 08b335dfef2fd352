"""The public side of status-page subscriptions: the subscribe form (email, double opt-in), the
confirmation link and the one-click unsubscribe link.

Mail scanners fetch links, so a GET never acts: the confirmation and unsubscribe links show a page
with one button, whose POST acts. The unsubscribe POST also takes RFC 8058's one-click request
(`List-Unsubscribe=One-Click`, sent by mail clients without any cookie): the signed link is the
credential there, as the link is for /act/. The subscribe form is an ordinary form with a CSRF token.
Like /act/, these pages keep out of frames, caches and Referer headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from firebell.core.status_subscriptions import CONFIRMATION_TTL
from firebell.errors import Invalid
from firebell.statuspage.subscriptions import service
from firebell.store.uow import Database
from firebell.web.act import SECURITY_HEADERS
from firebell.web.deps import CsrfChecked
from firebell.web.render import page

router = APIRouter(include_in_schema=False)
# (session) -> [(component id, name)] a subscriber may choose; the status page's model sets it on
# app.state.status_components. Unset: subscriptions are to the whole page.
ComponentChoices = Callable[[Session], list[tuple[str, str]]]


def _hardened(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def _choices(request: Request, session: Session) -> list[tuple[str, str]]:
    found: ComponentChoices | None = getattr(request.app.state, "status_components", None)
    return found(session) if found is not None else []


def _form(request: Request, *, email: str = "", chosen: list[str] | None = None, error: str | None = None,
          done: bool = False, status: int = 200) -> Response:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        choices = _choices(request, session)
    return _hardened(page(request, "status_subscribe.html", {
        "email": email, "chosen": chosen or [], "choices": choices, "error": error, "done": done,
        "hours": int(CONFIRMATION_TTL.total_seconds() // 3600)}, status_code=status))


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_form(request: Request) -> Response:
    return _form(request)


@router.post("/subscribe", dependencies=[CsrfChecked], response_class=HTMLResponse)
def subscribe(request: Request, email: Annotated[str, Form(max_length=service.MAX_ADDRESS)] = "",
              components: Annotated[list[str] | None, Form(max_length=service.MAX_COMPONENTS)] = None) -> Response:
    db: Database = request.app.state.db
    try:
        with db.unit_of_work() as session:
            known = [component_id for component_id, _ in _choices(request, session)]
            service.subscribe_email(session, email, components, request.app.state.clock(), known=known)
    except Invalid as exc:
        return _form(request, email=email, chosen=components, error=exc.message, status=422)
    return _form(request, done=True)


def _result(request: Request, title: str, message: str, status: int = 200, done: bool = False) -> Response:
    return _hardened(page(request, "act_result.html",  # the action links' result page fits as it is
                          {"title": title, "message": message, "done": done, "incident_ref": None},
                          status_code=status))


_GONE = ("Link not usable", "This confirmation link is not valid, or was already used. Subscribe again to get a "
         "new one.", 404)
_EXPIRED = ("Link expired", "This confirmation link has expired. Subscribe again to get a new one.", 410)


@router.get("/subscriptions/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        found = service.look_up_confirmation(session, token, request.app.state.clock())
    if found.outcome == "expired":
        return _result(request, *_EXPIRED)
    if found.outcome != "ready":
        return _result(request, *_GONE)
    return _hardened(page(request, "status_subscription_button.html", {
        "title": "Confirm your subscription", "address": found.address,
        "explain": "Status updates will be mailed to this address.", "button": "Confirm subscription"}))


@router.post("/subscriptions/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.unit_of_work() as session:
        done = service.confirm(session, token, request.app.state.clock())
    if done.outcome == "expired":
        return _result(request, *_EXPIRED)
    if done.outcome != "confirmed":
        return _result(request, *_GONE)
    return _result(request, "Subscribed", f"{done.address} will receive status updates. Every mail has a link "
                   "to unsubscribe.", done=True)


_NOT_FOUND = ("Link not usable", "This unsubscribe link is not valid, or the subscription no longer exists.", 404)


@router.get("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        subscriber = service.unsubscriber(session, token)
        address = service.shown_address(subscriber) if subscriber is not None else ""
        gone = subscriber is not None and subscriber.unsubscribed_at is not None
    if subscriber is None:
        return _result(request, *_NOT_FOUND)
    if gone:
        return _result(request, "Unsubscribed", f"{address} receives no status updates.", done=True)
    return _hardened(page(request, "status_subscription_button.html", {
        "title": "Unsubscribe", "address": address, "explain": "This address will receive no more status updates.",
        "button": "Unsubscribe"}))


@router.post("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str) -> Response:
    """The button, or a mail client's RFC 8058 one-click POST (`List-Unsubscribe=One-Click`)."""
    db: Database = request.app.state.db
    with db.unit_of_work() as session:
        subscriber = service.unsubscribe(session, token, request.app.state.clock())
        address = service.shown_address(subscriber) if subscriber is not None else ""
    if subscriber is None:
        return _result(request, *_NOT_FOUND)
    return _result(request, "Unsubscribed", f"{address} receives no status updates.", done=True)
