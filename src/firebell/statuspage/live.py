"""The public side as served: per process and database, the documents of the page's current data
version, their JSON bodies and the rendered site (statuspage/site.py), made once per version and
kept in memory, so a steady stream of readers costs the database nothing.

Freshness, without a query per request:
- in this process, the transaction that changed the page (service.touch) marks the cache stale right
  after its commit, so the next reader sees the change;
- another process's change (`serve --workers N`, a separate worker, PostgreSQL shared by several
  instances) is noticed by a version check at most every CHECK_S, made by one reader while the others
  keep being served the copy they have;
- the documents also depend on the clock (the uptime bars, what is upcoming), so they are made again
  at least once a minute.

The same transaction's commit also re-exports the site into `status_page.export_dir` (export.py),
on this process's exporter thread, never on the request's: a burst of changes is folded into one
export of the latest version."""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from firebell.statuspage.export import write_export
from firebell.statuspage.models import PAGE_SLOT, StatusPage
from firebell.statuspage.public import PublicDocuments, Rendered, public_documents
from firebell.statuspage.site import not_found_page, render_site
from firebell.store.hooks import after_commit
from firebell.store.txcache import per_transaction

log = logging.getLogger("firebell.statuspage.live")
CHECK_S = 0.25  # another process's change shows within this (and the time to render it)
_MINUTE = 60
_HOST = re.compile(r"[a-z0-9.-]+(:[0-9]{1,5})?")  # nothing a policy header could be told by
_PENDING = "firebell.statuspage.changed"  # the transaction's change, kept in its session's info


def _minute(now: datetime) -> int:
    return int(now.timestamp()) // _MINUTE


def _origin(url: Any) -> str | None:
    """scheme://host[:port] of an absolute http(s) URL; None for anything else."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    host = parts.netloc.lower()
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and _HOST.fullmatch(host) else None


@dataclass
class Built:
    """One version of the public side. The JSON bodies come from `rendered`; the site's files are
    rendered on first asking (one render per version, whichever reader or exporter asks first)."""

    version: int
    minute: int
    now: datetime
    rendered: Rendered
    _files: dict[str, bytes] | None = None
    _missing: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def documents(self) -> PublicDocuments:
        return self.rendered.documents

    @property
    def base_url(self) -> str:
        return str(self.documents["summary"]["page"].get("url") or "")

    @property
    def host(self) -> str:
        """The configured page URL's host (with its port, if it names one), lower case."""
        return urlsplit(self.base_url).netloc.lower()

    @property
    def logo_origin(self) -> str | None:
        """Where the configured logo is served from, when that is another site (for img-src)."""
        return _origin((self.documents.get("branding") or {}).get("logo_url"))

    def files(self) -> dict[str, bytes]:
        if self._files is None:
            with self._lock:
                if self._files is None:
                    self._files = render_site(self.documents, base_url=self.base_url, now=self.now)
        return self._files

    def not_found(self) -> bytes:
        if self._missing is None:
            self._missing = not_found_page(self.documents, base_url=self.base_url, now=self.now)
        return self._missing


NOT_READY = object()  # PublicSite.ready's "the database must be asked first"


