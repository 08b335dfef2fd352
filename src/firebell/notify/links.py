"""Acknowledge and resolve links in messages: signed, expiring, single use (see core/action_links)."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from firebell.core.action_links import make_token
from firebell.notify.models import ServerSecret

LINK_LIFETIME = timedelta(hours=24)
_KEY_NAME = "action_link_key"


_known: dict[str, bytes] = {}  # database URL -> its key: made once, never changed, so read once


def link_secret(session: Session, now: datetime) -> bytes:
    """FIREBELL_SECRET_KEY, else the database's own key (made on first use, shared by every process)."""
    configured = os.environ.get("FIREBELL_SECRET_KEY", "")
    if configured:
        return configured.encode()  # length checked at start-up (check_secret_key)
    database = str(session.get_bind().engine.url)
    known = _known.get(database)
    if known is not None:
        return known
    existing = session.get(ServerSecret, _KEY_NAME)
    if existing is not None:  # committed by someone: safe to keep (one just made could still roll back)
        _known[database] = existing.value.encode()
        return _known[database]
    return _database_key(session, now)


def _database_key(session: Session, now: datetime) -> bytes:
    row = session.get(ServerSecret, _KEY_NAME)
    if row is None:
        try:
            with session.begin_nested():
                row = ServerSecret(name=_KEY_NAME, value=secrets.token_urlsafe(48), created_at=now)
                session.add(row)
        except IntegrityError:  # another process made it first
            row = session.get(ServerSecret, _KEY_NAME, populate_existing=True)
        assert row is not None
    return row.value.encode()


def action_urls(secret: bytes, public_url: str, *, incident_id: str, user_id: str, notification_id: str,
                now: datetime) -> dict[str, str]:
    """{action: URL} for one recipient of one message; each link's nonce is its notification and action."""
    expires = now + LINK_LIFETIME
    out = {}
    for action in ("acknowledge", "resolve"):
        token = make_token(secret, action, incident_id, user_id, f"{notification_id}:{action}", expires)
        out[action] = f"{public_url}/act/{token}"
    return out


MIN_KEY_BYTES = 32


def check_secret_key() -> str | None:
    """Why FIREBELL_SECRET_KEY is unusable, or None: checked when the server or a worker starts,
    because a bad key found at the first page would stop every page."""
    configured = os.environ.get("FIREBELL_SECRET_KEY", "")
    if configured and len(configured.encode()) < MIN_KEY_BYTES:
        return (f"FIREBELL_SECRET_KEY is {len(configured.encode())} bytes; use at least {MIN_KEY_BYTES} "
                "random bytes, e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return None
