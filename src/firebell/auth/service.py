"""API tokens: issued once in plain text, stored as SHA-256 (they are 256-bit random, so a slow
hash adds nothing), checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.audit.log import record
from firebell.auth.models import ApiToken
from firebell.core.access import AccessRole, Principal, role_at_most
from firebell.errors import Invalid, NotFound, Unauthorized
from firebell.org.models import Team, TeamMembership, User

TOKEN_PREFIX = "fb_"
SCOPES = ("api", "statuspage")
LAST_USED_GRANULARITY = timedelta(minutes=1)  # avoid a write on every read request


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    id: str
    user: str
    role: str


def create_token(session: Session, *, user_name: str, role: str, name: str, now: datetime,
                 expires_in: timedelta | None = None, actor: str = "admin-cli", scope: str = "api") -> IssuedToken:
    user = session.execute(
        select(User).where(User.name == user_name, User.archived_at.is_(None))
    ).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no active user named {user_name!r}")
    if expires_in is not None and expires_in <= timedelta(0):
        # Refused, never read as "no expiry": a token asked to be short-lived must not live for ever.
        raise Invalid("a token's lifetime must be longer than zero; give none for a token that never expires")
    try:
        requested = AccessRole(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}; use admin, responder or viewer") from None
    if not role_at_most(requested, AccessRole(user.access)):
        raise Invalid(f"user {user_name} has {user.access} access; a {role} token would exceed it")
    if scope not in SCOPES:
        raise Invalid(f"unknown token scope {scope!r}; use {' or '.join(SCOPES)}")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, role=requested.value, token_hash=hash_token(plain),
                     prefix=plain[:10], created_at=now, scope=scope,
                     expires_at=None if expires_in is None else now + expires_in)
    session.add(token)
    session.flush()
    record(session, actor=actor, action="token.create", subject=user.name,
           details={"token_id": token.id, "role": requested.value, "name": name, "scope": scope}, now=now)
    return IssuedToken(token=plain, id=token.id, user=user.name, role=requested.value)


def revoke_token(session: Session, *, token_id: str, now: datetime, actor: str = "admin-cli") -> None:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    token.revoked_at = now
    record(session, actor=actor, action="token.revoke", subject=token.user.name,
           details={"token_id": token_id}, now=now)


@dataclass(frozen=True)
class TokenInfo:
    """A token as its owner sees it listed: never enough of it to use."""

    id: str
    name: str
    role: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


def list_tokens(session: Session, *, user_id: str, now: datetime) -> list[TokenInfo]:
    """A person's tokens that still work, newest first (their page, "my tokens")."""
    rows = session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars()
    return [TokenInfo(id=t.id, name=t.name, role=t.role, prefix=t.prefix, created_at=t.created_at,
                      expires_at=t.expires_at, last_used_at=t.last_used_at)
            for t in rows if t.expires_at is None or t.expires_at > now]


def revoke_own_token(session: Session, *, user_id: str, token_id: str, now: datetime, actor: str) -> None:
    """Revokes one of the person's own tokens; another person's is NotFound, like a missing one."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(f"no token with id {token_id}")
    revoke_token(session, token_id=token_id, now=now, actor=actor)


@dataclass(frozen=True)
class Authenticated:
    actor: Actor
    token_id: str
    needs_touch: bool  # last_used_at is stale; the caller records use in a write unit


def touch_token(session: Session, token_id: str, now: datetime) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = now


def authenticate(session: Session, plain: str | None, *, now: datetime, via: str = "api",
                 scopes: tuple[str, ...] = ("api",),
                 required: str = "a valid API token is required (Authorization: Bearer fb_...)") -> Authenticated:
    """The actor behind a token whose scope is one of `scopes`, or Unauthorized (with `required`). Never
    says which part was wrong. Read-only, so that read requests stay read-only transactions."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        raise Unauthorized(required)
    rows = session.execute(_token_statement(), {"token_hash": hash_token(plain)}).all()
    found = rows[0] if rows else None
    if (found is None or found.revoked_at is not None or found.user_archived_at is not None
            or (found.expires_at is not None and found.expires_at <= now) or found.scope not in scopes):
        raise Unauthorized(required)
    stale = found.last_used_at is None or now - found.last_used_at >= LAST_USED_GRANULARITY
    # A token never carries more than its user currently has.
    role = AccessRole(found.role)
    if not role_at_most(role, AccessRole(found.access)):
        role = AccessRole(found.access)
    principal = Principal(user_id=found.user_id, role=role,
                          team_ids=frozenset(row.team_id for row in rows if row.team_id is not None))
    actor = Actor(principal=principal, user_name=found.user_name, display_name=found.full_name or found.user_name,
                  via=via)
    return Authenticated(actor=actor, token_id=found.token_id, needs_touch=stale)


@cache
def _token_statement() -> Select[*tuple[Any, ...]]:
    """Every request authenticates: the token, its user and the user's live teams in one statement
    (a row per team), made once. The ORM's token, user and memberships took three times the Python
    of the incident list's own statements (bench/storm.py's list reads)."""
    return (select(ApiToken.id.label("token_id"), ApiToken.role, ApiToken.scope, ApiToken.revoked_at,
                   ApiToken.expires_at, ApiToken.last_used_at, User.id.label("user_id"),
                   User.name.label("user_name"), User.full_name, User.access,
                   User.archived_at.label("user_archived_at"), Team.id.label("team_id"))
            .join(User, User.id == ApiToken.user_id)
            .outerjoin(TeamMembership, TeamMembership.user_id == User.id)
            .outerjoin(Team, and_(Team.id == TeamMembership.team_id, Team.archived_at.is_(None)))
            .where(ApiToken.token_hash == bindparam("token_hash")))


def actor_for(user: User, role: AccessRole, via: str) -> Actor:
    """The actor a user acts as (through a token, or a signed link from a page)."""
    principal = Principal(
        user_id=user.id, role=role,
        team_ids=frozenset(m.team_id for m in user.memberships if m.team.archived_at is None),
    )
    return Actor(principal=principal, user_name=user.name, display_name=user.full_name or user.name, via=via)
