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
from sqlalchemy.orm import Session, joinedload, lazyload

from firebell.actor import Actor
from firebell.audit.log import record
from firebell.auth.models import WebSession
from firebell.auth.service import actor_for
from firebell.core.access import AccessRole
from firebell.core.sign_in import SessionLifetimes, SessionState, idle_deadline, session_state
from firebell.errors import Invalid, NotFound
from firebell.org.models import TeamMembership, User

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
    # Every page view asks: the session, its person and their teams in one statement (a round trip
    # is most of a small query's cost on PostgreSQL), and nothing else of the person.
    row = session.execute(
        select(WebSession).where(WebSession.secret_hash == hash_secret(secret))
        .options(joinedload(WebSession.user).options(
            joinedload(User.memberships).joinedload(TeamMembership.team), lazyload("*")))
    ).unique().scalar_one_or_none()
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


@dataclass(frozen=True)
class SessionInfo:
    id: str
    user_name: str
    via: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the earlier of its idle and absolute ends
    client_address: str
    user_agent: str


def list_sessions(session: Session, *, now: datetime, user_name: str | None = None) -> list[SessionInfo]:
    """Live sessions, most recently used first."""
    query = (select(WebSession).join(User, User.id == WebSession.user_id)
             .where(WebSession.revoked_at.is_(None), WebSession.expires_at > now, WebSession.idle_expires_at > now,
                    User.archived_at.is_(None))
             .order_by(WebSession.last_seen_at.desc()))
    if user_name is not None:
        query = query.where(User.name == user_name)
    return [SessionInfo(id=row.id, user_name=row.user.name, via=row.via, created_at=row.created_at,
                        last_seen_at=row.last_seen_at, expires_at=min(row.idle_expires_at, row.expires_at),
                        client_address=row.client_address, user_agent=row.user_agent)
            for row in session.execute(query).scalars()]


def revoke_sessions(session: Session, *, now: datetime, actor: str, user_name: str | None = None,
                    session_id: str | None = None) -> int:
    """Ends one session (by id) or every session of a person; how many ended. NotFound for an unknown
    person or session, so that a typo is not read as "nothing to revoke"."""
    if (user_name is None) == (session_id is None):
        raise Invalid("give a person or a session id")
    if session_id is not None:
        row = session.get(WebSession, session_id)
        if row is None:
            raise NotFound(f"no session with id {session_id}")
        subject = row.user.name
        ended = _revoke_where(session, WebSession.id == session_id, now)
    else:
        user = session.execute(select(User).where(User.name == user_name)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"no user named {user_name!r}")
        subject = user.name
        ended = end_sessions_of(session, user.id, now=now)
    record(session, actor=actor, action="session.revoke", subject=subject,
           details={"session_id": session_id, "ended": ended}, now=now)
    return ended
