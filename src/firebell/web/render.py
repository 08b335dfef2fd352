"""Rendering a page: one Jinja2 environment (autoescaped, strict about undefined names) over
web/templates/, and the names every template gets."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from firebell import __version__
from firebell.web.sessions import csrf_token, remember_csrf_cookie, viewer

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@cache
def static_url(name: str) -> str:
    """/static/<name> with a fingerprint of its content, so a new release's CSS is never a stale copy."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


@cache
def environment() -> Environment:
    # auto_reload off: the templates ship with the package, and checking each one's mtime on every
    # render (and every include) was a stat call per row of the incident list.
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.globals |= {"static_url": static_url, "version": __version__}
    return env


def page(request: Request, template: str, context: dict[str, Any] | None = None,
         status_code: int = 200) -> HTMLResponse:
    """`template` rendered with `context`, plus `request`, `viewer` (the signed-in Actor or None) and
    `csrf_token` (for every form: `<input type=hidden name=csrf_token value="{{ csrf_token }}">`)."""
    names = {"request": request, "viewer": viewer(request), "csrf_token": csrf_token(request),
             "path": request.url.path} | (context or {})
    response = HTMLResponse(environment().get_template(template).render(names), status_code=status_code)
    # Pages show what one person may see: no shared cache keeps them, no browser cache serves them back.
    response.headers["Cache-Control"] = "no-store"
    remember_csrf_cookie(request, response)
    return response
