"""Statuspage's public JSON, unauthenticated: /api/v2/summary.json, status.json, components.json,
incidents.json, incidents/unresolved.json, scheduled-maintenances.json and its upcoming and active
subsets (wire-formats section 5). Each answer is a body serialised once per version of the page's
data (statuspage/live.py). statuspage/hot_routes.py answers these paths ahead of the app; these
routes document them and answer when it is not installed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from firebell.api.deps import DB, Now
from firebell.api.problems import problem_responses
from firebell.errors import NotFound
from firebell.statuspage.live import site_of
from firebell.statuspage.public import ENDPOINTS

router = APIRouter(tags=["status page (public)"], responses=problem_responses(404))  # 404: no page configured


def _route(endpoint: str) -> None:
    def read(db: DB, now: Now) -> Response:
        built = site_of(db.engine).build(now())
        if built is None:
            raise NotFound("there is no status page")
        return Response(built.rendered.body(endpoint), media_type="application/json",
                        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=10"})

    read.__name__ = "status_" + endpoint.replace("/", "_").replace("-", "_").removesuffix(".json")
    router.add_api_route(f"/api/v2/{endpoint}", read, methods=["GET"], summary=f"Statuspage-compatible {endpoint}",
                         response_class=Response)


for _endpoint in ENDPOINTS:
    _route(_endpoint)
