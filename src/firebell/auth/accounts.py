"""An admin's changes to people's accounts from the web console: deactivate (at once, for a
departure at five in the afternoon) and change the access level.

People are declared in the config tree, which stays the truth: a change here is drift, and the next
`config apply` of a tree that still lists the person puts back what the tree says, with its plan
showing it (`archived` or `access` of that user). docs/me-and-admin.md says so, and so does the page.
Every change is audited with the admin who made it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.audit.log import record
from firebell.auth.web_sessions import end_sessions_of
from firebell.core.access import AccessRole
from firebell.errors import Conflict, Invalid, NotFound
from firebell.org.models import User


def _active(session: Session, user_name: str) -> User:
    user = session.execute(select(User).where(User.name == user_name, User.archived_at.is_(None))).scalar()
    if user is None:
        raise NotFound(f"no active user named {user_name!r}")
    return user


def _other_admins(session: Session, user: User) -> int:
    return int(session.execute(select(func.count()).select_from(User).where(
        User.access == AccessRole.ADMIN.value, User.archived_at.is_(None), User.id != user.id)).scalar_one())


def deactivate(session: Session, *, user_name: str, now: datetime, actor: str) -> int:
    """The person can no longer sign in, use a token or be paged; their browser sessions end now (how
    many). An admin cannot deactivate themselves, nor the last admin."""
    user = _active(session, user_name)
    if user.name == actor:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    if user.access == AccessRole.ADMIN.value and not _other_admins(session, user):
        raise Conflict(f"{user.name} is the last admin; make someone else an admin first")
    user.archived_at = now
    user.slack_user_id = None  # as config apply does: the member id may go to someone else
    ended = end_sessions_of(session, user.id, now=now)
    record(session, actor=actor, action="user.deactivate", subject=user.name, details={"sessions_ended": ended},
           now=now)
    return ended


def set_access(session: Session, *, user_name: str, access: str, now: datetime, actor: str) -> None:
    """Tokens and sessions follow at once: both read the person's access on every request."""
    try:
        level = AccessRole(access)
    except ValueError:
        raise Invalid(f"unknown access level {access!r}; use admin, responder or viewer") from None
    user = _active(session, user_name)
    if user.access == level.value:
        return
    if user.access == AccessRole.ADMIN.value and not _other_admins(session, user):
        raise Conflict(f"{user.name} is the last admin; make someone else an admin first")
    before, user.access = user.access, level.value
    record(session, actor=actor, action="user.access", subject=user.name,
           details={"before": before, "after": level.value}, now=now)
