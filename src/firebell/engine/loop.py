"""A small in-process loop for periodic work: overdue heartbeats and alert-history pruning.

Nothing waits in memory: each tick reads what is due from the database (heartbeat deadlines live in
`heartbeats.overdue_at`), so a restart loses nothing. Several processes can run it against one
PostgreSQL: overdue rows are claimed with SKIP LOCKED.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from firebell.alerts.heartbeats import check_overdue
from firebell.alerts.service import prune_history
from firebell.store.uow import Database

log = logging.getLogger("firebell.engine")
TICK_SECONDS = 5.0
PRUNE_EVERY = timedelta(hours=1)


class EngineLoop:
    def __init__(self, db: Database, clock: Callable[[], datetime], tick: float = TICK_SECONDS) -> None:
        self.db, self.clock, self.tick = db, clock, tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune: datetime | None = None

    def run_once(self) -> None:
        now = self.clock()
        with self.db.unit_of_work() as session:
            for outcome in check_overdue(session, now):
                log.warning("heartbeat missed: %s -> incident %s", outcome.dedup_key, outcome.incident)
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            with self.db.unit_of_work() as session:
                removed = prune_history(session, now)
            self._last_prune = now
            if removed:
                log.info("pruned %d old alert events", removed)

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.run_once()
            except Exception:  # keep ticking: one bad tick must not stop heartbeat checks for good
                log.exception("engine tick failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="firebell-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
