"""Acknowledge and resolve links in messages: signed, expiring, single use (see core/action_links)."""

from __future__ import annotations

from datetime import datetime, timedelta

from firebell.core.action_links import make_token

LINK_LIFETIME = timedelta(hours=24)


def action_urls(secret: bytes, public_url: str, *, incident_id: str, user_id: str, notification_id: str,
                now: datetime) -> dict[str, str]:
    """{action: URL} for one recipient of one message; each link's nonce is its notification and action."""
    expires = now + LINK_LIFETIME
    out = {}
    for action in ("acknowledge", "resolve"):
        token = make_token(secret, action, incident_id, user_id, f"{notification_id}:{action}", expires)
        out[action] = f"{public_url}/act/{token}"
    return out
