"""Acknowledge and resolve from a link in a message.

Mail scanners and chat previews fetch links, so a GET never acts: it shows a small page with one
button, and the button's POST acts. Each link works once (its nonce is recorded when used), for the
person it was sent to, until it expires.

Every answer under /act/ (the page, the result, errors of any kind) carries headers that keep the page
out of other sites' frames (the one button could be clickjacked), keep its secret URL out of Referer
headers and out of caches, and let it load nothing but its own inline style.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firebell.api.deps import DB, Effects, Now
from firebell.core.action_links import ActionClaim, InvalidToken, read_token
from firebell.errors import DecisionError
from firebell.incidents.models import Incident
from firebell.incidents.respond import respond
from firebell.notify.models import ActionTokenUse
from firebell.org.models import User
from firebell.store.secrets import link_secret

router = APIRouter(prefix="/act", tags=["action links"], include_in_schema=False)
_VERB = {"acknowledge": "Acknowledge", "resolve": "Resolve"}
_WHY = {"malformed": "This link is not a Firebell action link.", "bad signature": "This link is not valid.",
        "expired": "This link has expired. Open the incident in Firebell instead."}
_STYLE = ("body{font:18px system-ui;margin:2em auto;max-width:32em;padding:0 1em}"
          "button{font-size:1.2em;padding:.6em 1.4em}")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
SECURITY_HEADERS = {
    "Content-Security-Policy": f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
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
            failed = _page("Something went wrong", "<p>The incident was not acknowledged or resolved. Try the "
                           "link again, or open the incident in Firebell.</p>", 500)
            await failed(scope, receive, send_hardened)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>", status_code=status)


def _claim(session: Session, token: str, now: datetime) -> ActionClaim | HTMLResponse:
    try:
        claim = read_token(link_secret(session), token, now)
    except InvalidToken as exc:
        return _page("Link not usable", f"<p>{html.escape(_WHY.get(exc.reason, 'This link is not valid.'))}</p>", 400)
    if claim.action not in _VERB:
        return _page("Link not usable", "<p>This link asks for an action Firebell does not take from links.</p>", 400)
    return claim


@router.get("/{token}", response_class=HTMLResponse)
def confirm(token: str, db: DB, now: Now) -> HTMLResponse:
    with db.unit_of_work(write=False) as session:
        claim = _claim(session, token, now())
        if isinstance(claim, HTMLResponse):
            return claim
        incident = session.get(Incident, claim.incident_id)
        if incident is None:
            return _page("Link not usable", "<p>That incident no longer exists.</p>", 404)
        verb = _VERB[claim.action]
        return _page(f"{verb} {incident.ref}?", (
            f"<p><strong>{html.escape(incident.ref)}</strong> [{html.escape(incident.severity)}] "
            f"{html.escape(incident.title)}</p><p>Status: {html.escape(incident.status)}</p>"
            f"<form method=post><button type=submit>{verb} {html.escape(incident.ref)}</button></form>"))


@router.post("/{token}", response_class=HTMLResponse)
def act(token: str, db: DB, now: Now, effects: Effects) -> HTMLResponse:
    at = now()
    try:
        with db.unit_of_work() as session:
            claim = _claim(session, token, at)
            if isinstance(claim, HTMLResponse):
                return claim
            user = session.get(User, claim.user_id)
            if user is None or user.archived_at is not None:
                return _page("Link not usable", "<p>The person this link was sent to no longer has access.</p>", 403)
            if session.get(ActionTokenUse, claim.nonce) is not None:
                return _page("Link already used", "<p>This link has been used. Open the incident in Firebell.</p>",
                             409)
            session.add(ActionTokenUse(nonce=claim.nonce, action=claim.action, incident_id=claim.incident_id,
                                       user_id=user.id, used_at=at))
            session.flush()  # a used nonce fails here, before anything else is written
            done = respond(session, user, claim.incident_id, claim.action, "link", at, effects=effects)
            return _page(done, f"<p>Done: {html.escape(done)}.</p>")
    except IntegrityError:  # the same link used twice at the same moment: the other use won
        return _page("Link already used", "<p>This link has been used. Open the incident in Firebell.</p>", 409)
    except DecisionError as exc:
        return _page("Nothing to do", f"<p>{html.escape(exc.message)}</p>", 409)
