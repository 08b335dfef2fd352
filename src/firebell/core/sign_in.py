"""Sign-in decisions for the web console: where a `next=` may send a person, and whether a browser
session is still alive. Pure: every instant is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

DEFAULT_AFTER_SIGN_IN = "/incidents"
_MAX_NEXT = 2000


def safe_next(target: str | None, default: str = DEFAULT_AFTER_SIGN_IN) -> str:
    """`target` when it is a path of this site, else `default`. A redirect after sign-in must never
    leave Firebell: `//evil.example` and `/\\evil.example` are other hosts to a browser (which reads a
    backslash as a slash), `https:...` or `javascript:` a scheme, and control characters are stripped
    by browsers before they parse (so `/\\t/evil` becomes `//evil`). One leading slash followed by
    anything else is a path on this host, whatever follows (`/a:b` included)."""
    if not target or len(target) > _MAX_NEXT or not target.startswith("/"):
        return default
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target) or "\\" in target:
        return default
    if target.startswith("//"):
        return default
    return target


class SessionState(Enum):
    LIVE = "live"
    IDLE = "idle"  # unused for longer than the idle lifetime
    EXPIRED = "expired"  # older than the absolute lifetime
    REVOKED = "revoked"


@dataclass(frozen=True)
class SessionLifetimes:
    idle: timedelta
    absolute: timedelta

    def __post_init__(self) -> None:
        if self.idle <= timedelta(0) or self.absolute <= timedelta(0):
            raise ValueError("session lifetimes must be longer than zero")


def session_state(now: datetime, *, idle_expires_at: datetime, expires_at: datetime,
                  revoked_at: datetime | None) -> SessionState:
    if revoked_at is not None:
        return SessionState.REVOKED
    if now >= expires_at:
        return SessionState.EXPIRED
    if now >= idle_expires_at:
        return SessionState.IDLE
    return SessionState.LIVE


def idle_deadline(now: datetime, lifetimes: SessionLifetimes, expires_at: datetime) -> datetime:
    """When a session used at `now` falls idle: never after its absolute end."""
    return min(now + lifetimes.idle, expires_at)


@dataclass(frozen=True)
class ThrottleRule:
    """At most `failures` failed sign-ins within `window`, per account and per client address."""

    failures: int = 5
    window: timedelta = timedelta(minutes=15)


def locked_until(now: datetime, failures: list[datetime], rule: ThrottleRule = ThrottleRule()) -> datetime | None:
    """When sign-in may be tried again, or None when it may be tried now. `failures` are the instants of
    failed attempts (of one account, or from one address), any order. Locked while `rule.failures` of
    them lie within the window before `now`; the lock lifts when the oldest of those leaves it."""
    recent = sorted(at for at in failures if now - rule.window < at <= now)
    if len(recent) < rule.failures:
        return None
    return recent[-rule.failures] + rule.window


def retry_time_label(until: datetime) -> str:
    """'HH:MM' in UTC, rounded up to the minute: trying at the time shown is never too early."""
    rounded = until.astimezone(UTC)
    if rounded.second or rounded.microsecond:
        rounded = rounded.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return rounded.strftime("%H:%M")
