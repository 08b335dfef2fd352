"""Acknowledge and resolve links in messages: signed, expiring, single use (see core/action_links)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from firebell.core.action_links import make_token
from firebell.store.secrets import server_secret

LINK_LIFETIME = timedelta(hours=24)


def link_secret(session: Session) -> bytes:
    """The key that signs action links and calendar feed URLs: the server's secret (store/secrets.py),
    which is never in the database, so that reading the database is not enough to forge a link. It
    is used as it is, as links and feeds were signed before; each signs its own kind of message
    (core/action_links, oncall/feeds), and the audit chain derives a key of its own."""
    return server_secret(session.get_bind().engine)


def action_urls(secret: bytes, public_url: str, *, incident_id: str, user_id: str, notification_id: str,
                now: datetime) -> dict[str, str]:
    """{action: URL} for one recipient of one message; each link's nonce is its notification and action."""
    expires = now + LINK_LIFETIME
    out = {}
    for action in ("acknowledge", "resolve"):
        token = make_token(secret, action, incident_id, user_id, f"{notification_id}:{action}", expires)
        out[action] = f"{public_url}/act/{token}"
    return out
