"""Leases: work that must run in one engine at a time across every process sharing the database.

A lease row names its holder and an expiry; the holder renews it while working. Another engine
takes it over only after it expired, and each new holder gets a larger `token`, which work done
under the lease can carry to tell an old holder's late writes from the current one's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firebell.engine.models import Lease


def hold(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> int | None:
    """Take or renew lease `name` for `holder` until now + ttl; its token, or None if someone else
    holds it. Commit promptly: the row lock is held until then."""
    row = session.get(Lease, name, with_for_update=True, populate_existing=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(Lease(name=name, holder=holder, token=1, expires_at=now + ttl))
        except IntegrityError:
            return None  # another engine created it a moment ago
        return 1
    if row.holder != holder and row.expires_at > now:
        return None
    if row.holder != holder:
        row.holder, row.token = holder, row.token + 1
    row.expires_at = now + ttl
    return row.token


def release(session: Session, name: str, holder: str, now: datetime) -> None:
    row = session.get(Lease, name, with_for_update=True, populate_existing=True)
    if row is not None and row.holder == holder:
        row.expires_at = now
