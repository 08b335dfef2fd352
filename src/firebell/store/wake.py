"""Wake-ups: "something fell due" told to every engine, in this process and, on PostgreSQL, in the
others that share the database.

In this process a change calls the callbacks the engines registered (`Database.on_change`). On
PostgreSQL it also goes out as a NOTIFY, which each engine's listener (its own connection, its own
thread) turns back into a call of its callbacks: a change made by one `serve --workers N` process or
by a separate `firebell worker` wakes every engine within milliseconds instead of at its next tick.

The NOTIFY is sent after the commit, by one notifier thread per process on its own connection,
never inside the committing transaction: PostgreSQL serializes the commits of every transaction
that notifies (one lock for the whole cluster), which would serialize ingestion's writers with it,
and the notifier folds a burst of changes into one NOTIFY. A lost wake-up (a connection dropped
meanwhile) costs at most a tick: each engine still polls.

A second kind of wake-up is for what people watch (the console's live views): "these keys changed"
(incident ids), sent after any commit that appended to a timeline. It wakes the watchers only, never
the engines (a note or a page's outcome gives an engine nothing to do), and its NOTIFY carries the
keys after the token, so a live view tells only the viewers of those incidents. A burst is folded
into as few NOTIFYs as fit; `None` instead of keys means "anything may have changed" (a listener
that was away, or too many keys to say).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger("firebell.store.wake")
CHANNEL = "firebell_wake"
LISTEN_POLL_S = 0.25  # how often a listener with nothing to hear looks whether it should stop
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 5.0
_MAX_PAYLOAD = 7000  # PostgreSQL refuses a NOTIFY payload of 8000 bytes or more
Watcher = Callable[[frozenset[str] | None], None]


def _own_connection(engine: Engine) -> Any:
    """A driver connection outside the pool (held for good, it must not take a request's place),
    in autocommit: LISTEN and NOTIFY take effect at once."""
    pooled = engine.raw_connection()
    connection: Any = pooled.driver_connection  # read first: detaching forgets it
    pooled.detach()
    connection.autocommit = True
    return connection


def _close(connection: Any) -> None:
    try:
        connection.close()
    except Exception:  # already broken: nothing left to release
        log.debug("closing a wake-up connection failed", exc_info=True)


class _Reconnecting(threading.Thread):
    """A daemon thread that keeps one connection and gets a new one, after a growing pause, when it
    is lost. A stop never waits on the database: the thread notices within LISTEN_POLL_S."""

    def __init__(self, engine: Engine, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.engine = engine
        self.stopping = threading.Event()

    def run(self) -> None:
        pause = RECONNECT_FIRST_S
        while not self.stopping.is_set():
            connection = None
            try:
                connection = _own_connection(self.engine)
                self.connected(connection)
                pause = RECONNECT_FIRST_S
                self.serve(connection)
            except Exception as exc:
                if self.stopping.is_set():
                    break
                log.warning("%s: %s; connecting again in %.1f s", self.name, exc, pause)
                self.stopping.wait(pause)
                pause = min(pause * 2, RECONNECT_MAX_S)
            finally:
                if connection is not None:
                    _close(connection)

    def connected(self, connection: Any) -> None:
        """Set up a new connection."""

    def serve(self, connection: Any) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()


class _Listener(_Reconnecting):
    def __init__(self, engine: Engine, token: str, wake: Callable[[], None], seen: Watcher) -> None:
        super().__init__(engine, "firebell-wake-listener")
        self.token, self.wake, self.seen = token, wake, seen
        self.reconnecting = False

    def connected(self, connection: Any) -> None:
        connection.execute(f"LISTEN {CHANNEL}")
        if self.reconnecting:  # whatever others changed while this listener was away
            self.wake()
            self.seen(None)
        self.reconnecting = True

    def serve(self, connection: Any) -> None:
        while not self.stopping.is_set():
            for notice in connection.notifies(timeout=LISTEN_POLL_S):
                token, _, keys = notice.payload.partition(" ")
                if token == self.token:  # this process's own changes woke it already
                    continue
                if keys:
                    self.seen(None if keys == "*" else frozenset(keys.split(",")))
                else:
                    self.wake()


def _payloads(token: str, keys: set[str] | None) -> list[str]:
    """`token key,key,...` in as few NOTIFYs as fit; `token *` for "anything"."""
    if keys is None:
        return [f"{token} *"]
    payloads: list[str] = []
    batch: list[str] = []
    size = 0
    for key in sorted(keys):
        if batch and size + len(key) + 1 > _MAX_PAYLOAD:
            payloads.append(f"{token} {','.join(batch)}")
            batch, size = [], 0
        batch.append(key)
        size += len(key) + 1
    if batch:
        payloads.append(f"{token} {','.join(batch)}")
    return payloads


class _Notifier(_Reconnecting):
    def __init__(self, engine: Engine, token: str) -> None:
        super().__init__(engine, "firebell-wake-notifier")
        self.token = token
        self.pending = threading.Event()
        self.due = False
        self.keys: set[str] | None = set()  # keys seen changed and not yet sent; None: anything
        self.lock = threading.Lock()

    def add(self, keys: frozenset[str] | None) -> None:
        """Send these keys as seen changed (store/wake.py's second kind of wake-up); None: anything."""
        with self.lock:
            if keys is None or self.keys is None:
                self.keys = None
            else:
                self.keys |= keys
        self.pending.set()

    def add_due(self) -> None:
        with self.lock:
            self.due = True
        self.pending.set()

    def serve(self, connection: Any) -> None:
        while not self.stopping.is_set() or self.pending.is_set():
            if not self.pending.wait(LISTEN_POLL_S):
                continue
            # Taken before sending: a change during the send is sent again after it.
            with self.lock:
                self.pending.clear()
                due, keys, self.due, self.keys = self.due, self.keys, False, set()
            if due:
                connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, self.token))
            if keys is None or keys:
                for payload in _payloads(self.token, keys):
                    connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))


