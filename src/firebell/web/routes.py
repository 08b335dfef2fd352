"""Every page module of the web console, and what the app needs to serve them (app.py calls
`install`). A page module defines `router = APIRouter()` and is listed in ROUTERS, one line each."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from firebell.web import (
    admin,
    admin_status_subscribers,
    admin_templates,
    alerts_pages,
    customer_email_pages,
    errors,
    home,
    incident_pages,
    me,
    oncall,
    password_pages,
    services_pages,
    sign_in,
    sign_in_oidc,
    status_page_pages,
    status_subscriptions,
)
from firebell.web.deps import CsrfRefused, no_nul
from firebell.web.errors import error_page
from firebell.web.headers import WebHeaders
from firebell.web.render import STATIC
from firebell.web.sessions import SignInRequired
from firebell.web.settings import web_settings_from_env

ROUTERS: list[APIRouter] = [
    home.router,
    sign_in.router,
    sign_in_oidc.router,
    password_pages.router,
    incident_pages.router,
    customer_email_pages.router,
    oncall.router,
    alerts_pages.router,
    services_pages.router,
    me.router,
    admin.router,
    admin_templates.router,
    status_subscriptions.router,
    status_page_pages.router,
    admin_status_subscribers.router,
]


def install(app: FastAPI, public_url: str) -> None:
    app.state.web_settings = web_settings_from_env(public_url)
    app.add_middleware(WebHeaders, https=app.state.web_settings.https)
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(admin.AdminsOnly, admin.admins_only)
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(no_nul)])
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)  # after api/problems.py's handlers (app.py), which it keeps for the machine paths


def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = "/sign-in" if exc.next_path is None else f"/sign-in?next={quote(exc.next_path, safe='/')}"
    return RedirectResponse(target, status_code=303)


def _csrf_refused(request: Request, exc: Exception) -> HTMLResponse:
    return error_page(request, 403, "Form refused", "This form has expired or did not come from Firebell, so "
                      "nothing was changed. Go back, reload the page and try again.")