class PublicSite:
    """One database's public side in this process (see the module's docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._built: Built | None = None
        self._known = False  # whether _built says something (None: there is no page)
        # A commit takes a new generation; a build is fresh while it was begun in the current one.
        # (A flag cleared before reading would let a lock-free reader serve the old build in the
        # window between the clearing and the new build's storing: the export of one update in
        # about fifty was lost that way in bench/statuspage.py.)
        self._generations = itertools.count(1)
        self._generation = 0
        self._built_in = -1
        self._checked = 0.0
        self._checking = False
        self._lock = threading.Lock()
        self._exporter: _Exporter | None = None

    def ready(self, now: datetime) -> Any:
        """The build to serve now without any database work (None: no page), or NOT_READY."""
        built = self._built
        if self._built_in != self._generation or not self._known or (
                built is not None and built.minute != _minute(now)):
            return NOT_READY
        return built

    def host_hint(self) -> str | None:
        """The page's host as last built ("" when there is no page), or None before the first build:
        enough to tell a console request from one for the status page's own host without a read."""
        if not self._known:
            return None
        built = self._built
        return "" if built is None else built.host

    def check_due(self) -> bool:
        """Whether the caller should make the version check now (at most one caller per CHECK_S)."""
        if self._checking or time.monotonic() - self._checked < CHECK_S:
            return False
        with self._lock:
            if self._checking:
                return False
            self._checking = True
            return True

    def check(self, now: datetime) -> None:
        """The periodic version check: made again if another process changed the page."""
        try:
            self.build(now, check=True)
        finally:
            self._checking = False

    def build(self, now: datetime, *, check: bool = False) -> Built | None:
        """The current build, made (or confirmed against the database's version) when needed."""
        if not check:
            found = self.ready(now)
            if found is not NOT_READY:
                return found  # type: ignore[no-any-return]
        with self._lock:
            found = self.ready(now)
            if found is not NOT_READY and not check:
                return found  # type: ignore[no-any-return]
            generation = self._generation  # before reading: a commit meanwhile takes a new one
            with Session(self.engine) as session:
                version = session.scalar(select(StatusPage.data_version).where(
                    StatusPage.slot == PAGE_SLOT, StatusPage.archived_at.is_(None)))
                built = self._built
                if version is None:
                    built = None
                elif built is None or built.version != version or built.minute != _minute(now):
                    documents = public_documents(session, now)
                    built = None if documents is None else Built(version, _minute(now), now, Rendered(documents))
            self._built, self._known, self._checked = built, True, time.monotonic()
            self._built_in = generation
            return built

    def mark_stale(self) -> None:
        self._generation = next(self._generations)

    def export(self, directory: str, now: datetime) -> None:
        """Re-export into `directory` soon, on this site's exporter thread."""
        with self._lock:
            if self._exporter is None:
                self._exporter = _Exporter(self)
                self._exporter.start()
        self._exporter.ask(directory, now)

    def exported(self, timeout: float = 10.0) -> bool:
        """Wait until every export asked for so far is written; whether it was in time."""
        return self._exporter is None or self._exporter.idle(timeout)


class _Exporter(threading.Thread):
    """Writes the latest build into the export directory; asks made while it writes are folded
    into one more export."""

    def __init__(self, site: PublicSite) -> None:
        super().__init__(name="firebell-statuspage-export", daemon=True)
        self.site = site
        self.condition = threading.Condition()
        self.asked: tuple[str, datetime] | None = None
        self.busy = False

    def ask(self, directory: str, now: datetime) -> None:
        with self.condition:
            self.asked = (directory, now)
            self.condition.notify_all()

    def idle(self, timeout: float) -> bool:
        with self.condition:
            return self.condition.wait_for(lambda: self.asked is None and not self.busy, timeout)

    def run(self) -> None:
        while True:
            with self.condition:
                self.condition.wait_for(lambda: self.asked is not None)
                assert self.asked is not None
                (directory, now), self.asked, self.busy = self.asked, None, True
            try:
                export_once(self.site, Path(directory), now)
            except Exception:  # the next change tries again; the page itself is unaffected
                log.exception("exporting the status page into %s failed", directory)
            finally:
                with self.condition:
                    self.busy = False
                    self.condition.notify_all()


def export_once(site: PublicSite, directory: Path, now: datetime) -> int:
    """Write the current site into `directory` now; the number of files changed (0: no page)."""
    built = site.build(now)
    return 0 if built is None else write_export(directory, built.files())


# --- per process, by database ----------------------------------------------------------------------

_sites: dict[str, PublicSite] = {}
_sites_lock = threading.Lock()


def site_of(engine: Engine) -> PublicSite:
    """This process's public side of the database `engine` reads (one per database URL)."""
    key = engine.url.render_as_string(hide_password=False)
    found = _sites.get(key)
    if found is None:
        with _sites_lock:
            found = _sites.setdefault(key, PublicSite(engine))
    return found


@dataclass
class _Change:
    now: datetime
    export_dir: str | None


def changed_after_commit(session: Session, now: datetime, export_dir: str | None) -> None:
    """The page's public side changes when this transaction commits: the cache goes stale and the
    export is written again then (once per transaction, with its latest time), never on a rollback."""
    bind = session.get_bind()
    # Reads never take SQLite's write lock (the writers' sessions begin IMMEDIATE).
    reader: Engine = bind.execution_options(sqlite_immediate=False) if isinstance(bind, Engine) else bind.engine

    def make() -> _Change:
        change = _Change(now, export_dir)

        def committed() -> None:
            site = site_of(reader)
            site.mark_stale()
            if change.export_dir:
                site.export(change.export_dir, change.now)

        after_commit(session, committed)
        return change

    change = per_transaction(session, _PENDING, make)
    change.now, change.export_dir = max(change.now, now), export_dir
