"""Live views: server-sent events telling a browser that what it shows changed, so it fetches the
page's fragment again (web/static/live.js).

One `LiveHub` per process watches the database (`Database.on_seen_change`: a commit that appended
to an incident's timeline, here or, on PostgreSQL, in any other process) and holds one flag per
connected viewer. A change costs one fan-out: the viewers of the incidents it names, and the
viewers of the list, have their flag set; nobody queries the database for it, and a viewer holds
no database connection while it waits. A flag set twice before the stream sends it is sent once.

A stream ends after STREAM_SECONDS (the browser connects again at once, `retry`), so a server that
stops is never held up by its viewers. A viewer that connects says what it last saw (the event id
or `since`, in the server's milliseconds); if its incident changed after that, it is told at once,
so nothing done while it reconnected is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from starlette.responses import StreamingResponse

from firebell.store.uow import Database

LIST = "*list*"  # the topic of the incident list: any incident's change
STREAM_SECONDS = 25.0
KEEPALIVE_SECONDS = 10.0
RETRY_MS = 500
_REMEMBERED = 50_000  # incidents whose last change time is kept (for viewers that reconnect)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(eq=False)
class Viewer:
    topic: str  # an incident id, or LIST
    loop: asyncio.AbstractEventLoop
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class LiveHub:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._by_topic: dict[str, set[Viewer]] = {}
        self._changed_at: dict[str, int] = {}  # topic -> when it last changed (ms)
        self._started_at = now_ms()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def viewers(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._by_topic.values())

    def changed_since(self, topic: str, since_ms: int) -> bool:
        """Did `topic` change after `since_ms`? A time before this hub started listening is answered
        yes: what changed then is unknown here."""
        with self._lock:
            if since_ms < self._started_at:
                return True
            return self._changed_at.get(topic, 0) > since_ms

    def join(self, topic: str) -> Viewer:
        viewer = Viewer(topic, asyncio.get_running_loop())
        with self._lock:
            if self._unsubscribe is None:
                self._unsubscribe = self._db.on_seen_change(self.heard)
                self._started_at = now_ms()  # what changed before this is unknown here
            self._by_topic.setdefault(topic, set()).add(viewer)
        return viewer

    def leave(self, viewer: Viewer) -> None:
        with self._lock:
            viewers = self._by_topic.get(viewer.topic)
            if viewers is not None:
                viewers.discard(viewer)
                if not viewers:
                    del self._by_topic[viewer.topic]

    def heard(self, keys: frozenset[str] | None) -> None:
        """A commit changed these incidents (None: maybe any). Called on the committing thread or
        the wake-up listener's; the flags are set on each viewer's own event loop."""
        at = now_ms()
        by_loop: dict[asyncio.AbstractEventLoop, list[Viewer]] = {}
        with self._lock:
            if keys is None:
                self._started_at = at  # everything may have changed: as if this hub were new
                topics = list(self._by_topic)
            else:
                for key in keys:
                    self._changed_at[key] = at
                self._changed_at[LIST] = at
                if len(self._changed_at) > _REMEMBERED:  # the oldest go; their viewers reload
                    for key in sorted(self._changed_at, key=self._changed_at.__getitem__)[:_REMEMBERED // 10]:
                        del self._changed_at[key]
                    self._started_at = min(self._changed_at.values())
                topics = [LIST, *keys]
            for topic in topics:
                for viewer in self._by_topic.get(topic, ()):
                    by_loop.setdefault(viewer.loop, []).append(viewer)
        for loop, viewers in by_loop.items():
            with contextlib.suppress(RuntimeError):  # that loop has closed (a test's client went away)
                loop.call_soon_threadsafe(_set_all, viewers)

    def close(self) -> None:
        with self._lock:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()


def _set_all(viewers: list[Viewer]) -> None:
    for viewer in viewers:
        viewer.changed.set()


def _message(event: str, event_id: int) -> str:
    return f"id: {event_id}\nevent: {event}\ndata: {event_id}\n\n"


def last_seen(last_event_id: str | None, since: str | None) -> int:
    """What a connecting viewer last saw, in ms: its last event's id, else the page's `since`."""
    for value in (last_event_id, since):
        if value and value.isdigit():
            return int(value)
    return 0


async def _stream(hub: LiveHub, topic: str, seen_ms: int, lifetime: float) -> AsyncIterator[str]:
    viewer = hub.join(topic)
    try:
        yield f"retry: {RETRY_MS}\n\n"
        if hub.changed_since(topic, seen_ms):
            yield _message("changed", now_ms())
        ends = time.monotonic() + lifetime
        while (left := ends - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(viewer.changed.wait(), timeout=min(KEEPALIVE_SECONDS, left))
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            viewer.changed.clear()
            yield _message("changed", now_ms())
    finally:
        hub.leave(viewer)


def event_stream(hub: LiveHub, topic: str, seen_ms: int, lifetime: float = STREAM_SECONDS) -> StreamingResponse:
    """The response of an SSE endpoint: `changed` events for `topic` until `lifetime` ends."""
    return StreamingResponse(_stream(hub, topic, seen_ms, lifetime), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def hub_of(state: object, db: Database) -> LiveHub:
    """The application's hub (one per process), made on first use."""
    hub = getattr(state, "live_hub", None)
    if not isinstance(hub, LiveHub):
        hub = LiveHub(db)
        setattr(state, "live_hub", hub)  # noqa: B010 - Starlette's State takes any attribute
    return hub
