"""Browser sessions of the web console, kept in the database so that they can be listed and ended.

The cookie carries a 256-bit random secret; the table keeps its SHA-256 (as for API tokens, a slow
hash adds nothing to a random secret). A session ends when it is revoked (sign-out, an admin, the
person's account deactivated), when it has not been used for the idle lifetime, or at its absolute
end, whichever comes first (core/sign_in.py decides).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, lazyload, selectinload

from firebell.actor import Actor
from firebell.audit.log import record
from firebell.auth.models import WebSession
from firebell.auth.service import actor_for
from firebell.core.access import AccessRole
from firebell.core.sign_in import SessionLifetimes, SessionState, idle_deadline, session_state
from firebell.org.models import User

LAST_SEEN_GRANULARITY = timedelta(minutes=1)  # a page view writes at most once a minute


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class StartedSession:
    id: str
    secret: str  # goes into the cookie, and nowhere else
    csrf_secret: str


@dataclass(frozen=True)
class LiveSession:
    id: str
    actor: Actor
    csrf_secret: str
    needs_touch: bool  # last_seen_at is stale: the caller records the use in a write unit


def start_session(session: Session, user: User, *, now: datetime, lifetimes: SessionLifetimes,
                  via: str = "password", client_address: str = "", user_agent: str = "",
                  replacing: str | None = None) -> StartedSession:
    """A new session for `user`. The one the browser had before (`replacing`, its cookie's secret)
    ends: signing in always gets a new id, so an id planted in a browser before sign-in is worthless."""
    if replacing:
        _revoke_where(session, WebSession.secret_hash == hash_secret(replacing), now)
    secret = secrets.token_urlsafe(32)
    row = WebSession(secret_hash=hash_secret(secret), user_id=user.id, created_at=now, last_seen_at=now,
                     idle_expires_at=now + lifetimes.idle, expires_at=now + lifetimes.absolute,
                     csrf_secret=secrets.token_urlsafe(32), via=via,
                     client_address=client_address[:64], user_agent=user_agent[:200])
    row.idle_expires_at = idle_deadline(now, lifetimes, row.expires_at)
    session.add(row)
    session.flush()
    record(session, actor=user.name, action="session.start", subject=user.name,
           details={"session_id": row.id, "via": via, "address": row.client_address}, now=now)
    return StartedSession(id=row.id, secret=secret, csrf_secret=row.csrf_secret)


def find_session(session: Session, secret: str | None, *, now: datetime) -> LiveSession | None:
    """The live session a cookie names, or None. Read-only."""
    if not secret:
        return None
    row = session.execute(
        select(WebSession).where(WebSession.secret_hash == hash_secret(secret))
        .options(joinedload(WebSession.user).options(selectinload(User.memberships), lazyload("*")))
    ).scalar_one_or_none()
    if row is None or row.user.archived_at is not None:
        return None
    state = session_state(now, idle_expires_at=row.idle_expires_at, expires_at=row.expires_at,
                          revoked_at=row.revoked_at)
    if state is not SessionState.LIVE:
        return None
    actor = actor_for(row.user, AccessRole(row.user.access), "web")
    return LiveSession(id=row.id, actor=actor, csrf_secret=row.csrf_secret,
                       needs_touch=now - row.last_seen_at >= LAST_SEEN_GRANULARITY)


def touch_session(session: Session, session_id: str, *, now: datetime, lifetimes: SessionLifetimes) -> None:
    row = session.get(WebSession, session_id)
    if row is not None and row.revoked_at is None:
        row.last_seen_at = now
        row.idle_expires_at = idle_deadline(now, lifetimes, row.expires_at)


def end_session(session: Session, secret: str, *, now: datetime) -> None:
    """Sign-out: the browser's own session ends."""
    row = session.execute(select(WebSession).where(WebSession.secret_hash == hash_secret(secret))).scalar_one_or_none()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        record(session, actor=row.user.name, action="session.end", subject=row.user.name,
               details={"session_id": row.id}, now=now)


def end_sessions_of(session: Session, user_id: str, *, now: datetime) -> int:
    """Every session of a person ends (their account was deactivated, or an admin said so)."""
    return _revoke_where(session, WebSession.user_id == user_id, now)


def _revoke_where(session: Session, condition: object, now: datetime) -> int:
    result = session.execute(
        update(WebSession).where(condition, WebSession.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now).execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)