class WakeChannel:
    """One database's wake-ups (store/uow.py's Database holds one)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._across_processes = engine.dialect.name == "postgresql"
        self._token = uuid.uuid4().hex  # names this channel's own NOTIFYs, which its listener skips
        self._callbacks: list[Callable[[], None]] = []
        self._watchers: list[Watcher] = []
        self._lock = threading.Lock()
        self._listener: _Listener | None = None
        self._notifier: _Notifier | None = None

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` at every change, from any process; returns what unsubscribes it."""
        return self._add(self._callbacks, callback)

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher(keys)` whenever a commit in any process says these keys changed (None:
        anything may have); returns what unsubscribes it."""
        return self._add(self._watchers, watcher)

    def _add(self, into: list[Any], callback: Any) -> Callable[[], None]:
        with self._lock:
            into.append(callback)
            if self._across_processes and self._listener is None:
                self._listener = _Listener(self._engine, self._token, self._wake_here, self._seen_here)
                self._listener.start()

        def unsubscribe() -> None:
            with self._lock:
                if callback in into:
                    into.remove(callback)
                if not self._callbacks and not self._watchers and self._listener is not None:
                    self._listener.stop()
                    self._listener = None

        return unsubscribe

    def changed(self) -> None:
        """Something fell due: wake every engine now."""
        self._wake_here()
        if self._across_processes:
            self._notifier_started().add_due()

    def seen_changed(self, keys: frozenset[str]) -> None:
        """What people watch changed (these keys): tell every watcher now, in every process."""
        self._seen_here(keys)
        if self._across_processes:
            self._notifier_started().add(keys)

    def _notifier_started(self) -> _Notifier:
        with self._lock:
            if self._notifier is None:
                self._notifier = _Notifier(self._engine, self._token)
                self._notifier.start()
            return self._notifier

    def _wake_here(self) -> None:
        for callback in list(self._callbacks):
            callback()

    def _seen_here(self, keys: frozenset[str] | None) -> None:
        for watcher in list(self._watchers):
            watcher(keys)

    def close(self) -> None:
        """Stop listening. A NOTIFY still pending gets a moment to go out (a short-lived command's
        change reaches the engines before the process ends), never more."""
        with self._lock:
            listener, notifier, self._listener, self._notifier = self._listener, self._notifier, None, None
        if listener is not None:
            listener.stop()
        if notifier is not None:
            notifier.stop()
            if notifier.pending.is_set():
                notifier.join(timeout=1.0)
