"""The public status page's reads, answered ahead of FastAPI from the in-memory build
(statuspage/live.py): Statuspage's /api/v2/*.json, the HTML site under /status/ (`/status/`,
`/status/history`, `/status/incidents/<id>`, `/status/status.css`), and the Atom and RSS feeds at
/history.atom and /history.rss (and under /status/). When a request names the configured page URL's
host (a status.example.com deployment), the site is served from `/` as well.

These are what an outage brings a crowd to, so a read does no database work and skips the app's
middleware, router and dependency solver: a steady stream of readers costs a dictionary look-up and
a send. Whatever this module does not answer (no page configured, another path) goes on to the app.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from firebell.statuspage.live import NOT_READY, Built, PublicSite, site_of
from firebell.statuspage.public import ENDPOINTS
from firebell.store.uow import Database

log = logging.getLogger("firebell.statuspage")

# The headers a page gets, given the origin its logo is served from (None: no logo elsewhere).
PageHeaders = Callable[[str | None], Mapping[str, str]]

_TYPES = {"html": b"text/html; charset=utf-8", "css": b"text/css; charset=utf-8",
          "atom": b"application/atom+xml; charset=utf-8", "rss": b"application/rss+xml; charset=utf-8",
          "json": b"application/json"}
_NAMED = {"": "index.html", "index.html": "index.html", "history": "history.html", "history.html": "history.html",
          "status.css": "status.css", "history.atom": "history.atom", "history.rss": "history.rss"}
_FEEDS = {"/history.atom": "history.atom", "/history.rss": "history.rss"}
_JSON = {f"/api/v2/{endpoint}": endpoint for endpoint in ENDPOINTS}
_COMMON = [(b"cache-control", b"public, max-age=10")]


def site_path(rest: str) -> str | None:
    """The site file a path below the site's root names (`history` -> history.html), or None."""
    if rest in _NAMED:
        return _NAMED[rest]
    if rest.startswith("incidents/"):
        ident = rest.removeprefix("incidents/").removesuffix(".html")
        if ident and "/" not in ident:
            return f"incidents/{ident}.html"
    return None


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return str(value.decode("latin-1").lower())
    return ""


class StatusRoutes:
    def __init__(self, app: ASGIApp, *, db: Database, clock: Callable[[], datetime],
                 page_headers: PageHeaders) -> None:
        self.app = app
        self.site: PublicSite = site_of(db.engine)
        self.clock = clock
        self.page_headers = page_headers
        self._headers: dict[str | None, list[tuple[bytes, bytes]]] = {}
        self._checks: set[asyncio.Future[Any]] = set()
        # Built once aside as the app starts, so that the host of `/` is known before the first request.
        threading.Thread(target=self._warm, name="firebell-statuspage-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.site.build(self.clock())
        except Exception:  # a later request tries again; the console is unaffected
            log.exception("building the status page failed")

    def _wanted(self, path: str) -> tuple[str, str, bool] | None:
        """(kind, name, only on the page's own host) for a path this module may answer."""
        if path in _JSON:
            return "json", _JSON[path], False
        if path in _FEEDS:
            return "file", _FEEDS[path], False
        if path == "/status" or path.startswith("/status/"):
            found = site_path(path.removeprefix("/status").removeprefix("/"))
            return None if found is None else ("file", found, False)
        found = site_path(path.removeprefix("/"))
        return None if found is None else ("file", found, True)

    async def _built(self) -> Built | None:
        now = self.clock()
        found = self.site.ready(now)
        if found is NOT_READY:
            return await run_in_threadpool(self.site.build, now)
        if self.site.check_due():  # another process may have changed the page: looked at meanwhile
            check = asyncio.get_running_loop().run_in_executor(None, self.site.check, now)
            self._checks.add(check)
            check.add_done_callback(self._checks.discard)
        return found  # type: ignore[no-any-return]

    async def _not_the_page_host(self, scope: Scope) -> bool:
        """For the paths the page answers only on its own host (`/`, `/incidents/<id>`: the console's too):
        whether this request is for another host, decided without reading the database once the page has
        been built (as the app starts, aside: before that, this request waits for the build)."""
        hint = self.site.host_hint()
        if hint is None:
            await run_in_threadpool(self.site.build, self.clock())
            hint = self.site.host_hint() or ""
        return _host(scope) != hint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wanted = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            wanted = self._wanted(scope["path"])
            if wanted is not None and wanted[2] and await self._not_the_page_host(scope):
                wanted = None
        built = None if wanted is None else await self._built()
        if wanted is None or built is None or (wanted[2] and _host(scope) != built.host):
            await self.app(scope, receive, send)
            return
        kind, name, _ = wanted
        status = 200
        if kind == "json":
            body, headers = built.rendered.body(name), [(b"content-type", _TYPES["json"]),
                                                       (b"access-control-allow-origin", b"*")]
        else:
            files = built.files()
            found = files.get(name)
            if found is None:  # an incident id the public side does not have
                status, found, name = 404, built.not_found(), "404.html"
            body = found
            headers = [(b"content-type", _TYPES[name.rsplit(".", 1)[-1]]), *self._page_headers(built)]
        headers += [*_COMMON, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    def _page_headers(self, built: Built) -> list[tuple[bytes, bytes]]:
        origin = built.logo_origin
        found = self._headers.get(origin)
        if found is None:
            found = self._headers[origin] = [(name.lower().encode(), value.encode())
                                             for name, value in self.page_headers(origin).items()]
        return found

