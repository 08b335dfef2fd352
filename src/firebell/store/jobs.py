"""Background work, described the same way by every domain: each lists its jobs in its own jobs.py,
the application assembles them (firebell/jobs.py) and engine/loop.py runs that list, so a new
feature adds a job without touching the loop. The store's own jobs are here too.

A job is a function of the engine running it and the time of its pass. It reads what is due from
the database itself (due rows), or runs once a period; it says how much it did.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from sqlalchemy.orm import Session

from firebell.store import replay
from firebell.store.db import SQLITE_WAL_SIZE_LIMIT, checkpoint_sqlite, sqlite_file

if TYPE_CHECKING:
    from firebell.store.uow import Database

log = logging.getLogger("firebell.engine")
# The engine's two threads. "timers" works inside the database (steps, heartbeats, reminders,
# pruning); "sender" waits on the outside world (pages, Slack), so a slow receiver never delays a
# timer and a failing step never stops the sending.
Lane = Literal["timers", "sender"]
LANES: tuple[Lane, ...] = ("timers", "sender")


class Runner(Protocol):
    """The engine running a job, as the job sees it."""

    db: Database

    def clock(self) -> datetime: ...

    def stopping(self) -> bool:
        """The engine is stopping: a job working through a backlog returns."""
        ...

    def holds_lease(self) -> bool:
        """This engine still holds the cluster lease (renewed when due); False: another engine has
        taken over, and the job leaves the rest to it."""
        ...

    def wake(self, lane: Lane) -> None:
        """Ask the lane for a pass now (pages were written: the sender need not wait for its tick)."""
        ...


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Runner, datetime], int]
    lane: Lane = "timers"
    every: timedelta | None = None  # None: at every pass, for whatever rows are due
    lease: bool = False  # once cluster-wide: only the engine holding the lease runs it
    # When its next row falls due, if it knows: its lane sleeps until then rather than a whole tick.
    next_due: Callable[[Session], datetime | None] | None = None


WAL_TRUNCATE_EVERY = timedelta(minutes=1)
# Truncated even while it grows: the disk wins, at the price of a stall of the writers (bench/storm.py:
# 400-550 ms at 512 MB, every 40 s of its mix; at 2 GB such a storm pays it every 3 minutes or so).
WAL_HARD_LIMIT = 32 * SQLITE_WAL_SIZE_LIMIT
PRUNE_EVERY = timedelta(hours=1)


class WalCheckpoint:
    """SQLite only. Every pass copies the WAL into the database (PASSIVE: writers go on) when the server
    took checkpoints off the commits. The -wal file is also truncated, so the disk a burst took is given
    back (a PASSIVE checkpoint leaves the file at its largest, and under steady reads SQLite rarely
    finds the moment with no reader to start it again from the top: 363 MB in 30 s of
    bench/storm.py): only once the file stopped growing between two passes (the burst is over),
    at once when it is over the size limit, else once a period. Never while it grows: truncating
    holds the write lock, and on SQLite ingestion's writers wait for it on the event loop
    (bench/ingest.py: max latency 70 -> 250 ms and a fifth less throughput when tried at every
    pass of a burst; bench/storm.py: a 300 ms stall when tried once a minute in the storm). Past
    `WAL_HARD_LIMIT` (2 GB) the disk wins: a storm's steady reads let the file reach 1.5 GB in 2 minutes."""

    def __init__(self) -> None:
        self._last_truncate: datetime | None = None
        self._size_seen = 0  # the -wal file's size at the last pass

    def __call__(self, engine: Runner, now: datetime) -> int:
        if engine.db.dialect != "sqlite":
            return 0
        size = self._wal_bytes(engine.db)
        settled, self._size_seen = size <= self._size_seen, size
        due = self._last_truncate is None or now - self._last_truncate >= WAL_TRUNCATE_EVERY
        if (settled and size > 0 and (due or size > SQLITE_WAL_SIZE_LIMIT)) or size > WAL_HARD_LIMIT:
            self._last_truncate = now  # tried once a period: a reader in the way makes it wait a period
            if checkpoint_sqlite(engine.db.engine, truncate=True):
                return 1
            log.debug("the WAL was not truncated: a reader was still on it")
        elif os.environ.get("FIREBELL_SQLITE_BACKGROUND_CHECKPOINT"):
            checkpoint_sqlite(engine.db.engine, truncate=False)
        return 0

    @staticmethod
    def _wal_bytes(db: Database) -> int:
        path = sqlite_file(db.engine.url)
        try:
            return os.path.getsize(f"{path}-wal") if path is not None else 0
        except OSError:
            return 0


def _prune_replay_guard(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        return replay.prune(session, now)


def wal_checkpoint() -> Job:
    return Job("wal checkpoint", WalCheckpoint())


def prune_replay_guard() -> Job:
    return Job("replay guard pruning", _prune_replay_guard, every=PRUNE_EVERY)
