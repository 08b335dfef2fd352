"""The engine: escalation timers, the notification sender, overdue heartbeats, history pruning.

Nothing waits in memory: each pass reads what is due from the database (escalation timers in
`escalations.next_due_at`, pages in the outbox, heartbeat deadlines in `heartbeats.overdue_at`), so a
restart loses nothing. Several engines can share one PostgreSQL: due rows are claimed with
`FOR UPDATE SKIP LOCKED`. The loop polls every `tick` seconds; `wake()` (called when an incident
opens or a person escalates in this process) starts a pass at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from firebell.alerts.heartbeats import check_overdue
from firebell.alerts.service import prune_history
from firebell.escalation.engine import StaleEscalation, run_due
from firebell.notify import sender
from firebell.notify.channels.base import Delivery
from firebell.notify.settings import Channels, channels_from_env
from firebell.store.uow import Database

log = logging.getLogger("firebell.engine")
TICK_SECONDS = 1.0
PRUNE_EVERY = timedelta(hours=1)
_wakeups: list[threading.Event] = []


def wake() -> None:
    """Ask this process's engines for a pass now (something just fell due)."""
    for event in list(_wakeups):
        event.set()


class EngineLoop:
    def __init__(self, db: Database, clock: Callable[[], datetime], tick: float = TICK_SECONDS,
                 channels: Channels | None = None) -> None:
        self.db, self.clock, self.tick = db, clock, tick
        self.channels = channels if channels is not None else channels_from_env(clock=clock)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_prune: datetime | None = None

    def run_once(self) -> None:
        self.escalate()
        self.send()
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

    def escalate(self) -> int:
        """Step every due escalation, a claimed batch per transaction."""
        total = 0
        while True:
            try:
                with self.db.unit_of_work() as session:
                    stepped = run_due(session, self.clock())
            except StaleEscalation:
                continue  # someone changed an escalation mid-pass: read it again
            total += stepped
            if stepped == 0 or self._stop.is_set():
                return total

    def send(self) -> int:
        """Send every due page: claim (commit), send with no transaction open, record each result."""
        total = 0
        while not self._stop.is_set():
            with self.db.unit_of_work() as session:
                claimed = sender.claim(session, self.channels, self.clock())
            if not claimed:
                return total
            stalled: set[str] = set()  # addresses whose older page just failed: the rest wait their turn
            results: list[tuple[sender.Claimed, Delivery | None, datetime]] = []
            for item in claimed:
                if item.address in stalled:
                    results.append((item, None, self.clock()))
                    continue
                delivery = sender.send(self.channels, item)
                if not delivery.ok:
                    stalled.add(item.address)
                results.append((item, delivery, self.clock()))
            # One transaction records the batch. A crash before it commits leaves the rows
            # "sending" until their deadline, which is exactly the interrupted send of the crash rule.
            with self.db.unit_of_work() as session:
                for item, result, at in results:
                    if result is None:
                        sender.release(session, item, at)
                    else:
                        sender.record(session, item, result, at)
            total += len(claimed)
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.tick)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_once()
            except Exception:  # keep ticking: one bad pass must not stop paging for good
                log.exception("engine pass failed")

    def start(self) -> None:
        _wakeups.append(self._wake)
        self._thread = threading.Thread(target=self._run, name="firebell-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._wake in _wakeups:
            _wakeups.remove(self._wake)
        if self._thread is not None:
            self._thread.join(timeout=10)
