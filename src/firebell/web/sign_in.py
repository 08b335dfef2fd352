"""Signing in with a password, and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from firebell.auth.passwords import verify_password
from firebell.auth.web_sessions import end_session, start_session
from firebell.core.sign_in import safe_next
from firebell.store.uow import Database
from firebell.web.deps import CsrfChecked
from firebell.web.render import page
from firebell.web.sessions import (
    clear_session_cookie,
    client_address,
    session_secret,
    set_session_cookie,
    settings,
    signed_in,
)

router = APIRouter(include_in_schema=False)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str | None = None) -> Response:
    if signed_in(request) is not None:
        return see_other(safe_next(next))
    return page(request, "sign_in.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/sign-in", dependencies=[CsrfChecked], response_class=HTMLResponse)
def sign_in(request: Request, username: Annotated[str, Form(max_length=100)] = "",
            password: Annotated[str, Form(max_length=2000)] = "",
            next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    db: Database = request.app.state.db
    now = request.app.state.clock()
    username = username.strip()
    with db.unit_of_work() as session:
        user = verify_password(session, user_name=username, plain=password)
        if user is not None:
            started = start_session(session, user, now=now, lifetimes=settings(request).lifetimes,
                                    client_address=client_address(request),
                                    user_agent=request.headers.get("user-agent", ""),
                                    replacing=session_secret(request))
    if user is None:
        return page(request, "sign_in.html", {"next": safe_next(next), "username": username,
                                              "error": "Wrong username or password."}, status_code=401)
    response = see_other(safe_next(next))
    set_session_cookie(request, response, started)
    return response


@router.post("/sign-out", dependencies=[CsrfChecked])
def sign_out(request: Request) -> Response:
    secret = session_secret(request)
    if secret:
        db: Database = request.app.state.db
        with db.unit_of_work() as session:
            end_session(session, secret, now=request.app.state.clock())
    response = see_other("/sign-in")
    clear_session_cookie(request, response)
    return response
