"""Writing pages into the outbox, in the transaction of the decision that caused them.

The one writer of new `notifications` rows: the escalation pass (notify/jobs.py:run_due), a
person paged by hand, failover, admins and cadence reminders all go through `insert_planned`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core import outbox_states
from firebell.escalation.targets import Page, Recipient
from firebell.notify.channels.base import Rendered
from firebell.notify.models import Notification
from firebell.notify.reach import Planned, reach_of, urgencies, urgency_of
from firebell.org.models import User
from firebell.store.base import new_id
from firebell.store.rawsql import Raw, Statement, raw
from firebell.store.uow import due_after_commit

_RULE_STEP = "+r"
MESSAGE = "message"  # the kind of a row that carries words to an audience, not a page to a person


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
    """Whether the incident (in `status`) no longer needs this page (`outbox_states.needless`)."""
    step = step_key_of(row) if row.user_id else ""
    return outbox_states.needless(row.kind, base_step(step) != step, status)


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
    """Where a page to a named outbound webhook, or to an address (a Slack mention, a chat route),
    goes; None for a person (people are reached through `reach`)."""
    if recipient.channel:
        return Destination(recipient.channel, recipient.address, recipient.who, message | dict(recipient.details))
    if not recipient.webhook:
        return None
    return Destination("webhook", recipient.webhook_url, f"webhook:{recipient.webhook}",
                       message | {"secret_env": recipient.webhook_secret_env})


_COLUMNS = ("id", "idempotency_key", "incident_id", "user_id", "target", "channel", "address", "contact_position",
            "level", "loop", "kind", "message", "state", "attempts", "next_attempt_at", "uncertain", "last_error",
            "held_reason", "created_at")
_VALUES = f"({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})"
_INSERT_SQLITE = Statement(f"INSERT OR IGNORE INTO notifications {_VALUES}")
_INSERT_PG = Statement(f"INSERT INTO notifications {_VALUES} ON CONFLICT (idempotency_key) DO NOTHING")


def _row(db: Raw, key: str, incident_id: str, user_id: str | None, target: str, channel: str, address: str,
         message: dict[str, Any], *, kind: str, at: datetime, created_at: Any, position: int = 0, level: int = -1,
         loop: int = 0, held_reason: str = "") -> dict[str, Any]:
    """One new pending `notifications` row; `created_at` orders an address's rows (a microsecond apart,
    in the order they were planned)."""
    return {"id": new_id(), "idempotency_key": key, "incident_id": incident_id, "user_id": user_id, "target": target,
            "channel": channel, "address": address, "contact_position": position, "level": level, "loop": loop,
            "kind": kind, "message": db.json(message), "state": outbox_states.State.PENDING.value, "attempts": 0,
            "next_attempt_at": db.ts(at), "uncertain": 0, "last_error": "", "held_reason": held_reason,
            "created_at": created_at}


def insert_planned(session: Session, pages: Sequence[Page], now: datetime, *,
                   position: int | None = None) -> list[Destination | None]:
    """The outbox rows for `pages`, in one statement however many there are (the escalation pass
    writes a few hundred steps at once: bench/escalation.py), in the caller's transaction.

    For a person, `position` None means a new page: their rules for its urgency decide which methods
    and when (else their first verified method, now); a number means that one method (failover to
    the next). A webhook or an address (a Slack mention, a chat route) is paged once, now: it has no
    failover. The idempotency key names the
    incident, the step, the person or webhook and the method, so a step never pages a method twice:
    a key written before is left as it is. Returns where each page's first notification goes, None
    when it has nowhere to go (a person without a usable method)."""
    db = raw(session)
    reaches = reach_of(session, (p.recipient.user_id for p in pages if p.recipient.user_id and not p.recipient.webhook
                                 and not p.recipient.channel))
    table = urgencies(session) if reaches else {}
    rows: list[dict[str, Any]] = []
    first: list[Destination | None] = []
    for page in pages:
        r = page.recipient
        if r.webhook or r.channel or not r.user_id:
            to = webhook_destination(r, page.message) if not position else None
            planned = [Planned(0, to.channel, to.address, now, 0, "")] if to else []
            who, message = (to.who, to.message) if to else ("", page.message)
        else:
            reach = reaches.get(r.user_id)
            urgency = urgency_of(str(page.message.get("severity", "")), table)
            planned = [] if reach is None else (reach.plan(urgency, now, now) if position is None
                                                else reach.method(position, urgency, now))
            who, message = r.user_id, page.message
        if not planned:
            first.append(None)
            continue
        first.append(Destination(planned[0].channel, planned[0].address, who, message))
        for plan in planned:
            rows.append(_row(db, idempotency_key(page.incident_id, step_with_ordinal(page.step_key, plan.ordinal),
                                                 who, plan.position),
                             page.incident_id, r.user_id, r.target, plan.channel, plan.address, message,
                             position=plan.position, level=page.level, loop=page.loop, kind=page.kind,
                             at=max(plan.at, now), held_reason=plan.why, created_at=db.ts_after(now, len(rows))))
    db.run_many(_INSERT_SQLITE if db.dialect == "sqlite" else _INSERT_PG, rows)
    return first


@dataclass(frozen=True)
class Said:
    """One message (not a page) for one address: a stakeholder update to a Slack channel, an email to
    one member of a list, a customer email, a webhook. `key` is unique per message and address (a
    retry or a second request for the same message reuses it, and the row is written once)."""

    channel: str  # email, slack (a channel id as address), webhook, chat channels
    address: str
    audience: str  # how the timeline names who it reached: "#incident-comms", "executives: ceo@..."
    purpose: str  # messages/catalogue.py
    key: str
    rendered: Rendered
    secret_env: str = ""  # webhooks: the environment variable of their secret


def insert_messages(session: Session, incident_id: str, ref: str, title: str, severity: str,
                    said: Sequence[Said], now: datetime) -> None:
    """Outbox rows for `said`, in the caller's transaction: the sender delivers them with the pages'
    retries, ordering per address and crash rule; each delivery is a "message sent" event."""
    db = raw(session)
    rows = [_row(db, item.key, incident_id, None, item.audience[:200], item.channel, item.address,
                 {"ref": ref, "title": title, "severity": severity, "purpose": item.purpose, "audience": item.audience,
                  "secret_env": item.secret_env, "rendered": asdict(item.rendered)},
                 kind=MESSAGE, at=now, created_at=db.ts_after(now, position))
            for position, item in enumerate(said)]
    if rows:
        db.run_many(_INSERT_SQLITE if db.dialect == "sqlite" else _INSERT_PG, rows)
        due_after_commit(session)  # the sender goes now, not at its next tick


def enqueue(session: Session, *, incident_id: str, recipient: Recipient, step_key: str, level: int, loop: int,
            kind: str, message: dict[str, Any], now: datetime, position: int | None = None) -> Destination | None:
    """One page to one recipient now (`insert_planned`): where its first notification goes, or None
    when there is no such method."""
    page = Page(incident_id=incident_id, recipient=recipient, step_key=step_key, level=level, loop=loop, kind=kind,
                message=message)
    return insert_planned(session, [page], now, position=position)[0]
