"""Engine creation for SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

DEFAULT_SQLITE_PATH = Path("firebell.db")
SQLITE_BUSY_TIMEOUT_MS = 10_000
# What the -wal file is cut back to whenever SQLite starts it over after a complete checkpoint. Without
# it the file keeps its largest size for good (590 MB after a minute of load, issue 13).
SQLITE_WAL_SIZE_LIMIT = 64 * 2**20
POOL_SIZE = 20


def database_url_from_env() -> str:
    return os.environ.get("FIREBELL_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite database URL; None for an in-memory one or another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") or str(parsed.database).startswith("file:"):
        return None  # a URI filename: SQLite parses it, and opens what it names as that says
    return Path(str(parsed.database))


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite would create it with the
    process's umask (world-readable by default). SQLite gives the -wal and -shm files it makes
    beside it the same mode. An existing file is left as it is."""
    # Already there: kept. No folder: SQLite reports it.
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// would pick psycopg2, which we do not ship.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # No pre-ping: it costs a round trip per checkout (measured on the ingestion path). After a
    # database restart the first request to meet a dead connection fails (ingestion retries it),
    # and SQLAlchemy then drops the whole pool.
    kwargs.setdefault("pool_recycle", 1800)
    _size_pool(kwargs)
    return create_engine(url, **kwargs)


def _size_pool(kwargs: dict[str, Any]) -> None:
    # Match the server's worker threads, so requests do not queue for a connection or churn
    # short-lived overflow connections (each a new PostgreSQL backend).
    if kwargs.get("poolclass") is None and "isolation_level" not in kwargs:
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_SIZE)
        # Reuse the most recently returned connection: its page cache (SQLite) or backend
        # (PostgreSQL) is warm, where a FIFO pool hands out the coldest one every time.
        kwargs.setdefault("pool_use_lifo", True)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    _size_pool(kwargs)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    file = sqlite_file(url)

    @event.listens_for(engine, "do_connect")
    def _before_connect(*_args: Any) -> None:
        if file is not None:
            _create_private(file)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_SIZE_LIMIT}")
        if os.environ.get("FIREBELL_SQLITE_BACKGROUND_CHECKPOINT"):
            # `serve` and `worker` checkpoint from the engine's thread (store/jobs.py): the automatic
            # checkpoint runs inside whichever commit crosses 1,000 WAL pages, which under load is
            # ingestion's, on the event loop: seconds-long stalls at p99 (bench/page_latency.py).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
        # reads then writes can fail with SQLITE_BUSY halfway, which busy_timeout cannot retry.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def checkpoint_sqlite(engine: Engine, *, truncate: bool) -> bool:
    """Copy the WAL into the database (PASSIVE: writers go on). `truncate` also cuts the -wal file to
    nothing, which needs the write lock and every reader off the old WAL: it tries once and never
    waits (a wait would hold writers off for up to the busy timeout), doing a passive checkpoint's
    work when something is in the way. False when something was in the way."""
    raw = engine.raw_connection()  # no BEGIN: a checkpoint must not run inside a transaction of its own
    try:
        cursor = raw.cursor()
        # The copying is done PASSIVE, beside the writers, first: a TRUNCATE checkpoint holds the write
        # lock while it copies, and ingestion's writers on SQLite wait on the event loop (a 64 MB WAL
        # held them ~150 ms: bench/ingest.py's max latency). TRUNCATE then only has the file to cut.
        busy, log_frames, copied = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if truncate and busy == 0 and log_frames == copied:
            cursor.execute("PRAGMA busy_timeout=0")
            try:
                busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            finally:
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        elif truncate:
            busy = 1  # a reader is still on frames not yet copied: not now
        cursor.close()
    finally:
        raw.close()
    return bool(busy == 0)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
