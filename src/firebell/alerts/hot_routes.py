"""The ingestion routes that take the load, dispatched ahead of FastAPI's router.

`POST /v2/enqueue` is what every monitoring tool hits, thousands of times a second in a storm. Its
handler needs no dependency injection or validation model, so routing it through FastAPI's
middleware, router and dependency solver cost about as much as ingesting the event (bench/ingest.py).
This middleware sends exactly that route, and the `/v2/noop` baseline with it when a benchmark asks
for it (`benchmark=True`; production servers have no route that takes a body without a key),
straight to the same handler functions; everything else goes through FastAPI as before. Errors map
to the same problem responses the app's handlers produce.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from firebell.alerts.endpoints import enqueue, noop
from firebell.api.problems import problem, status_for
from firebell.errors import DecisionError

Handler = Callable[[Request], Awaitable[Response]]


class HotRoutes:
    def __init__(self, app: ASGIApp, *, benchmark: bool = False) -> None:
        self.app = app
        self.hot: dict[str, Handler] = {"/v2/enqueue": enqueue}
        if benchmark:
            self.hot["/v2/noop"] = noop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self.hot.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except DecisionError as exc:
            response = problem(status_for(exc), exc.message, request)
        await response(scope, receive, send)
