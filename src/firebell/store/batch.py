"""Group commit: many requests' writes in one transaction, each answered only after it commits.

Ingestion receives many small events at once. Committing each alone costs a transaction (and, on
SQLite, the one write lock) per event; here whatever work has queued up runs in one unit of work and
commits once. If anything in the batch fails, the whole transaction is rolled back and each piece of
work runs again on its own, so one bad event or a lost race never costs another request its write,
and no request hears "done" before its commit.

Where the batch runs depends on the store. PostgreSQL: on a writer thread, because each statement
is a network round trip during which the event loop can read the next requests. SQLite: inline on
the event loop, because the database is in-process and the work is pure CPU under one GIL; a thread
would only add hand-offs (measured: 1,070 against 790 events/s). The price on SQLite is that while
another process holds the database's write lock, this server's event loop waits with it.

On PostgreSQL one writer runs the batches, and a spare takes over the queue while that writer's
batch has run for longer than `SPARE_AFTER_S` (waiting on a lock a person's transaction holds, say),
so ingestion never stops behind one slow batch. Two writers working all the time were slower: they
and the event loop take turns at one GIL, and every round trip hands it over
(bench/ingest.py: 2 writers 764-775 events/s, p99 41-43 ms; 1 writer 788-911, p99 28-36 ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from firebell.store.locks import lock_all


class UnitsOfWork(Protocol):
    """What group commit needs of the database (store/uow.py's Database, which makes one of these):
    a transaction that commits when its block ends."""

    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[Session]: ...

T = TypeVar("T")
log = logging.getLogger(__name__)
MAX_BATCH = 256  # events (jobs weigh their events) in one transaction
# Inline (SQLite), a batch holds the event loop, health checks included, for its whole run: about
# 0.3 ms an event, so 64 events keep that near 20 ms (a larger job, a chunk of a big message, runs alone).
INLINE_MAX_BATCH = 64
RETRIES = 3
SPARE_AFTER_S = 0.1  # a batch running this long lets the spare writer take the queue


def run_alone(db: UnitsOfWork, work: Callable[[Session], T]) -> T:
    """One unit of work, retried when a concurrent writer won a race on a unique index or the
    database was briefly busy; the retry sees the winner's row."""
    for attempt in range(RETRIES):
        try:
            with db.unit_of_work() as session:
                return work(session)
        except (IntegrityError, OperationalError):
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


LockNames = Callable[[Session], list[tuple[str, ...]]]


@dataclass
class _Job:
    work: Callable[[Session], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    locks: LockNames | None = None
    weight: int = 1  # events in the job: a batch holds at most max_batch of them, however they come


def _fits(jobs: list[_Job], budget: int) -> int:
    """How many of `jobs`, from the first, one batch takes: at least one, then while their weights fit."""
    total = 0
    for taken, job in enumerate(jobs):
        total += job.weight
        if total > budget and taken:
            return taken
    return len(jobs)


def _settle(results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in results:
        if future.cancelled():
            continue  # the client went away; its write stands
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class GroupCommit:
    """Batches of work, each in one transaction.

    On PostgreSQL, while the spare helps (a batch ran past `spare_after_s`: stuck on a lock, or a
    big backlog), two batches run at once, so work that must not interleave names its locks
    (`locks`): a batch takes all of its jobs' locks at its start, in one
    sorted statement, so two batches never hold each other's locks in opposite orders. A job's own
    code may still take locks as it goes (that is what keeps it correct if the names were guessed
    wrong); such a late lock can deadlock, which PostgreSQL detects and the per-job fallback absorbs.
    """

    def __init__(self, db: UnitsOfWork, max_batch: int = MAX_BATCH, *, inline: bool = False, spare: bool = True,
                 spare_after_s: float = SPARE_AFTER_S) -> None:
        self._db = db
        self._max_batch = max_batch
        self._inline = inline
        self._spare = spare
        self._spare_after_s = spare_after_s
        self._pending: dict[asyncio.AbstractEventLoop, list[_Job]] = {}  # inline: per event loop
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._closing = threading.Event()
        self._busy_since: float | None = None  # when the writer's current batch began
        self._counting = threading.Lock()
        self.batches = 0
        self.fallbacks = 0
        self.spare_batches = 0

    async def run(self, work: Callable[[Session], T], locks: LockNames | None = None, *, weight: int = 1) -> T:
        """Run `work(session)` in the next batch's transaction; its result once that has committed.
        `weight`: how many events the work handles (a batch's size, and on SQLite the time the event
        loop spends in it, is bounded by events, not requests)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        job = _Job(work, loop, future, locks, max(1, weight))
        if self._inline:
            pending = self._pending.setdefault(loop, [])
            pending.append(job)
            if len(pending) == 1:  # the first of a batch schedules it, after what is ready now
                loop.call_soon(self._run_pending, loop)
            return await future
        self._ensure_started()
        self._queue.put(job)
        return await future

    def _run_pending(self, loop: asyncio.AbstractEventLoop) -> None:
        pending = self._pending.pop(loop, [])
        taken = _fits(pending, self._max_batch)
        batch, rest = pending[:taken], pending[taken:]
        if rest:
            self._pending[loop] = rest
            loop.call_soon(self._run_pending, loop)
        self._run(batch)

    def close(self) -> None:
        with self._start_lock:
            threads, self._threads = self._threads, []
            if not threads:
                return
            self._closing.set()
            self._queue.put(None)  # the writer finishes what is queued before it, then stops
        for thread in threads:
            thread.join(timeout=10)

    def _ensure_started(self) -> None:
        if self._threads:
            return
        with self._start_lock:
            if not self._threads:
                self._closing.clear()
                self._threads = [threading.Thread(target=self._serve, name="firebell-group-commit", daemon=True)]
                if self._spare:
                    self._threads.append(threading.Thread(target=self._stand_by, name="firebell-group-commit-spare",
                                                          daemon=True))
                for thread in self._threads:
                    thread.start()

    def _serve(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._fill(first)
            self._busy_since = time.monotonic()
            try:
                self._run(batch)
            finally:
                self._busy_since = None

    def _fill(self, first: _Job) -> tuple[list[_Job], bool]:
        """`first` and whatever else is queued, up to a batch (the job that reaches `max_batch` events
        is the last; one already taken is never put back); and whether a stop was queued."""
        batch = [first]
        weight = first.weight
        while weight < self._max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
            weight += job.weight
        return batch, False

    def _stand_by(self) -> None:
        """The spare: wakes a few times per `spare_after_s` and, while the writer's batch has run
        longer than that, runs the queue's next batches itself."""
        while not self._closing.wait(self._spare_after_s / 2):
            while (since := self._busy_since) is not None and time.monotonic() - since > self._spare_after_s:
                try:
                    first = self._queue.get_nowait()
                except queue.Empty:
                    break
                if first is None:
                    self._queue.put(None)  # the stop is the writer's
                    return
                batch, stop = self._fill(first)
                if stop:
                    self._queue.put(None)
                self._count("spare_batches")
                self._run(batch)

    def _run(self, batch: list[_Job]) -> None:
        results: list[tuple[_Job, bool, Any]]
        try:
            with self._db.unit_of_work() as session:
                names = [name for job in batch if job.locks is not None for name in job.locks(session)]
                if names:
                    lock_all(session, names)
                values = [job.work(session) for job in batch]
            results = [(job, True, value) for job, value in zip(batch, values, strict=True)]
            self._count("batches")
        except Exception:  # any failure: every job again, alone
            if len(batch) == 1:
                results = [self._alone(batch[0])]
            else:
                self._count("fallbacks")
                log.debug("batch of %d failed; running each alone", len(batch), exc_info=True)
                results = [self._alone(job) for job in batch]
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for job, ok, value in results:
            by_loop.setdefault(job.loop, []).append((job.future, ok, value))
        for loop, settled in by_loop.items():
            if self._inline:
                _settle(settled)  # we are on that loop
                continue
            with contextlib.suppress(RuntimeError):  # that event loop has closed; nobody is waiting
                loop.call_soon_threadsafe(_settle, settled)

    def _count(self, counter: str) -> None:
        with self._counting:  # the writer and the spare may both count
            setattr(self, counter, getattr(self, counter) + 1)

    def _alone(self, job: _Job) -> tuple[_Job, bool, Any]:
        try:
            return job, True, run_alone(self._db, job.work)
        except Exception as exc:  # handed to the waiting request
            return job, False, exc
