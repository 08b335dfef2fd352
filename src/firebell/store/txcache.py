"""Values that live exactly as long as a session's current transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

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
