"""Statuspage's public JSON, unauthenticated: /api/v2/summary.json, status.json, components.json,
incidents.json, incidents/unresolved.json, scheduled-maintenances.json and its upcoming and active
subsets (wire-formats section 5). Each answer is a body serialised once per version of the page's
data (public.cached)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from firebell.api.deps import DB, Now
from firebell.errors import NotFound
from firebell.statuspage.public import ENDPOINTS, cached

router = APIRouter(tags=["status page (public)"])


def _route(endpoint: str) -> None:
    def read(db: DB, now: Now) -> Response:
        rendered = cached(db, now())
        if rendered is None:
            raise NotFound("there is no status page")
        return Response(rendered.body(endpoint), media_type="application/json",
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=10"})

    read.__name__ = "status_" + endpoint.replace("/", "_").replace("-", "_").removesuffix(".json")
    router.add_api_route(f"/api/v2/{endpoint}", read, methods=["GET"], summary=f"Statuspage-compatible {endpoint}",
                         response_class=Response)


for _endpoint in ENDPOINTS:
    _route(_endpoint)
