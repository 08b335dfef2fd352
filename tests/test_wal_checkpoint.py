"""SQLite's write-ahead log shrinks back after load: the engine's housekeeping truncates it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from firebell.jobs import engine_loop
from firebell.notify.settings import Channels
from firebell.store.db import SQLITE_BUSY_TIMEOUT_MS, make_engine
from firebell.store.uow import Database
from tests.api.conftest import FakeClock
from tests.conftest import fresh_database

ROW = b"x" * 8192


@pytest.fixture
def served_sqlite(request: pytest.FixtureRequest, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A SQLite database opened as `serve` opens it: checkpoints are the engine's, not the commits'."""
    monkeypatch.setenv("FIREBELL_SQLITE_BACKGROUND_CHECKPOINT", "1")
    with fresh_database(request, "sqlite", tmp_path) as url:
        db = Database(make_engine(url))
        try:
            yield db
        finally:
            db.dispose()


def _grow_wal(db: Database, megabytes: int) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS filler (body BLOB)")
    for _ in range(megabytes):  # a commit per megabyte, as a burst of ingestion commits
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO filler (body) VALUES " + ",".join(["(?)"] * 128), (ROW,) * 128)


def _wal_bytes(db: Database) -> int:
    return os.path.getsize(f"{db.engine.url.database}-wal")


def test_the_engine_truncates_the_wal_after_a_burst_of_writes(served_sqlite: Database) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    loop = engine_loop(served_sqlite, clock, channels=Channels(public_url="http://testserver"))
    _grow_wal(served_sqlite, 12)
    assert _wal_bytes(served_sqlite) > 10 * 2**20
    loop.run_job("wal checkpoint")  # the burst is still growing the file: no truncation under a writer's feet
    assert _wal_bytes(served_sqlite) > 10 * 2**20
    loop.run_job("wal checkpoint")  # it stopped
    assert _wal_bytes(served_sqlite) < 2**20
    # And again after the next burst, once its period has passed.
    _grow_wal(served_sqlite, 12)
    assert _wal_bytes(served_sqlite) > 10 * 2**20
    clock.advance(minutes=5)
    loop.run_job("wal checkpoint")
    loop.run_job("wal checkpoint")
    assert _wal_bytes(served_sqlite) < 2**20


def test_the_truncating_checkpoint_never_waits_for_a_reader(served_sqlite: Database) -> None:
    """A reader still on the old WAL makes the truncation wait for it (holding writers off meanwhile) if
    left to the busy timeout; the engine tries once, goes on, and truncates at a later pass."""
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    loop = engine_loop(served_sqlite, clock, channels=Channels(public_url="http://testserver"))
    _grow_wal(served_sqlite, 12)
    reader = served_sqlite.engine.connect()
    reader.exec_driver_sql("SELECT count(*) FROM filler").scalar()  # holds its snapshot until it ends
    _grow_wal(served_sqlite, 1)
    started = time.monotonic()
    loop.run_job("wal checkpoint")
    assert time.monotonic() - started < SQLITE_BUSY_TIMEOUT_MS / 1000 / 2
    assert _wal_bytes(served_sqlite) > 10 * 2**20  # the reader still needs it
    reader.close()
    clock.advance(minutes=5)
    loop.run_job("wal checkpoint")
    assert _wal_bytes(served_sqlite) < 2**20


def test_a_wal_over_its_size_limit_is_truncated_at_the_first_pass_no_reader_is_in_the_way(
        served_sqlite: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under steady reads the once-a-minute attempt can keep meeting a reader; over the limit, every
    pass tries again, so the file does not grow for minutes (it reached 363 MB in 30 s of storm)."""
    import firebell.store.jobs as store_jobs

    monkeypatch.setattr(store_jobs, "SQLITE_WAL_SIZE_LIMIT", 4 * 2**20)
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    loop = engine_loop(served_sqlite, clock, channels=Channels(public_url="http://testserver"))
    loop.run_job("wal checkpoint")  # this period's attempt, on a small WAL
    _grow_wal(served_sqlite, 12)
    reader = served_sqlite.engine.connect()
    reader.exec_driver_sql("SELECT count(*) FROM filler").scalar()
    _grow_wal(served_sqlite, 1)
    clock.advance(seconds=1)
    loop.run_job("wal checkpoint")  # a reader is in the way
    assert _wal_bytes(served_sqlite) > 10 * 2**20
    reader.close()
    clock.advance(seconds=1)  # the next pass, well within the period
    loop.run_job("wal checkpoint")
    assert _wal_bytes(served_sqlite) < 2**20


def test_a_wal_past_its_hard_limit_is_truncated_even_while_it_grows(
        served_sqlite: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """During a long storm the file would grow without end (1.5 GB in 2 minutes of bench/storm.py):
    past the hard limit the disk wins over a short stall of the writers."""
    import firebell.store.jobs as store_jobs

    monkeypatch.setattr(store_jobs, "WAL_HARD_LIMIT", 8 * 2**20)
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    loop = engine_loop(served_sqlite, clock, channels=Channels(public_url="http://testserver"))
    loop.run_job("wal checkpoint")
    _grow_wal(served_sqlite, 4)
    loop.run_job("wal checkpoint")  # growing, under the hard limit: left alone
    assert _wal_bytes(served_sqlite) > 3 * 2**20
    _grow_wal(served_sqlite, 8)
    loop.run_job("wal checkpoint")  # still growing, past it
    assert _wal_bytes(served_sqlite) < 2**20
