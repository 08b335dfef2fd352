"""Acknowledge and resolve from a link in a message.

Mail scanners and chat previews fetch links, so a GET never acts: it shows a small page with one
button, and the button's POST acts. Each link works once (its nonce is recorded when used), for the
person it was sent to, until it expires. The link is the person's credential here, not a session:
the pages work in a browser that never signed in (a phone at 3 a.m.), in the console's layout.

Every answer under /act/ (the page, the result, errors of any kind) carries headers that keep the page
out of other sites' frames (the one button could be clickjacked), keep its secret URL out of Referer
headers and out of caches, and let it load nothing but the console's own stylesheet and script.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firebell.api.deps import DB, Effects, Now
from firebell.core.action_links import ActionClaim, InvalidToken, read_token
from firebell.errors import DecisionError
from firebell.incidents.effects import IncidentEffects
from firebell.incidents.models import Incident
from firebell.incidents.respond import respond
from firebell.notify.models import ActionTokenUse
from firebell.org.models import User
from firebell.store.secrets import link_secret
from firebell.store.uow import Database
from firebell.web.render import environment, page

router = APIRouter(prefix="/act", tags=["action links"], include_in_schema=False)
_VERB = {"acknowledge": "Acknowledge", "resolve": "Resolve"}
_WHY = {"malformed": "This link is not a Firebell action link.", "bad signature": "This link is not valid.",
        "expired": "This link has expired. Open the incident in Firebell instead."}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


class ActionLinkHeaders:
    """Adds SECURITY_HEADERS to every response under the action-link routes, whoever made it (the
    route, or the app's handlers for a wrong method); other routes pass through. An unexpected error
    is answered here, as a page, because the app's last-resort handler answers outside all middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.prefix = f"{router.prefix}/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        started = False

        async def send_hardened(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_hardened)
        except Exception:
            if started:
                raise
            logging.getLogger("firebell").exception("unhandled error on %s", scope["path"])
            # The unit of work rolled back: nothing the link asked for was done.
            # Rendered without the request's session: the database may be what failed.
            failed = HTMLResponse(environment().get_template("message.html").render(
                viewer=None, csrf_token="", path=scope["path"], title="Something went wrong",
                message="The incident was not acknowledged or resolved. Try the link again, or open the "
                        "incident in Firebell."), status_code=500)
            await failed(scope, receive, send_hardened)


@dataclass(frozen=True)
class _Answer:
    """What a page says; rendered after the unit of work is over (the layout reads the session)."""

    title: str
    message: str
    status: int = 200
    incident_ref: str | None = None
    done: bool = False

    def render(self, request: Request) -> HTMLResponse:
        return page(request, "act_result.html", {"title": self.title, "message": self.message, "done": self.done,
                                                 "incident_ref": self.incident_ref}, status_code=self.status)


def _claim(session: Session, token: str, now: datetime) -> ActionClaim | _Answer:
    try:
        claim = read_token(link_secret(session), token, now)
    except InvalidToken as exc:
        return _Answer("Link not usable", _WHY.get(exc.reason, "This link is not valid."), 400)
    if claim.action not in _VERB:
        return _Answer("Link not usable", "This link asks for an action Firebell does not take from links.", 400)
    return claim


@router.get("/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str, db: DB, now: Now) -> HTMLResponse:
    with db.unit_of_work(write=False) as session:  # pages are rendered after it: the layout reads the session
        shown = _confirmation(session, token, now())
    if isinstance(shown, _Answer):
        return shown.render(request)
    return page(request, "act_confirm.html", {"incident": shown})


def _confirmation(session: Session, token: str, now: datetime) -> dict[str, str] | _Answer:
    claim = _claim(session, token, now)
    if isinstance(claim, _Answer):
        return claim
    incident = session.get(Incident, claim.incident_id)
    if incident is None:
        return _Answer("Link not usable", "That incident no longer exists.", 404)
    return {"verb": _VERB[claim.action], "ref": incident.ref, "severity": incident.severity,
            "title": incident.title, "status": incident.status}


@router.post("/{token}", response_class=HTMLResponse)
def act(request: Request, token: str, db: DB, now: Now, effects: Effects) -> HTMLResponse:
    return _act(token, db, now(), effects).render(request)


def _act(token: str, db: Database, at: datetime, effects: IncidentEffects) -> _Answer:
    used = _Answer("Link already used", "This link has been used. Open the incident in Firebell.", 409)
    try:
        with db.unit_of_work() as session:
            claim = _claim(session, token, at)
            if isinstance(claim, _Answer):
                return claim
            user = session.get(User, claim.user_id)
            if user is None or user.archived_at is not None:
                return _Answer("Link not usable", "The person this link was sent to no longer has access.", 403)
            if session.get(ActionTokenUse, claim.nonce) is not None:
                return used
            session.add(ActionTokenUse(nonce=claim.nonce, action=claim.action, incident_id=claim.incident_id,
                                       user_id=user.id, used_at=at))
            session.flush()  # a used nonce fails here, before anything else is written
            done = respond(session, user, claim.incident_id, claim.action, "link", at, effects=effects)
            ref = session.get(Incident, claim.incident_id)
            return _Answer("Done", f"{done}.", incident_ref=ref.ref if ref is not None else None, done=True)
    except IntegrityError:  # the same link used twice at the same moment: the other use won
        return used
    except DecisionError as exc:
        return _Answer("Nothing to do", exc.message, 409)
