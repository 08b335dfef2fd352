"""People as single sign-on sees them: the addresses of active users, and a user made at sign-in
(sign_in.oidc.create_users). The tree owns every other user; such a one is marked so that an apply
leaves it alone until the tree names it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.org.models import Organisation, User

SIGN_IN_ORIGIN = "sign-in"


def active_addresses(session: Session) -> list[tuple[str, str]]:
    """(id, email) of every user who is not archived."""
    rows = session.execute(select(User.id, User.email).where(User.archived_at.is_(None)))
    return [(user_id, email) for user_id, email in rows]


def taken_names(session: Session) -> set[str]:
    """Every user name in use, archived ones included (names are unique across both)."""
    return set(session.scalars(select(User.name)))


def add_signed_in_user(session: Session, *, name: str, email: str, full_name: str, access: str) -> User:
    """A user for someone the provider vouches for and no user has the address of. They get the
    organisation's zone and no contact methods: they are not paged until the tree says how."""
    org = session.get(Organisation, 1)
    user = User(name=name, email=email, full_name=full_name, access=access,
                timezone=org.timezone if org is not None else "UTC", origin=SIGN_IN_ORIGIN)
    session.add(user)
    session.flush()
    return user
