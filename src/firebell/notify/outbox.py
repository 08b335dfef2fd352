"""Writing pages into the outbox, in the transaction of the decision that caused them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.escalation.targets import Recipient
from firebell.notify.models import Notification
from firebell.store.rawsql import Statement, raw

_METHODS = Statement("""SELECT user_id, type, address FROM contact_methods
    WHERE user_id = ANY(:ids) ORDER BY user_id, position, id""")
_EMAILS = Statement("SELECT id, email FROM users WHERE id = ANY(:ids)")


def contact_methods_of(session: Session, user_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """{user id: [(channel, address), ...]} in each user's order; their account email when they set
    none. One query for any number of users (the engine asks for a whole pass at once)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    db = raw(session)
    methods: dict[str, list[tuple[str, str]]] = {}
    for user_id, channel, address in db.rows(_METHODS, {"ids": ids}):
        methods.setdefault(user_id, []).append((channel, address))
    missing = [u for u in ids if u not in methods]
    if missing:
        for user_id, email in db.rows(_EMAILS, {"ids": missing}):
            if email:
                methods[user_id] = [("email", email)]
    return methods


def idempotency_key(incident_id: str, step_key: str, who: str, position: int) -> str:
    """incident : step (level and loop, trigger, manual request) : user or webhook : contact method."""
    return f"{incident_id}:{step_key}:{who}:{position}"


def step_key_of(row: Notification) -> str:
    """The step part of a user's page key, so the next contact method of the same step gets the
    same step part."""
    suffix = f":{row.user_id}:{row.contact_position}"
    assert row.idempotency_key.endswith(suffix)
    return row.idempotency_key[len(row.incident_id) + 1:-len(suffix)]


@dataclass(frozen=True)
class Destination:
    channel: str
    address: str
    who: str  # the key's recipient part: a user id, or webhook:<name>
    message: dict[str, Any]


def destination(recipient: Recipient, methods: list[tuple[str, str]], position: int,
                message: dict[str, Any]) -> Destination | None:
    """Where `recipient`'s page goes: the named outbound webhook, or the user's contact method at
    `position`; None when there is no such method."""
    if recipient.webhook:
        if position > 0:
            return None
        return Destination("webhook", recipient.webhook_url, f"webhook:{recipient.webhook}",
                           message | {"secret_env": recipient.webhook_secret_env})
    if position >= len(methods):
        return None
    channel, address = methods[position]
    return Destination(channel, address, recipient.user_id or "", message)


def enqueue(session: Session, *, incident_id: str, recipient: Recipient, step_key: str, level: int, loop: int,
            kind: str, message: dict[str, Any], now: datetime, position: int = 0) -> Notification | None:
    """One outbox row for `recipient`'s contact method at `position`. The idempotency key names
    the incident, the step (level and loop, or trigger), the user and the contact method, so the
    same step can never page the same method twice. None when there is no such method."""
    methods = contact_methods_of(session, [recipient.user_id]).get(recipient.user_id or "", []) \
        if recipient.user_id and not recipient.webhook else []
    to = destination(recipient, methods, position, message)
    if to is None:
        return None
    key = idempotency_key(incident_id, step_key, to.who, position)
    existing = session.execute(select(Notification).where(Notification.idempotency_key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Notification(idempotency_key=key, incident_id=incident_id, user_id=recipient.user_id,
                       target=recipient.target, channel=to.channel, address=to.address, contact_position=position,
                       level=level, loop=loop, kind=kind, message=to.message, state="pending", attempts=0,
                       next_attempt_at=now, created_at=now)
    session.add(row)
    return row
