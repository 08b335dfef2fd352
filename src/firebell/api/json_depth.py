"""Request bodies of the REST API refused when their JSON nests deeper than `core.jsonsafe.MAX_DEPTH`.

FastAPI parses a body with the json module before any route code runs; a thousand levels raise
RecursionError there (a useless "error parsing the body", or a 500 on a deeper stack), and a few
hundred pass on to validation and storage, which walk them again. This checks the raw bytes first,
for every JSON body under /api/v1 and Statuspage's /v1/pages, and answers 400 problem+json saying so.
The ingestion endpoints read their bodies themselves and are not under /api/v1.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firebell.api.problems import problem
from firebell.core.jsonsafe import MAX_DEPTH, too_deep, too_deep_message

API_PREFIXES = ("/api/v1/", "/v1/pages")  # the REST API, and the status page's Statuspage-compatible one


def _json_or_unlabelled(scope: Scope) -> bool:
    """What FastAPI would parse as JSON: application/json, application/*+json, or no content type."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            kind: bytes = value.split(b";", 1)[0].strip().lower()
            return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))
    return True


class JsonDepthLimit:
    def __init__(self, app: ASGIApp, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES) or not _json_or_unlabelled(scope):
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        try:
            while True:  # the whole body: FastAPI reads it whole before parsing anyway
                message = await receive()
                received.append(message)
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
        except HTTPException as exc:  # the app's body limit (FastAPI max_body_size) stopped it
            limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
            detail = f"the request body is larger than the limit of {limit} bytes" if limit else str(exc.detail)
            await problem(exc.status_code, detail, Request(scope))(scope, receive, send)
            return
        body = b"".join(m.get("body", b"") for m in received if m["type"] == "http.request")
        if too_deep(body, self.max_depth):
            await problem(400, too_deep_message(self.max_depth), Request(scope))(scope, receive, send)
            return

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)
