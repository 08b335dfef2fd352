"""Dependencies of the web pages: the signed-in person, and the CSRF check every POST makes.

    @router.get("/things")
    def things(request: Request, actor: WebActor) -> HTMLResponse: ...

    @router.post("/things", dependencies=[CsrfChecked])
    def add_thing(request: Request, actor: WebActor, name: Annotated[str, Form()]) -> Response: ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from firebell.actor import Actor
from firebell.api.deps import refuse_nul
from firebell.core.constant_time import constant_time_equals
from firebell.web.sessions import SignInRequired, csrf_token, settings, signed_in

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"  # for the page's own script (fetch), which sends no form
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(Exception):
    """A POST without this browser's CSRF token: answered with a 403 page, and nothing was done."""


def web_actor(request: Request) -> Actor:
    """The signed-in person; a browser without a live session is sent to sign in (a GET comes back
    here afterwards)."""
    live = signed_in(request)
    if live is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path if request.method in ("GET", "HEAD") else None)
    return live.actor


async def check_csrf(request: Request) -> None:
    """403, before the route runs, unless the request carries this browser's CSRF token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    live = await run_in_threadpool(signed_in, request)
    expected = live.csrf_secret if live is not None else request.cookies.get(settings(request).csrf_cookie)
    if not sent or not expected or not constant_time_equals(sent, expected):
        raise CsrfRefused


async def no_nul(request: Request) -> None:
    """A page's query, path and form values never hold NUL: PostgreSQL refuses it in text, so a page
    looked up by one (/services/%00) was a server error there. Refused as not understood instead."""
    refuse_nul("query", request.query_params.multi_items())
    refuse_nul("path", request.path_params.items())
    if request.method == "POST" and request.headers.get("content-type", "").startswith(_FORMS):
        refuse_nul("form", (await request.form()).multi_items())


WebActor = Annotated[Actor, Depends(web_actor)]
CsrfChecked = Depends(check_csrf)

__all__ = ["CSRF_FIELD", "CsrfChecked", "CsrfRefused", "WebActor", "csrf_token"]
