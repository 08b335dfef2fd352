"""Setting a password from a one-time link (an invitation or a reset), and asking for a reset link.

The link's secret is in the URL: these pages send no Referer anywhere, and the server log shows the
route, not the secret (api/log_redaction.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.background import BackgroundTask

from firebell.auth.password_links import LinkNotUsable, open_link, request_reset, use_link
from firebell.auth.web_sessions import start_session
from firebell.errors import Invalid
from firebell.notify.account_mail import send_password_link
from firebell.store.uow import Database
from firebell.web.deps import CsrfChecked
from firebell.web.render import page
from firebell.web.sessions import client_address, session_secret, set_session_cookie, settings
from firebell.web.sign_in import see_other

router = APIRouter(include_in_schema=False)
_HEADING = {"invite": "Welcome to Firebell", "reset": "Choose a new password"}
_DEAD_LINK = ("This link does not work any more: it was used, it expired, or it was never valid. "
              "Ask an admin for a new one, or use \u201cForgot your password?\u201d on the sign-in page.")


def _private(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _form(request: Request, purpose: str, token: str, error: str | None = None, status_code: int = 200) -> Response:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        link = open_link(session, token, purpose=purpose, now=request.app.state.clock())
        person = None if link is None else {"name": link.user.full_name or link.user.name, "user_name": link.user.name}
    if person is None:
        return _private(page(request, "message.html", {"title": "Link not usable", "message": _DEAD_LINK},
                             status_code=404))
    return _private(page(request, "set_password.html", {
        "heading": _HEADING[purpose], "person": person, "action": f"{request.url.path}", "error": error,
        "purpose": purpose}, status_code=status_code))


def _set(request: Request, purpose: str, token: str, password: str, again: str) -> Response:
    if password != again:
        return _form(request, purpose, token, "The two passwords differ. Type the same password twice.", 400)
    db: Database = request.app.state.db
    now = request.app.state.clock()
    try:
        with db.unit_of_work() as session:
            user = use_link(session, token, purpose=purpose, password=password, now=now)
            started = start_session(session, user, now=now, lifetimes=settings(request).lifetimes, via=purpose,
                                    client_address=client_address(request),
                                    user_agent=request.headers.get("user-agent", ""),
                                    replacing=session_secret(request))
    except LinkNotUsable:
        return _private(page(request, "message.html", {"title": "Link not usable", "message": _DEAD_LINK},
                             status_code=404))
    except Invalid as exc:  # the password's rules: the link still works
        return _form(request, purpose, token, exc.message[:1].upper() + exc.message[1:] + ".", 400)
    response = see_other("/incidents")
    set_session_cookie(request, response, started)
    return _private(response)


Password = Annotated[str, Form(max_length=2000)]


@router.get("/invite/{token}", response_class=HTMLResponse)
def invite_form(request: Request, token: str) -> Response:
    return _form(request, "invite", token)


@router.post("/invite/{token}", dependencies=[CsrfChecked], response_class=HTMLResponse)
def accept_invite(request: Request, token: str, password: Password = "", again: Password = "") -> Response:
    return _set(request, "invite", token, password, again)


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_form(request: Request, token: str) -> Response:
    return _form(request, "reset", token)


@router.post("/reset/{token}", dependencies=[CsrfChecked], response_class=HTMLResponse)
def reset(request: Request, token: str, password: Password = "", again: Password = "") -> Response:
    return _set(request, "reset", token, password, again)


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_form(request: Request) -> Response:
    return page(request, "forgot_password.html", {"sent": False})


@router.post("/forgot-password", dependencies=[CsrfChecked], response_class=HTMLResponse)
def forgot(request: Request, who: Annotated[str, Form(max_length=320)] = "") -> Response:
    """The same answer, in about the same time, whether or not the account exists: the mail goes
    after the answer."""
    db: Database = request.app.state.db
    with db.unit_of_work() as session:
        link = request_reset(session, name_or_email=who, now=request.app.state.clock())
    response = page(request, "forgot_password.html", {"sent": True})
    if link is not None:
        response.background = BackgroundTask(send_password_link, request.app.state.channels, link)
    return response
