"""The public side of status-page subscriptions: the subscribe form (email, double opt-in, the whole
page or chosen components), the confirmation link and the one-click unsubscribe link. They are pages
of the status site (its name, logo, colours, header and footer: statuspage/site.site_page), made from
the page's current public build (statuspage/live.py), so showing the form reads nothing the public
pages do not; the form is at /subscribe and /status/subscribe, and on the page's own host at /subscribe.

Mail scanners fetch links, so a GET never acts: the confirmation and unsubscribe links show a page
with one button, whose POST acts. The unsubscribe POST also takes RFC 8058's one-click request
(`List-Unsubscribe=One-Click`, sent by mail clients without any cookie): the signed link is the
credential there, as the link is for /act/. The subscribe form is an ordinary form with a CSRF token.
Like /act/, these pages keep out of frames, caches and Referer headers, and run no script.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from firebell.core.status_site import subscribable
from firebell.core.status_subscriptions import CONFIRMATION_TTL
from firebell.errors import Invalid
from firebell.statuspage.live import Built, site_of
from firebell.statuspage.site import site_page
from firebell.statuspage.subscriptions import service
from firebell.store.uow import Database
from firebell.web.act import SECURITY_HEADERS
from firebell.web.deps import CsrfChecked
from firebell.web.sessions import csrf_token, remember_csrf_cookie

router = APIRouter(include_in_schema=False)
_READ = ["GET", "HEAD"]  # a link checker's or mail scanner's HEAD is answered as its GET is (never acting)
_IMAGES = "img-src 'self' data:"
assert _IMAGES in SECURITY_HEADERS["Content-Security-Policy"]


def _built(request: Request) -> Built | None:
    """The status page's current public build (None: no page): kept in memory, made once per change.
    Another process's change (a `config apply` adding a component) shows as on the public pages: the
    version is checked at most every live.CHECK_S."""
    db: Database = request.app.state.db
    site, now = site_of(db.engine), request.app.state.clock()
    if site.check_due():
        site.check(now)
    return site.build(now)


def _render(request: Request, built: Built | None, template: str, status: int = 200, **names: Any) -> Response:
    """A page of the status site, under the /act/ pages' headers (its logo's host added to img-src)."""
    on_own_host = built is not None and request.headers.get("host", "").lower() == built.host
    body = site_page(built.documents if built else None, template, root="/" if on_own_host else "/status/",
                     now=request.app.state.clock(), css=built.files()["status.css"] if built else None,
                     csrf_token=csrf_token(request), **names)
    response = HTMLResponse(body, status_code=status)
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    origin = built.logo_origin if built else None
    if origin:
        response.headers["Content-Security-Policy"] = SECURITY_HEADERS["Content-Security-Policy"].replace(
            _IMAGES, f"{_IMAGES} {origin}")
    remember_csrf_cookie(request, response)
    return response


def _choices(built: Built | None) -> list[tuple[str | None, list[tuple[str, str]]]]:
    return subscribable(built.documents["summary"]["components"]) if built else []


def _form(request: Request, built: Built | None, *, email: str = "", chosen: list[str] | None = None,
          error: str | None = None, done: bool = False, status: int = 200) -> Response:
    return _render(request, built, "subscribe.html", status, email=email, chosen=chosen or [],
                   choices=_choices(built), error=error, done=done,
                   hours=int(CONFIRMATION_TTL.total_seconds() // 3600))


def _chosen(scope: str | None, components: list[str] | None) -> list[str] | None:
    """The components the form asks for (None: the whole page). The radio says which; a form without it
    (a script's POST) lets the boxes say. Boxes ticked under "everything" are a question, not a guess."""
    if scope == "page" and components:
        raise Invalid("You ticked components but chose everything on this page: choose “Only the components "
                      "I choose”, or untick them")
    if scope == "components" and not components:
        raise Invalid("Choose at least one component, or everything on this page")
    return components or None


@router.api_route("/subscribe", methods=_READ, response_class=HTMLResponse)
@router.api_route("/status/subscribe", methods=_READ, response_class=HTMLResponse)
def subscribe_form(request: Request) -> Response:
    return _form(request, _built(request))


@router.post("/subscribe", dependencies=[CsrfChecked], response_class=HTMLResponse)
@router.post("/status/subscribe", dependencies=[CsrfChecked], response_class=HTMLResponse)
def subscribe(request: Request, email: Annotated[str, Form(max_length=service.MAX_ADDRESS)] = "",
              scope: Annotated[str | None, Form(max_length=20)] = None,
              # No count here: the service says how many it takes, on the form (the form parser caps the fields).
              components: Annotated[list[str] | None, Form()] = None) -> Response:
    built = _built(request)
    db: Database = request.app.state.db
    known = [cid for _, items in _choices(built) for cid, _ in items]
    try:
        chosen = _chosen(scope, components)
        with db.unit_of_work() as session:
            service.subscribe_email(session, email, chosen, request.app.state.clock(), known=known)
    except Invalid as exc:
        return _form(request, built, email=email, chosen=components, error=exc.message, status=422)
    return _form(request, built, done=True)


def _result(request: Request, title: str, message: str, status: int = 200, done: bool = False) -> Response:
    return _render(request, _built(request), "subscription.html", status, title=title, message=message,
                   done=done, address="", button="")


def _button(request: Request, title: str, address: str, message: str, button: str) -> Response:
    return _render(request, _built(request), "subscription.html", title=title, address=address, message=message,
                   button=button, done=False)


_GONE = ("Link not usable", "This confirmation link is not valid, or was already used. Subscribe again to get a "
         "new one.", 404)
_EXPIRED = ("Link expired", "This confirmation link has expired. Subscribe again to get a new one.", 410)


@router.api_route("/subscriptions/confirm/{token}", methods=_READ, response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> Response:
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        found = service.look_up_confirmation(session, token, request.app.state.clock())
    if found.outcome == "expired":
        return _result(request, *_EXPIRED)
    if found.outcome != "ready":
        return _result(request, *_GONE)
    return _button(request, "Confirm your subscription", found.address,
                   "Status updates will be mailed to this address.", "Confirm subscription")


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


@router.api_route("/subscriptions/unsubscribe/{token}", methods=_READ, response_class=HTMLResponse)
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
    return _button(request, "Unsubscribe", address, "This address will receive no more status updates.",
                   "Unsubscribe")


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
