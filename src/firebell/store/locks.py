"""Named transaction-scoped locks for work that must not interleave across requests."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from firebell.store.rawsql import Statement, raw
from firebell.store.txcache import per_transaction

_HELD = "advisory_locks_held"
_WITH_LOCKS = "reads_with_locks"
_LOCK_ONE = Statement("SELECT pg_advisory_xact_lock(:k)")
# The subquery's order is the order the locks are taken in.
_LOCK_SORTED = Statement("SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT k FROM unnest(CAST(:keys AS bigint[])) "
                         "AS t(k) ORDER BY k) AS sorted")


def _key(parts: tuple[str, ...]) -> int:
    return zlib.crc32("\x1f".join(parts).encode())


def _held(session: Session) -> set[int]:
    """Keys this transaction holds (advisory xact locks last until commit or rollback)."""
    return per_transaction(session, _HELD, set[int])


def advisory_lock(session: Session, *parts: str) -> bool:
    """Hold a lock named by `parts` until the transaction ends; True if it was taken just now (and
    so may have waited for another transaction). PostgreSQL takes an advisory lock; SQLite needs
    none, because its writers already hold the one database write lock."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    key = _key(parts)
    held = _held(session)
    if key in held:
        return False
    raw(session).run(_LOCK_ONE, {"k": key})
    held.add(key)
    return True


_Reads = Callable[[], list[tuple[Statement, dict[str, Any]]]]
_Receive = Callable[[list[list[tuple[Any, ...]]]], None]


def _waiting(session: Session) -> list[tuple[_Reads, _Receive]]:
    return per_transaction(session, _WITH_LOCKS, list[tuple[_Reads, _Receive]])


def read_with_locks(session: Session, reads: _Reads, receive: _Receive) -> None:
    """Send reads in the round trip of this transaction's `lock_all`, after the locks: `reads()` is
    asked for its statements only then (so a batch can keep announcing what it will need until its
    locks are taken), and `receive` gets their rows, a list per statement. Only on PostgreSQL and
    only if `lock_all` runs: a reader that was not answered reads for itself."""
    _waiting(session).append((reads, receive))


def lock_all(session: Session, names: list[tuple[str, ...]]) -> None:
    """Take many locks in one round trip, in key order (so concurrent takers cannot deadlock)."""
    if session.get_bind().dialect.name != "postgresql" or not names:
        return
    keys = sorted({_key(parts) for parts in names})
    waiting = _waiting(session)
    readers, waiting[:] = list(waiting), []
    asked = [reads() for reads, _ in readers]
    found = raw(session).rows_together([(_LOCK_SORTED, {"keys": keys}), *(read for reads in asked for read in reads)])
    _held(session).update(keys)
    start = 1
    for (_, receive), reads in zip(readers, asked, strict=True):
        receive(found[start:start + len(reads)])
        start += len(reads)


def group_lock_name(service_id: str, group_key: str) -> tuple[str, ...]:
    return (service_id, "group", group_key)


def group_lock(session: Session, service_id: str, group_key: str) -> bool:
    """Serialises everything that opens, joins or closes the incident of one alert group."""
    return advisory_lock(session, *group_lock_name(service_id, group_key))
