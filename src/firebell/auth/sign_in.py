"""Signing in with a password, throttled per account and per client address: after five failures in
fifteen minutes (core/sign_in.ThrottleRule) nothing else is checked until the oldest of them is out
of the window. Failures are counted by the name tried, so a name with no account is throttled
exactly like one with an account: the answers tell nobody which names exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from firebell.auth.models import SignInFailure
from firebell.auth.passwords import verify_password
from firebell.core.sign_in import ThrottleRule, locked_until
from firebell.org.models import User

THROTTLE = ThrottleRule()


@dataclass(frozen=True)
class PasswordSignIn:
    user: User | None  # None: refused
    locked_until: datetime | None = None  # refused because of (or now locked by) too many failures


def sign_in_with_password(session: Session, *, user_name: str, password: str, client_address: str,
                          now: datetime, rule: ThrottleRule = THROTTLE) -> PasswordSignIn:
    """Checks the password unless the account or the address is locked; records a failure (commit
    it: a refusal is worth keeping). A success clears the account's failures, not the address's."""
    name = user_name.strip()[:100]
    key = name.lower()
    address = client_address[:64]
    since = now - rule.window
    rows = session.execute(
        select(SignInFailure.at, SignInFailure.user_name, SignInFailure.client_address)
        .where(SignInFailure.at > since, or_(SignInFailure.user_name == key, SignInFailure.client_address == address))
    ).all()
    by_account = [at for at, who, _ in rows if who == key]
    by_address = [at for at, _, where in rows if where == address]
    locked = _later(locked_until(now, by_account, rule), locked_until(now, by_address, rule))
    if locked is not None:
        return PasswordSignIn(user=None, locked_until=locked)
    user = verify_password(session, user_name=name, plain=password)
    if user is not None:
        session.execute(delete(SignInFailure).where(SignInFailure.user_name == key))
        return PasswordSignIn(user=user)
    session.add(SignInFailure(at=now, user_name=key, client_address=address))
    session.execute(delete(SignInFailure).where(SignInFailure.at <= since))  # nothing older is ever read
    locked = _later(locked_until(now, [*by_account, now], rule), locked_until(now, [*by_address, now], rule))
    return PasswordSignIn(user=None, locked_until=locked)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max(a, b) if a is not None and b is not None else a or b
