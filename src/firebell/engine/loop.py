"""The engine: runs the jobs the domains register (store/jobs.py; the list is assembled in
firebell/jobs.py), each on its lane's thread.

Nothing waits in memory: each job reads what is due from the database (escalation timers, pages in
the outbox, heartbeat deadlines), so a restart loses nothing. Several engines can share one
PostgreSQL: due rows are claimed with `FOR UPDATE SKIP LOCKED`, and jobs that must run once
cluster-wide hold the lease. A lane passes every `tick` seconds, sooner when its next timer falls
due, and at once when the database says something changed (`Database.on_change`: a commit in this
process, or on PostgreSQL a NOTIFY from another).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from firebell.engine import lease
from firebell.store.jobs import LANES, Job, Lane
from firebell.store.uow import Database

log = logging.getLogger("firebell.engine")
TICK_SECONDS = 1.0
LEASE_NAME = "sender"  # the row's name predates other jobs holding it
LEASE_FOR = timedelta(seconds=10)  # how long lease jobs wait for a new holder after one dies


class EngineLoop:
    """One thread per lane; within a lane the jobs run in the order they were registered."""

    def __init__(self, db: Database, clock: Callable[[], datetime], jobs: Sequence[Job],
                 tick: float = TICK_SECONDS) -> None:
        self.db, self.clock, self.tick = db, clock, tick
        self.jobs = {job.name: job for job in jobs}
        self._lanes = {lane: [job for job in jobs if job.lane == lane] for lane in LANES}
        self._stop = threading.Event()
        self._wakes = {lane: threading.Event() for lane in LANES}
        self._threads: list[threading.Thread] = []
        self._last_run: dict[str, datetime] = {}
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._lease_renewed_at: datetime | None = None
        # The timers' first pass runs at start: whatever fell due while stopped (the pages it writes
        # wake the sender).
        self._waits: dict[Lane, float] = {"timers": 0.0, "sender": tick}
        self._unsubscribe: Callable[[], None] | None = None

    # --- what a job sees of its engine (store/jobs.py's Runner) ---

    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self, lane: Lane) -> None:
        self._wakes[lane].set()

    def holds_lease(self) -> bool:
        """Pages to one address go out in order, and no page is in two engines' hands: one engine at
        a time runs the lease jobs. Another engine takes over when the holder stops renewing (it
        died): within LEASE_FOR."""
        now = self.clock()
        if self._lease_renewed_at is not None and now - self._lease_renewed_at < LEASE_FOR / 3:
            return True
        with self.db.unit_of_work() as session:
            held = lease.hold(session, LEASE_NAME, self.identity, now, LEASE_FOR) is not None
        self._lease_renewed_at = now if held else None
        return held

    def _release_lease(self) -> None:
        """Idle: any engine may take over the lease jobs at once."""
        if self._lease_renewed_at is None:
            return
        with self.db.unit_of_work() as session:
            lease.release(session, LEASE_NAME, self.identity, self.clock())
        self._lease_renewed_at = None

    # --- passes ---

    def run_once(self) -> None:
        """One pass of every lane, in order (tests drive the engine with this)."""
        for lane in LANES:
            self.run_lane(lane)

    def run_job(self, name: str) -> int:
        """One job now, whatever its period (tests)."""
        job = self.jobs[name]
        try:
            return self._run(job, self.clock(), guarded=False)
        finally:
            if job.lease:
                self._release_lease()

    def run_lane(self, lane: Lane, *, guarded: bool = False) -> int:
        """Each job of the lane that is due. Guarded (the lane's thread), a failing job is logged and
        the next one still runs; otherwise the failure is raised."""
        done, leased = 0, False
        for job in self._lanes[lane]:
            if self._stop.is_set():
                break
            now = self.clock()
            last = self._last_run.get(job.name)
            if job.every is not None and last is not None and now - last < job.every:
                continue
            leased = leased or job.lease
            done += self._run(job, now, guarded=guarded)
        if leased:
            self._release_lease()
        return done

    def _run(self, job: Job, now: datetime, *, guarded: bool) -> int:
        if job.lease and not self.holds_lease():
            return 0
        try:
            done = job.run(self, now)
        except Exception:
            if not guarded:
                raise
            log.exception("engine job %s failed", job.name)  # keep going: one bad job must not stop paging
            return 0
        if job.every is not None:
            self._last_run[job.name] = now
        return done

    def _until_next_due(self, lane: Lane) -> float:
        """How long the lane may sleep: until its next timer falls due, at most a tick. Polling alone
        made a step up to a tick late (1 s by default); the tick stays as the bound for changes that
        wake nothing. A timer still due after the pass (its incident was locked) waits a whole tick
        rather than spin."""
        timed = [job.next_due for job in self._lanes[lane] if job.next_due is not None]
        if not timed:
            return self.tick
        with self.db.unit_of_work(write=False) as session:
            found = [due for next_due in timed if (due := next_due(session)) is not None]
        if not found:
            return self.tick
        wait = (min(found) - self.clock()).total_seconds()
        return self.tick if wait <= 0 else min(self.tick, wait + 0.001)

    # --- threads ---

    def _serve(self, lane: Lane) -> None:
        wake = self._wakes[lane]
        while not self._stop.is_set():
            wake.wait(self._waits[lane])
            wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_lane(lane, guarded=True)
                self._waits[lane] = self._until_next_due(lane)
            except Exception:  # keep ticking: one bad pass must not stop paging for good
                log.exception("engine %s pass failed", lane)

    def _wake_all(self) -> None:
        for wake in self._wakes.values():
            wake.set()

    def start(self) -> None:
        self._unsubscribe = self.db.on_change(self._wake_all)
        for lane in LANES:
            thread = threading.Thread(target=self._serve, args=(lane,), name=f"firebell-{lane}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._wake_all()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
