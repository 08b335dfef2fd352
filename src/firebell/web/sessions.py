"""Who the browser behind a request is, and the CSRF token its forms carry.

A request's session is looked up once (cached on `request.state`) whoever asks: the page's
dependencies, the CSRF check and the layout. A signed-in browser's forms carry its session's CSRF
secret; a browser that is not signed in (the sign-in and password forms) gets a random token in a
cookie of its own, and its forms must carry the same value (double submit).
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from firebell.actor import Actor
from firebell.auth.web_sessions import LiveSession, StartedSession, find_session, touch_session
from firebell.store.uow import Database
from firebell.web.settings import WebSettings

_UNSET = object()


def settings(request: Request) -> WebSettings:
    found: WebSettings = request.app.state.web_settings
    return found


def signed_in(request: Request) -> LiveSession | None:
    """The live session of this request's browser, or None. Blocking (the database): call it from
    a sync route or dependency, or through the thread pool."""
    cached = getattr(request.state, "web_session", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    config = settings(request)
    db: Database = request.app.state.db
    now = request.app.state.clock()
    with db.unit_of_work(write=False) as session:
        live = find_session(session, request.cookies.get(config.session_cookie), now=now)
    if live is not None and live.needs_touch:
        with db.unit_of_work() as session:
            touch_session(session, live.id, now=now, lifetimes=config.lifetimes)
    request.state.web_session = live
    return live


def viewer(request: Request) -> Actor | None:
    live = signed_in(request)
    return live.actor if live is not None else None


def csrf_token(request: Request) -> str:
    """The token this browser's forms must carry. For a browser not signed in it may be new: then
    `remember_csrf_cookie` must put it on the response."""
    live = signed_in(request)
    if live is not None:
        return live.csrf_secret
    existing = request.cookies.get(settings(request).csrf_cookie) or getattr(request.state, "new_csrf", None)
    if existing:
        return str(existing)
    request.state.new_csrf = secrets.token_urlsafe(32)
    return str(request.state.new_csrf)


def remember_csrf_cookie(request: Request, response: Response) -> None:
    new = getattr(request.state, "new_csrf", None)
    if new:
        config = settings(request)
        response.set_cookie(config.csrf_cookie, new, httponly=True, samesite="lax", secure=config.https, path="/")


def set_session_cookie(request: Request, response: Response, started: StartedSession) -> None:
    config = settings(request)
    response.set_cookie(config.session_cookie, started.secret, max_age=int(config.lifetimes.absolute.total_seconds()),
                        httponly=True, samesite="lax", secure=config.https, path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    config = settings(request)
    response.delete_cookie(config.session_cookie, httponly=True, samesite="lax", secure=config.https, path="/")


def session_secret(request: Request) -> str | None:
    return request.cookies.get(settings(request).session_cookie)


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else ""


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in person; answered with a redirect to /sign-in (and
    back to `next_path` afterwards, for a GET)."""

    def __init__(self, next_path: str | None) -> None:
        super().__init__(next_path)
        self.next_path = next_path
