"""The FastAPI application with one more layer outside its body limit.

FastAPI counts every body against `max_body_size` in a middleware that sits outside all of ours. When
a request *declares* a Content-Length over the limit, that middleware lets the route's answer (our
problem+json 413, from api/json_depth.py or alerts/wire.py) start, then swaps it for a plain-text
"Content Too Large" that does not say the limit. This layer, outside it, turns that one answer back
into a problem saying the limit, like every other 4xx of the API; routes that speak another wire
format (PagerDuty's Events API) name their own answer in `too_large_answers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firebell.api.problems import problem

TooLargeAnswer = Callable[[str], Response]  # the detail -> the response a route's senders understand


def _plain_text(message: Message) -> bool:
    return any(name == b"content-type" and value.startswith(b"text/plain") for name, value in message["headers"])


class TooLargeAsProblem:
    def __init__(self, app: ASGIApp, answers: Mapping[str, TooLargeAnswer]) -> None:
        self.app = app
        self.answers = answers  # by path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit: int | None = None
        swallowing = False

        async def answer(message: Message) -> None:
            nonlocal limit, swallowing
            if message["type"] == "http.response.start" and message["status"] == 413 and _plain_text(message):
                swallowing, limit = True, scope.get(MAX_BODY_SIZE_SCOPE_KEY)
                return
            if not swallowing:
                await send(message)
                return
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                detail = (f"the request body is larger than the limit of {limit} bytes" if limit
                          else "the request body is too large")
                own = self.answers.get(scope["path"])
                response = own(detail) if own is not None else problem(413, detail, Request(scope))
                await response(scope, receive, send)

        await self.app(scope, receive, answer)


class FirebellAPI(FastAPI):
    too_large_answers: Mapping[str, TooLargeAnswer] = {}

    def build_middleware_stack(self) -> ASGIApp:
        return TooLargeAsProblem(super().build_middleware_stack(), self.too_large_answers)
