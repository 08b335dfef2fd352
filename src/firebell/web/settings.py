"""How the web console runs here: its public URL (https means Secure cookies and HSTS) and how long
a browser stays signed in.

    FIREBELL_SESSION_IDLE       a session unused this long ends (default 12h)
    FIREBELL_SESSION_LIFETIME   a session ends this long after sign-in, used or not (default 7d)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from firebell.core.durations import parse_duration
from firebell.core.sign_in import SessionLifetimes
from firebell.errors import Invalid

DEFAULT_IDLE = timedelta(hours=12)
DEFAULT_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class WebSettings:
    public_url: str
    lifetimes: SessionLifetimes

    @property
    def https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    @property
    def session_cookie(self) -> str:
        # The __Host- prefix (https only) stops a sibling subdomain from planting or shadowing it.
        return "__Host-firebell_session" if self.https else "firebell_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-firebell_csrf" if self.https else "firebell_csrf"


def web_settings_from_env(public_url: str, env: Mapping[str, str] | None = None) -> WebSettings:
    env = os.environ if env is None else env

    def duration(name: str, default: timedelta) -> timedelta:
        text = env.get(name, "").strip()
        if not text:
            return default
        try:
            value = parse_duration(text)
        except ValueError as exc:
            raise Invalid(f"{name}: {exc}") from None
        if value <= timedelta(0):
            raise Invalid(f"{name}: a session must last longer than zero")
        return value

    return WebSettings(public_url=public_url.rstrip("/"),
                       lifetimes=SessionLifetimes(idle=duration("FIREBELL_SESSION_IDLE", DEFAULT_IDLE),
                                                  absolute=duration("FIREBELL_SESSION_LIFETIME", DEFAULT_LIFETIME)))
