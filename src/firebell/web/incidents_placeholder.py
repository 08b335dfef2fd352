"""A stand-in for the incidents page until the real one exists: it only says who is signed in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from firebell.web.deps import WebActor
from firebell.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/incidents", response_class=HTMLResponse)
def incidents(request: Request, actor: WebActor) -> HTMLResponse:
    return page(request, "incidents_placeholder.html")
