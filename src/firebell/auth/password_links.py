"""One-time links to set a password: an invitation (`firebell user invite`, seven days) or a reset
(`firebell user reset-password` or the sign-in page's "forgot password" form, one hour). The link
carries a 256-bit random secret; the table keeps its SHA-256. A link works once: using it (or any
other link of the same person) spends every outstanding link of that person, and ends their
browser sessions, since whoever knew the old password may be signed in somewhere."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from firebell.audit.log import record
from firebell.auth.models import PasswordLink
from firebell.auth.passwords import active_user, check_password_rules, set_password
from firebell.auth.web_sessions import end_sessions_of, hash_secret
from firebell.errors import Invalid, NotFound
from firebell.org.models import User

LIFETIMES = {"invite": timedelta(days=7), "reset": timedelta(hours=1)}
PATHS = {"invite": "/invite", "reset": "/reset"}
MAX_RESETS_PER_HOUR = 3  # the "forgot password" form must not become a way to flood someone's inbox


@dataclass(frozen=True)
class IssuedLink:
    token: str
    purpose: str
    user_name: str
    full_name: str
    email: str
    expires_at: datetime

    def url(self, public_url: str) -> str:
        return f"{public_url}{PATHS[self.purpose]}/{self.token}"


class LinkNotUsable(Invalid):
    """Unknown, used, expired, or its person is no longer active: the answer is the same for each."""


def issue_link(session: Session, *, user_name: str, purpose: str, now: datetime, actor: str) -> IssuedLink:
    if purpose not in LIFETIMES:
        raise Invalid(f"unknown password link purpose {purpose!r}")
    user = active_user(session, user_name)
    if user is None:
        raise NotFound(f"no active user named {user_name!r}")
    return _issue(session, user, purpose, now, actor)


def request_reset(session: Session, *, name_or_email: str, now: datetime) -> IssuedLink | None:
    """A reset link for the active person with this name or email address, or None (no such person,
    or already sent enough resets this hour); the caller answers the same in every case."""
    wanted = name_or_email.strip()
    if not wanted:
        return None
    user = session.execute(
        select(User).where(User.archived_at.is_(None),
                           or_(User.name == wanted, func.lower(User.email) == wanted.lower()))
        .order_by(User.name).limit(1)
    ).scalar_one_or_none()
    if user is None or not user.email:
        return None
    recent = session.execute(
        select(func.count()).select_from(PasswordLink)
        .where(PasswordLink.user_id == user.id, PasswordLink.purpose == "reset",
               PasswordLink.created_at > now - timedelta(hours=1))
    ).scalar_one()
    if recent >= MAX_RESETS_PER_HOUR:
        return None
    return _issue(session, user, "reset", now, actor="forgot-password form")


def open_link(session: Session, token: str, *, purpose: str, now: datetime) -> PasswordLink | None:
    """The usable link this token names, or None. Read-only."""
    row = session.execute(
        select(PasswordLink).where(PasswordLink.token_hash == hash_secret(token), PasswordLink.purpose == purpose)
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now or row.user.archived_at is not None:
        return None
    return row


def use_link(session: Session, token: str, *, purpose: str, password: str, now: datetime) -> User:
    """Sets the person's password from a usable link and spends it. A password that breaks the rules
    raises Invalid and leaves the link usable; an unusable link raises LinkNotUsable."""
    row = open_link(session, token, purpose=purpose, now=now)
    if row is None:
        raise LinkNotUsable("This link does not work any more: it was used, it expired, or it was never valid.")
    check_password_rules(password)
    # Spent in one statement that only one of two simultaneous uses can win.
    claimed = session.execute(
        update(PasswordLink).where(PasswordLink.id == row.id, PasswordLink.used_at.is_(None)).values(used_at=now)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise LinkNotUsable("This link does not work any more: it was used, it expired, or it was never valid.")
    user = row.user
    session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
                    .values(used_at=now))
    end_sessions_of(session, user.id, now=now)
    set_password(session, user_name=user.name, plain=password, now=now, actor=f"{purpose} link")
    return user


def _issue(session: Session, user: User, purpose: str, now: datetime, actor: str) -> IssuedLink:
    token = secrets.token_urlsafe(32)
    expires = now + LIFETIMES[purpose]
    session.add(PasswordLink(token_hash=hash_secret(token), user_id=user.id, purpose=purpose, created_at=now,
                             expires_at=expires))
    record(session, actor=actor, action=f"password_link.{purpose}", subject=user.name,
           details={"expires_at": expires.isoformat()}, now=now)
    return IssuedLink(token=token, purpose=purpose, user_name=user.name, full_name=user.full_name or user.name,
                      email=user.email, expires_at=expires)
