"""Unit of work: one transaction per command. Services receive a session and never commit; the unit
of work commits, and runs what the transaction registered for before and after its commit
(store/hooks.py), such as waking the engines."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from firebell.store.batch import INLINE_MAX_BATCH, MAX_BATCH, GroupCommit
from firebell.store.hooks import after_commit, run_before_commit, take_after_commit
from firebell.store.txcache import per_transaction
from firebell.store.wake import WakeChannel, Watcher

_DATABASE = "firebell.database"  # a session's Database, in its info
_SEEN = "firebell.seen_changed"  # the keys a transaction changed that people watch


class Database:
    """Holds the engine and hands out units of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        writer_bind = engine.execution_options(sqlite_immediate=True)
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = sessionmaker(bind=writer_bind, expire_on_commit=False, info={_DATABASE: self})
        self._wake = WakeChannel(engine)
        # SQLite has one write lock. Writers queue on this in-process lock instead of polling the
        # database lock under busy_timeout, where an unlucky thread can lose for seconds; other
        # processes still wait on the database lock itself.
        self._sqlite_writer = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._group_commit: GroupCommit | None = None

    @property
    def group_commit(self) -> GroupCommit:
        """This process's batching writer for high-rate small writes (ingestion)."""
        if self._group_commit is None:
            sqlite = self.dialect == "sqlite"
            # PostgreSQL: a writer thread (and its spare), so the event loop reads requests meanwhile.
            # SQLite: on the event loop, in smaller batches, since nothing else runs while one does.
            self._group_commit = GroupCommit(self, INLINE_MAX_BATCH if sqlite else MAX_BATCH, inline=sqlite)
        return self._group_commit

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """Commit if the block finishes, roll back if it raises. Read-only units never commit."""
        factory = self._writer if write else self._reader
        queue = self._sqlite_writer if write and self._sqlite_writer is not None else nullcontext()
        committed: list[Callable[[], None]] = []
        with queue, factory() as session:
            try:
                yield session
                if write:
                    run_before_commit(session)
                    committed = take_after_commit(session)
                    session.commit()
                # A read-only unit just closes: the pool rolls its connection back, and the session
                # does not first expire every object it loaded one attribute at a time (a page of 50
                # incidents: about a tenth of the request's CPU).
            except BaseException:
                session.rollback()
                raise
        for fn in committed:  # once the write lock is free: what they wake may want it
            fn()

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` whenever something falls due, whichever process changed it (an engine
        registers its wake-up here); returns what unregisters it."""
        return self._wake.subscribe(callback)

    def changed(self) -> None:
        """Something fell due: wake every engine now (store/wake.py)."""
        self._wake.changed()

    def on_seen_change(self, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher(keys)` whenever a commit in any process changed what people watch (the
        incidents whose ids are `keys`; None: anything may have); returns what unregisters it."""
        return self._wake.watch(watcher)

    def seen_changed(self, keys: frozenset[str]) -> None:
        """What people watch changed under `keys`: tell every live view now (store/wake.py)."""
        self._wake.seen_changed(keys)

    def dispose(self) -> None:
        self._wake.close()
        if self._group_commit is not None:
            self._group_commit.close()
        self.engine.dispose()


def due_after_commit(session: Session) -> None:
    """Work falls due when this transaction commits (a timer moved, a page was queued): every engine
    is woken then rather than at its next tick, and not at all if the transaction rolls back."""
    database = session.info.get(_DATABASE)
    if isinstance(database, Database):
        after_commit(session, database.changed)


def seen_after_commit(session: Session, key: str) -> None:
    """What people watch under `key` (an incident's id) changes when this transaction commits: every
    live view is told then, in every process (store/wake.py), and not at all on a rollback."""
    database = session.info.get(_DATABASE)
    if isinstance(database, Database):
        per_transaction(session, _SEEN, lambda: _told_after_commit(session, database)).add(key)


def _told_after_commit(session: Session, database: Database) -> set[str]:
    keys: set[str] = set()
    after_commit(session, lambda: database.seen_changed(frozenset(keys)))
    return keys
