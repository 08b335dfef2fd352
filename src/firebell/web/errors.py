"""Errors on the console's pages are pages: a person who follows a stale link, mistypes an address,
sends a form the server refuses, or meets a bug gets an HTML page in the layout, with a way on. The
machine paths (the REST API, the inbound integrations, the calendar feeds, health and the API's own
documents) keep the answers their clients parse: problem+json.

`install` wraps the handlers api/problems.py registered, so it must run after them: each wrapper
answers a page path itself and hands every other path to the handler it replaced."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from firebell.api.problems import status_for
from firebell.errors import DecisionError
from firebell.web.render import environment, page

# Paths whose callers are programs. Everything else is the console's (or a mistyped address of it).
MACHINE_PATHS = ("/api/", "/integrations/", "/v1/", "/v2/", "/ical/", "/healthz", "/readyz", "/openapi.json", "/docs",
                 "/redoc")
Handler = Callable[[Request, Exception], Response | Awaitable[Response]]
_log = logging.getLogger("firebell.web")
_TITLES = {400: "Not understood", 403: "Not allowed", 404: "Page not found", 405: "Not a page",
           409: "Not possible now", 413: "Too large", 422: "Not understood", 429: "Too many tries"}


def is_page_path(path: str) -> bool:
    return not path.startswith(MACHINE_PATHS)


def not_found_page(request: Request, title: str = "Page not found", message: str = "") -> HTMLResponse:
    """The one 404 page: for an address that names nothing, and (with the same words) for a thing
    that exists but is not this person's to see."""
    return error_page(request, 404, title, message or "There is no page at this address. The link may be "
                      "mistyped, or what it named is gone.")


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(request, "error.html", {"title": title, "message": message, "status": status}, status_code=status)


def page_answer(request: Request, exc: Exception) -> HTMLResponse:
    """The page for an error that reached the app from a page path (blocking: it reads the session)."""
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return not_found_page(request)
        answer = error_page(request, exc.status_code, _TITLES.get(exc.status_code, "Not possible"),
                            _http_message(exc))
        answer.headers.update(exc.headers or {})
        return answer
    if isinstance(exc, RequestValidationError):
        fields = sorted({str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()})
        return error_page(request, 422, "Not understood", "The form or address was missing something or held "
                          f"something Firebell cannot read ({', '.join(fields)}), so nothing was changed. "
                          "Go back, check it and try again.")
    if isinstance(exc, DecisionError):
        status = status_for(exc)
        if status == 404:
            return not_found_page(request, "Not found", _sentence(exc.message))
        return error_page(request, status, _TITLES.get(status, "Not possible"), _sentence(exc.message))
    _log.exception("unhandled error on page %s", request.url.path, exc_info=exc)
    return server_error_page(request)


def server_error_page(request: Request) -> HTMLResponse:
    message = ("Firebell met an error it did not expect; it is in the server's log. If you were changing "
               "something, open the page again to see whether it took effect before you retry.")
    try:
        return error_page(request, 500, "Something went wrong", message)
    except Exception:  # the layout needs the session, so the database: without it, a page without it
        _log.exception("the error page itself failed on %s", request.url.path)
        html = environment().get_template("error_plain.html").render(title="Something went wrong", message=message)
        return HTMLResponse(html, status_code=500, headers={"Cache-Control": "no-store"})


def _http_message(exc: StarletteHTTPException) -> str:
    if exc.status_code == 405:
        return "This address takes a form, not a visit. Go back to the page the form is on."
    return _sentence(str(exc.detail))


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")) if text else ""


def _either(fallback: Handler | None) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_page_path(request.url.path) or fallback is None:
            answer = await run_in_threadpool(page_answer, request, exc)
            if isinstance(exc, StarletteHTTPException | RequestValidationError | DecisionError):
                return answer
            # The server drops the connection after an unhandled error: say so, as problems.py does.
            answer.headers["Connection"] = "close"
            return answer
        answered = fallback(request, exc)
        return await answered if isinstance(answered, Awaitable) else answered
    return handle


def install(app: FastAPI) -> None:
    for kind in (StarletteHTTPException, RequestValidationError, DecisionError, Exception):
        app.add_exception_handler(kind, _either(app.exception_handlers.get(kind)))
