"""Passwords for the web console: argon2id hashes (argon2-cffi's defaults, RFC 9106's second
recommended set), checked in the same time whether or not the account exists."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.audit.log import record
from firebell.auth.models import Password
from firebell.errors import Invalid, NotFound
from firebell.org.models import User

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000  # hashing is slow on purpose; an unbounded input would be slower still

_hasher = PasswordHasher()


@cache
def _decoy_hash() -> str:
    """Verified when there is no account or no password, so that a miss costs what a wrong password
    costs. Made on first use: hashing takes a noticeable moment, which no import should pay."""
    return _hasher.hash("no account has this password; it only spends the same time")


def active_user(session: Session, user_name: str) -> User | None:
    return session.execute(
        select(User).where(User.name == user_name, User.archived_at.is_(None))
    ).scalar_one_or_none()


def check_password_rules(plain: str) -> None:
    if len(plain) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(plain) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"a password can have at most {MAX_PASSWORD_LENGTH} characters")


def set_password(session: Session, *, user_name: str, plain: str, now: datetime, actor: str) -> User:
    user = active_user(session, user_name)
    if user is None:
        raise NotFound(f"no active user named {user_name!r}")
    check_password_rules(plain)
    row = session.get(Password, user.id)
    if row is None:
        row = Password(user_id=user.id)
        session.add(row)
    row.password_hash = _hasher.hash(plain)
    row.changed_at = now
    record(session, actor=actor, action="password.set", subject=user.name, now=now)
    return user


def verify_password(session: Session, *, user_name: str, plain: str) -> User | None:
    """The active user whose password this is, or None (no such user, no password, wrong password:
    the caller cannot tell which, and neither can a stopwatch). Upgrades an old hash in place."""
    user = active_user(session, user_name) if user_name else None
    row = session.get(Password, user.id) if user is not None else None
    if row is None or len(plain) > MAX_PASSWORD_LENGTH:
        _matches(_decoy_hash(), plain[:MAX_PASSWORD_LENGTH])
        return None
    if not _matches(row.password_hash, plain):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(plain)
    return user


def has_password(session: Session, user_id: str) -> bool:
    return session.get(Password, user_id) is not None


def _matches(password_hash: str, plain: str) -> bool:
    try:
        return _hasher.verify(password_hash, plain)
    except (VerificationError, InvalidHashError):
        return False
