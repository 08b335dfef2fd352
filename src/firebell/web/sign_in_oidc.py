"""Signing in through the OpenID Connect provider of `sign_in.oidc` (the protocol is auth/oidc.py).

GET /sign-in/oidc sends the browser to the provider, with a short-lived HttpOnly cookie that binds the
sign-in to this browser; the provider sends it back to GET /sign-in/oidc/callback, which starts a
session (as a password sign-in does) and goes on to `next`, or says plainly why nobody was signed in.
Both are GETs: they are links and redirects, and neither changes anything a forged request could
want (a callback from a browser that did not start the sign-in finds nothing to finish).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.auth.oidc import ATTEMPT_LIFETIME, SignedIn, SignInUnavailable, begin, finish, provider_title
from firebell.auth.web_sessions import start_session
from firebell.core.sign_in import safe_next
from firebell.org.models import User
from firebell.store.uow import Database
from firebell.web.render import page
from firebell.web.sessions import client_address, session_secret, set_session_cookie, settings

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
CALLBACK = "/sign-in/oidc/callback"


def _browser_cookie(request: Request) -> str:
    # The __Host- prefix (https only) stops a sibling subdomain from planting or shadowing it.
    return "__Host-firebell_oidc" if settings(request).https else "firebell_oidc"


def _unavailable(request: Request, exc: SignInUnavailable) -> HTMLResponse:
    log.warning("single sign-on unavailable: %s", exc)
    return page(request, "sign_in_refused.html", {
        "title": "Single sign-on is not available",
        "message": "Signing in through your organisation's provider does not work right now. Sign in with "
                   "your password, or ask an admin to look at the server's log."}, status_code=503)


def provider_button(request: Request) -> str | None:
    """The name the sign-in page's "Sign in with ..." button gives the provider, if one is configured."""
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        return provider_title(session)


@router.get("/sign-in/oidc")
def start(request: Request, next: str | None = None) -> Response:
    db: Database = request.app.state.db
    cookie = _browser_cookie(request)
    try:
        begun = begin(db, redirect_uri=settings(request).public_url + CALLBACK, next_path=safe_next(next),
                      now=request.app.state.clock(), browser_secret=request.cookies.get(cookie))
    except SignInUnavailable as exc:
        return _unavailable(request, exc)
    response = RedirectResponse(begun.authorization_url, status_code=303)
    # SameSite=Lax: the provider's redirect back is a top-level GET, which Lax cookies go along with.
    response.set_cookie(cookie, begun.browser_secret, max_age=int(ATTEMPT_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=settings(request).https, path="/")
    return response


@router.get(CALLBACK)
def callback(request: Request) -> Response:
    db: Database = request.app.state.db
    now = request.app.state.clock()
    cookie = _browser_cookie(request)
    try:
        outcome = finish(db, params=dict(request.query_params), browser_secret=request.cookies.get(cookie), now=now)
    except SignInUnavailable as exc:
        return _unavailable(request, exc)
    if isinstance(outcome, SignedIn):
        with db.unit_of_work() as session:
            user = session.get(User, outcome.user_id)
            assert user is not None  # signed in a moment ago
            started = start_session(session, user, now=now, lifetimes=settings(request).lifetimes, via="oidc",
                                    client_address=client_address(request),
                                    user_agent=request.headers.get("user-agent", ""),
                                    replacing=session_secret(request))
    if isinstance(outcome, SignedIn):
        response: Response = RedirectResponse(safe_next(outcome.next_path), status_code=303)
        set_session_cookie(request, response, started)
    else:
        response = page(request, "sign_in_refused.html", {"title": "Not signed in", "message": outcome.message},
                        status_code=outcome.status_code)
    response.delete_cookie(cookie, httponly=True, samesite="lax", secure=settings(request).https, path="/")
    return response
