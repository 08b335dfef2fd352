"""Writing pages into the outbox, in the transaction of the decision that caused them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.escalation.targets import Recipient
from firebell.notify.models import Notification
from firebell.notify.reach import reach_of, urgencies, urgency_of
from firebell.org.models import User

_RULE_STEP = "+r"


def step_with_ordinal(step_key: str, ordinal: int) -> str:
    """A person's rules may plan several notifications for one step; each gets its own key."""
    return f"{step_key}{_RULE_STEP}{ordinal}" if ordinal else step_key


def base_step(step_key: str) -> str:
    """The step a key belongs to, without `step_with_ordinal`'s rule-step suffix ("+r2")."""
    return step_key.split(_RULE_STEP, 1)[0]


def idempotency_key(incident_id: str, step_key: str, who: str, position: int) -> str:
    """incident : step (level and loop, trigger, manual request) : user or webhook : contact method."""
    return f"{incident_id}:{step_key}:{who}:{position}"


def step_key_of(row: Notification) -> str:
    """The step part of a user's page key, so the next contact method of the same step gets the
    same step part."""
    suffix = f":{row.user_id}:{row.contact_position}"
    assert row.idempotency_key.endswith(suffix)
    return row.idempotency_key[len(row.incident_id) + 1:-len(suffix)]


def needless(row: Notification, status: str | None) -> bool:
    """Whether the incident (in `status`) no longer needs this page: ladder pages and a rule's later
    steps once it is acknowledged, everything once it is resolved."""
    step = step_key_of(row) if row.user_id else ""
    follow_up = base_step(step) != step
    return status == "resolved" or (status == "acknowledged" and (row.kind == "page" or follow_up))


def describe(session: Session, row: Notification, user: str | None = None) -> dict[str, Any]:
    """What a timeline event about this page says of it (`user`: the person's name, if known)."""
    if user is None and row.user_id:  # only the name: a User row drags its memberships and roles along
        user = session.execute(select(User.name).where(User.id == row.user_id)).scalar()
    return {"notification": row.id, "user": user, "channel": row.channel,
            "target": row.target, "level": row.level + 1 if row.level >= 0 else None, "kind": row.kind,
            "attempts": row.attempts}


@dataclass(frozen=True)
class Destination:
    channel: str
    address: str
    who: str  # the key's recipient part: a user id, or webhook:<name>
    message: dict[str, Any]


def webhook_destination(recipient: Recipient, message: dict[str, Any]) -> Destination | None:
    """Where a page to a named outbound webhook goes; None for any other recipient (people are
    reached through `reach`)."""
    if not recipient.webhook:
        return None
    return Destination("webhook", recipient.webhook_url, f"webhook:{recipient.webhook}",
                       message | {"secret_env": recipient.webhook_secret_env})


def enqueue(session: Session, *, incident_id: str, recipient: Recipient, step_key: str, level: int, loop: int,
            kind: str, message: dict[str, Any], now: datetime, position: int | None = None) -> Notification | None:
    """Outbox rows for one recipient. For a person, `position` None means a new page: their rules for
    its urgency decide which methods and when (else their first verified method, now); a number
    means that one method (failover to the next). The idempotency key names the incident, the step
    (level and loop, or trigger), the person and the method, so a step never pages a method twice.
    Returns the first row, or None when there is no such method."""
    if recipient.webhook or not recipient.user_id:
        to = webhook_destination(recipient, message) if not position else None  # a webhook has no failover
        return _add(session, incident_id, recipient, step_key, level, loop, kind, to, 0, now, "") \
            if to is not None else None
    reach = reach_of(session, [recipient.user_id]).get(recipient.user_id)
    if reach is None:
        return None
    urgency = urgency_of(str(message.get("severity", "")), urgencies(session))
    plan = reach.plan(urgency, now, now) if position is None else reach.method(position, urgency, now)
    first = None
    for step in plan:
        to = Destination(step.channel, step.address, recipient.user_id, message)
        row = _add(session, incident_id, recipient, step_with_ordinal(step_key, step.ordinal), level, loop, kind, to,
                   step.position, step.at, step.why, made_at=now)
        first = first or row
    return first


def _add(session: Session, incident_id: str, recipient: Recipient, step_key: str, level: int, loop: int, kind: str,
         to: Destination, position: int, at: datetime, why: str, made_at: datetime | None = None) -> Notification:
    key = idempotency_key(incident_id, step_key, to.who, position)
    existing = session.execute(select(Notification).where(Notification.idempotency_key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Notification(idempotency_key=key, incident_id=incident_id, user_id=recipient.user_id,
                       target=recipient.target, channel=to.channel, address=to.address, contact_position=position,
                       level=level, loop=loop, kind=kind, message=to.message, state="pending", attempts=0,
                       next_attempt_at=at, held_reason=why, created_at=made_at or at)
    session.add(row)
    return row
