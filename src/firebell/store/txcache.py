"""Values that live exactly as long as a session's current transaction, and per-process values kept
for as long as the version they were made for."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar, cast

from sqlalchemy.orm import Session

T = TypeVar("T")


def per_transaction(session: Session, key: str, make: Callable[[], T]) -> T:
    """The value cached under `key` for the session's current transaction, made by `make()` the
    first time (or again after a commit or rollback). `make` may begin the transaction."""
    transaction = session.get_transaction()
    found: Any = session.info.get(key)
    if transaction is not None and found is not None and found[0] is transaction:
        return cast(T, found[1])
    value = make()
    session.info[key] = (session.get_transaction(), value)
    return value


class PerVersion(Generic[T]):
    """Per process: one value per key (a database), made again when the version it was made for moves
    (configuration caches against `organisations.config_version`)."""

    def __init__(self) -> None:
        self._found: dict[Hashable, tuple[int, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int, make: Callable[[], T]) -> T:
        found = self._found.get(key)
        if found is None or found[0] != version:
            found = (version, make())
            with self._lock:
                self._found[key] = found
        return found[1]

    def latest(self, key: Hashable) -> T | None:
        """The value last made for `key`, whatever its version."""
        found = self._found.get(key)
        return None if found is None else found[1]
