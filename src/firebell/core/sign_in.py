"""Sign-in decisions for the web console: where a `next=` may send a person, and whether a browser
session is still alive. Pure: every instant is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
