"""Reading what senders send: bodies streamed up to a limit, parsed off the event loop when large.

The event loop answers every request, health checks included, so it must never hold a large
body it will refuse or spend tens of milliseconds parsing one: a chunked 200 MB upload was buffered
whole before its 413, and a 5 MB Alertmanager message was parsed inline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request

from firebell.core.content_length import AT_LEAST_HUGE, declared_length
from firebell.core.formats.wire_json import loads

T = TypeVar("T")
PARSE_INLINE_BYTES = 32_768  # smaller bodies parse faster than a hop to a thread and back


class TooLarge(Exception):
    """The body is over the limit; `size` is what the sender declared or what had arrived."""

    def __init__(self, size: int, limit: int) -> None:
        at_least = size <= limit or size >= AT_LEAST_HUGE
        super().__init__(f"the body is {'at least ' if at_least else ''}{size} bytes; the limit is {limit}")
        self.size, self.limit = size, limit


async def read_limited(request: Request, limit: int) -> bytes:
    """The whole body, or TooLarge as soon as it is known to exceed `limit` (from Content-Length,
    else while it streams in): nothing past the limit is ever held."""
    length = declared_length(request.headers.get("content-length", ""))
    if length is not None and length > limit:
        raise TooLarge(length, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge(size, limit)
            chunks.append(chunk)
    except HTTPException as exc:  # the app-wide limit (FastAPI's max_body_size) stopped it first
        if exc.status_code == 413:
            raise TooLarge(size, limit) from None
        raise
    return b"".join(chunks)


async def parse_body(raw: bytes, parse: Callable[[Any], T]) -> tuple[Any, T]:
    """(JSON body, parse(body)); PayloadError if either refuses. Large bodies parse on a thread."""

    def both() -> tuple[Any, T]:
        body = loads(raw)
        return body, parse(body)

    if len(raw) <= PARSE_INLINE_BYTES:
        return both()
    return await run_in_threadpool(both)

