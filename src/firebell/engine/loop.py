"""The engine: escalation timers, the notification sender, overdue heartbeats, history pruning.

Nothing waits in memory: each pass reads what is due from the database (escalation timers in
`escalations.next_due_at`, pages in the outbox, heartbeat deadlines in `heartbeats.overdue_at`), so a
restart loses nothing. Several engines can share one PostgreSQL: due rows are claimed with
`FOR UPDATE SKIP LOCKED`. The loop polls every `tick` seconds; a change the database reports
(`Database.on_change`: a commit in this process, or on PostgreSQL a NOTIFY from another) starts a
pass at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from firebell.alerts.heartbeats import check_overdue
from firebell.alerts.service import prune_history
from firebell.engine import lease
from firebell.escalation.engine import CLAIM_BATCH, StaleEscalation, next_due, run_due
from firebell.incidents import cadence
from firebell.notify import receipts, sender
from firebell.notify.channels.base import Delivery
from firebell.notify.settings import Channels, channels_from_env
from firebell.slack import cards
from firebell.store import replay
from firebell.store.db import SQLITE_WAL_SIZE_LIMIT, checkpoint_sqlite, sqlite_file
from firebell.store.uow import Database

log = logging.getLogger("firebell.engine")
TICK_SECONDS = 1.0
SENDER_LEASE = timedelta(seconds=10)  # how long pages wait for a new sender after one dies
PRUNE_EVERY = timedelta(hours=1)
WAL_TRUNCATE_EVERY = timedelta(minutes=1)
# Truncated even while it grows: the disk wins, at the price of a stall of the writers (bench/storm.py:
# 400-550 ms at 512 MB, every 40 s of its mix; at 2 GB such a storm pays it every 3 minutes or so).
WAL_HARD_LIMIT = 32 * SQLITE_WAL_SIZE_LIMIT
MAX_CLAIM_BATCH = 1_000  # escalation steps in one pass under a backlog (SQLite's write lock is held ~0.1 s)
# Incidents changed this long before the last Slack pass are looked at again: a change whose clock
# reading came before the pass but whose commit came after it is still seen.
SLACK_OVERLAP = timedelta(seconds=60)


class EngineLoop:
    """Two threads: one steps escalations and watches heartbeats, one sends pages, so a slow
    receiver never delays a timer and a failing step never stops the sending."""

    def __init__(self, db: Database, clock: Callable[[], datetime], tick: float = TICK_SECONDS,
                 channels: Channels | None = None) -> None:
        self.db, self.clock, self.tick = db, clock, tick
        self.channels = channels if channels is not None else channels_from_env(clock=clock)
        self._stop = threading.Event()
        self._wakes = (threading.Event(), threading.Event())
        self._threads: list[threading.Thread] = []
        self._last_prune: datetime | None = None
        self._last_wal_truncate: datetime | None = None
        self._wal_size_seen = 0  # the -wal file's size at the last pass
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease_renewed_at: datetime | None = None
        self._slack_seen_until: datetime | None = None
        self._last_cadence: datetime | None = None
        self._timers_wait = 0.0  # the first pass runs at start: whatever fell due while stopped
        self._unsubscribe: Callable[[], None] | None = None

    def run_once(self) -> None:
        """One pass of everything, in order (tests drive the engine with this)."""
        self.timers()
        self.send()

    def timers(self) -> None:
        self.escalate()
        self.housekeeping()

    def housekeeping(self) -> None:
        now = self.clock()
        if self.db.dialect == "sqlite":
            self._checkpoint_wal(now)
        with self.db.unit_of_work() as session:
            for outcome in check_overdue(session, now):
                log.warning("heartbeat missed: %s -> incident %s", outcome.dedup_key, outcome.incident)
        if self._last_cadence is None or now - self._last_cadence >= cadence.CHECK_EVERY:
            with self.db.unit_of_work(write=False) as session:
                reminders = cadence.due(session, now)
            if reminders:
                with self.db.unit_of_work() as session:
                    if cadence.remind(session, reminders, now):
                        self._wakes[1].set()
            self._last_cadence = now
        if self._last_prune is None or now - self._last_prune >= PRUNE_EVERY:
            with self.db.unit_of_work() as session:
                removed = prune_history(session, now)
                replay.prune(session, now)
                receipts.prune(session, now)
            self._last_prune = now
            if removed:
                log.info("pruned %d old alert events", removed)

    def _checkpoint_wal(self, now: datetime) -> None:
        """Every pass copies the WAL into the database (PASSIVE: writers go on) when the server took
        checkpoints off the commits. The -wal file is also truncated, so the disk a burst took is given
        back (a PASSIVE checkpoint leaves the file at its largest, and under steady reads SQLite rarely
        finds the moment with no reader to start it again from the top: 363 MB in 30 s of
        bench/storm.py): only once the file stopped growing between two passes (the burst is over),
        at once when it is over the size limit, else once a period. Never while it grows: truncating
        holds the write lock, and on SQLite ingestion's writers wait for it on the event loop
        (bench/ingest.py: max latency 70 -> 250 ms and a fifth less throughput when tried at every
        pass of a burst; bench/storm.py: a 300 ms stall when tried once a minute in the storm). Past
        `WAL_HARD_LIMIT` (2 GB) the disk wins: a storm's steady reads let the file reach 1.5 GB in 2 minutes."""
        size = self._wal_bytes()
        settled, self._wal_size_seen = size <= self._wal_size_seen, size
        due = self._last_wal_truncate is None or now - self._last_wal_truncate >= WAL_TRUNCATE_EVERY
        if (settled and size > 0 and (due or size > SQLITE_WAL_SIZE_LIMIT)) or size > WAL_HARD_LIMIT:
            self._last_wal_truncate = now  # tried once a period: a reader in the way makes it wait a period
            if not checkpoint_sqlite(self.db.engine, truncate=True):
                log.debug("the WAL was not truncated: a reader was still on it")
        elif os.environ.get("FIREBELL_SQLITE_BACKGROUND_CHECKPOINT"):
            checkpoint_sqlite(self.db.engine, truncate=False)

    def _wal_bytes(self) -> int:
        path = sqlite_file(self.db.engine.url)
        try:
            return os.path.getsize(f"{path}-wal") if path is not None else 0
        except OSError:
            return 0

    def escalate(self) -> int:
        """Step every due escalation, a claimed batch per transaction."""
        total, limit = 0, CLAIM_BATCH
        while True:
            try:
                with self.db.unit_of_work() as session:
                    stepped = run_due(session, self.clock(), limit=limit)
            except StaleEscalation:
                limit = CLAIM_BATCH
                continue  # someone changed an escalation mid-pass: read it again
            # A full batch means a backlog (a storm of incidents): take bigger batches, whose
            # per-transaction costs (claim, reads, commit) are spread over more steps, so the last
            # step of the storm is written sooner (10,000 due: 250 a pass 1.17 s, 1,000 a pass
            # 0.93-1.03 s); the first pass stays small so a lone step commits at once.
            limit = min(limit * 2, MAX_CLAIM_BATCH) if stepped >= limit else CLAIM_BATCH
            total += stepped
            if stepped:
                self._wakes[1].set()  # pages were written: the sender need not wait for its tick
            if stepped == 0 or self._stop.is_set():
                return total

    def _hold_sender_lease(self) -> bool:
        """One engine sends at a time (DESIGN: sender ordering holds a lease): pages to one address go
        out in order, and no page is in two engines' hands. Another engine takes over when the holder
        stops renewing (it died): within SENDER_LEASE."""
        now = self.clock()
        if self._lease_renewed_at is not None and now - self._lease_renewed_at < SENDER_LEASE / 3:
            return True
        with self.db.unit_of_work() as session:
            held = lease.hold(session, "sender", self.identity, now, SENDER_LEASE) is not None
        self._lease_renewed_at = now if held else None
        return held

    def _release_sender_lease(self) -> None:
        if self._lease_renewed_at is None:
            return
        with self.db.unit_of_work() as session:
            lease.release(session, "sender", self.identity, self.clock())
        self._lease_renewed_at = None

    def send(self) -> int:
        """Send every due page: claim (commit), send with no transaction open, record the results."""
        total = 0
        while not self._stop.is_set() and self._hold_sender_lease():
            with self.db.unit_of_work() as session:
                claimed = sender.claim(session, self.channels, self.clock())
            if not claimed:
                self.sync_slack()
                self._release_sender_lease()  # idle: any engine may take over sending at once
                return total
            stalled: set[str] = set()  # addresses whose older page just failed: the rest wait their turn
            results: list[tuple[sender.Claimed, Delivery | None, datetime]] = []
            for item in claimed:
                if item.address in stalled or not self._hold_sender_lease():
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

    def sync_slack(self) -> int:
        """Post or redraw the incident messages in Slack channels (under the sender's lease, so no
        message is posted twice by two engines)."""
        now = self.clock()
        since = self._slack_seen_until - SLACK_OVERLAP if self._slack_seen_until else now - cards.LOOK_BACK
        bot = self.channels.slack is not None or self.channels.logs_slack
        with self.db.unit_of_work(write=False) as session:
            busy = cards.has_work(session, since, now, bot)
        if not busy:
            self._slack_seen_until = now
            return 0
        with self.db.unit_of_work() as session:
            cards.discover(session, since, now, bot)
            jobs = cards.claim(session, self.channels, now)
        self._slack_seen_until = now
        done = 0
        for job in jobs:
            if not self._hold_sender_lease():
                break  # another engine took over: the unsent cards are left in flight for it to retry
            result = cards.send(self.channels, job)
            with self.db.unit_of_work() as session:  # recorded at once: a later failure cannot re-post it
                cards.record(session, job, result, self.clock())
            done += 1
        return done

    def _run(self, wake: threading.Event, work: Callable[[], Any], wait: Callable[[], float], name: str) -> None:
        while not self._stop.is_set():
            wake.wait(wait())
            wake.clear()
            if self._stop.is_set():
                return
            try:
                work()
            except Exception:  # keep ticking: one bad pass must not stop paging for good
                log.exception("engine %s pass failed", name)

    def _wake_all(self) -> None:
        for wake in self._wakes:
            wake.set()

    def start(self) -> None:
        self._unsubscribe = self.db.on_change(self._wake_all)
        jobs = ((self._wakes[0], self._timers_guarded, lambda: self._timers_wait, "timers"),
                (self._wakes[1], self.send, lambda: self.tick, "sender"))
        for wake, work, wait, name in jobs:
            thread = threading.Thread(target=self._run, args=(wake, work, wait, name), name=f"firebell-{name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

    def _timers_guarded(self) -> None:
        try:
            self.escalate()
        finally:  # heartbeats and pruning run even when a step failed
            self.housekeeping()
            self._timers_wait = self._until_next_timer()

    def _until_next_timer(self) -> float:
        """How long the timer thread may sleep: until the next escalation timer falls due, at most a
        tick. Polling alone made a step up to a tick late (1 s by default); the tick stays as the
        bound for changes other processes make. A timer still due after the pass (its incident was
        locked) waits a whole tick rather than spin."""
        with self.db.unit_of_work(write=False) as session:
            due = next_due(session)
        if due is None:
            return self.tick
        wait = (due - self.clock()).total_seconds()
        return self.tick if wait <= 0 else min(self.tick, wait + 0.001)

    def stop(self) -> None:
        self._stop.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._wake_all()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
