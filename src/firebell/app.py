"""The FastAPI application: routes, problem responses, health and readiness."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from firebell import __version__
from firebell.alerts.api import router as alerts_router
from firebell.alerts.endpoints import MAX_WEBHOOK_BYTES, PAGERDUTY_PATHS, pagerduty_too_large
from firebell.alerts.endpoints import router as ingest_router
from firebell.alerts.hot_routes import HotRoutes
from firebell.api import problems
from firebell.api.body_limit import FirebellAPI
from firebell.api.deps import no_nul_in_parameters
from firebell.api.json_depth import JsonDepthLimit
from firebell.effects import DomainEffects
from firebell.incidents.api import router as incidents_router
from firebell.jobs import engine_loop
from firebell.messages.api import router as templates_router
from firebell.messages.customer_api import router as customer_email_router
from firebell.notify.me_api import router as me_router
from firebell.notify.me_settings_api import router as me_settings_router
from firebell.notify.pages_api import router as pages_router
from firebell.notify.phone_api import router as phone_router
from firebell.notify.settings import Channels, channels_from_env
from firebell.oncall.api import feed_router
from firebell.oncall.api import router as oncall_router
from firebell.org.api import router as org_router
from firebell.severity.api import router as severity_router
from firebell.slack.api import router as slack_router
from firebell.statuspage.api import router as status_page_router
from firebell.statuspage.hot_routes import StatusRoutes
from firebell.statuspage.public_api import router as status_page_public_router
from firebell.statuspage.subscriptions.api import router as status_subscribers_router
from firebell.statuspage.v1_api import router as statuspage_v1_router
from firebell.statuspage.v1_incidents_api import router as statuspage_v1_incidents_router
from firebell.store.migrate import current_revision, head_revision
from firebell.store.uow import Database
from firebell.web.act import ActionLinkHeaders
from firebell.web.act import router as act_router
from firebell.web.headers import page_headers
from firebell.web.routes import install as install_web

# Every request body is counted as it streams in and refused past this (FastAPI's max_body_size);
# the ingestion routes read theirs with their own, documented limits (alerts/wire.py).
MAX_API_BODY_BYTES = 1_000_000


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(db: Database, clock: Callable[[], datetime] = system_clock, *, run_engine: bool = False,
               channels: Channels | None = None, benchmark_routes: bool | None = None) -> FastAPI:
    """`channels` defaults to those configured in the environment (notify/settings.py);
    `benchmark_routes` (default: FIREBELL_BENCHMARK_ROUTES set) adds bench/ingest.py's baseline route."""
    channels = channels if channels is not None else channels_from_env(clock=clock)
    if benchmark_routes is None:
        benchmark_routes = os.environ.get("FIREBELL_BENCHMARK_ROUTES", "") not in ("", "0")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop = engine_loop(db, clock, channels=channels) if run_engine else None
        if loop is not None:
            loop.start()
        try:
            yield
        finally:
            if loop is not None:
                loop.stop()

    app = FirebellAPI(
        title="Firebell", version=__version__, lifespan=lifespan,
        description="Incident response: declare, acknowledge, escalate, communicate, learn.",
        max_body_size=MAX_API_BODY_BYTES, dependencies=[Depends(no_nul_in_parameters)],
    )
    app.state.db = db
    app.state.clock = clock
    app.state.channels = channels
    app.state.effects = DomainEffects(channels.public_url)
    app.too_large_answers = dict.fromkeys(PAGERDUTY_PATHS, pagerduty_too_large)
    problems.install(app)  # before the web's: its error pages wrap these handlers for the machine paths
    install_web(app, channels.public_url)  # the web console's pages, static files and headers
    app.add_middleware(ActionLinkHeaders)
    app.add_middleware(JsonDepthLimit)
    # Added last, so outermost: the hot routes skip the middleware above.
    app.add_middleware(HotRoutes, benchmark=benchmark_routes)
    https = app.state.web_settings.https
    app.add_middleware(StatusRoutes, db=db, clock=clock,
                       page_headers=lambda origin: page_headers(https=https, img_origin=origin))
    # First: routes are matched in order, and these take the load. Their bodies may be larger.
    app.include_router(ingest_router, max_body_size=MAX_WEBHOOK_BYTES)
    app.include_router(incidents_router)
    app.include_router(customer_email_router)
    app.include_router(severity_router)
    app.include_router(org_router)
    app.include_router(alerts_router)
    app.include_router(act_router)
    app.include_router(me_router)
    app.include_router(me_settings_router)
    app.include_router(pages_router)
    app.include_router(phone_router)
    app.include_router(slack_router)
    app.include_router(oncall_router)
    app.include_router(feed_router)
    app.include_router(templates_router)
    app.include_router(status_page_public_router)
    app.include_router(status_page_router)
    app.include_router(status_subscribers_router)
    app.include_router(statuspage_v1_router)
    app.include_router(statuspage_v1_incidents_router)

    @app.get("/healthz", tags=["health"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        # On the event loop, not the thread pool: under load every pool thread may be busy (or
        # waiting for the GIL), and a liveness probe must not queue behind them.
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], summary="Database reachable and migrations current")
    def readyz() -> JSONResponse:
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = current_revision(db.engine)
        except Exception as exc:  # any driver error means "not ready", never a 500
            return JSONResponse({"status": "unavailable", "reason": f"database unreachable: {type(exc).__name__}"},
                                status_code=503)
        head = head_revision()
        if current != head:
            return JSONResponse({"status": "unavailable",
                                 "reason": f"schema at {current or 'none'}, code expects {head}; "
                                           "run `firebell db upgrade`"}, status_code=503)
        return JSONResponse({"status": "ready", "schema": current})

    return app


def app_from_env() -> FastAPI:
    """The app of one HTTP worker process of `firebell serve --workers N` (the engine runs in the
    supervising process, not here)."""
    from firebell.store.db import database_url_from_env, make_engine

    return create_app(Database(make_engine(database_url_from_env())), run_engine=False)
