"""Writing pages into the outbox, in the transaction of the decision that caused them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.escalation.targets import Recipient
from firebell.notify.models import Notification
from firebell.org.models import ContactMethod, User


def contact_methods(session: Session, user_id: str) -> list[tuple[str, str]]:
    """(channel, address) in the user's order; their account email when they set none."""
    methods = session.execute(select(ContactMethod).where(ContactMethod.user_id == user_id)
                              .order_by(ContactMethod.position, ContactMethod.id)).scalars().all()
    found = [(m.type, m.address) for m in methods]
    if not found:
        email = session.execute(select(User.email).where(User.id == user_id)).scalar()
        if email:
            found = [("email", email)]
    return found


def enqueue(session: Session, *, incident_id: str, recipient: Recipient, step_key: str, level: int, loop: int,
            kind: str, message: dict[str, Any], now: datetime, position: int = 0) -> Notification | None:
    """One outbox row for `recipient`'s contact method at `position`. The idempotency key names
    the incident, the step (level and loop, or trigger), the user and the contact method, so the
    same step can never page the same method twice. None when there is no such method."""
    if recipient.webhook:
        channel, address, who = "webhook", recipient.webhook_url, f"webhook:{recipient.webhook}"
        if position > 0:
            return None
    else:
        assert recipient.user_id is not None
        methods = contact_methods(session, recipient.user_id)
        if position >= len(methods):
            return None
        channel, address = methods[position]
        who = recipient.user_id
    key = f"{incident_id}:{step_key}:{who}:{position}"
    existing = session.execute(select(Notification).where(Notification.idempotency_key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Notification(idempotency_key=key, incident_id=incident_id, user_id=recipient.user_id,
                       target=recipient.target, channel=channel, address=address, contact_position=position,
                       level=level, loop=loop, kind=kind,
                       message=message | {"secret_env": recipient.webhook_secret_env} if recipient.webhook else message,
                       state="pending", attempts=0, next_attempt_at=now, created_at=now)
    session.add(row)
    return row
