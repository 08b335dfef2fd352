"""The engine's escalation work: claim escalations whose timer fell due and act on them.

Claim and act happen in one transaction: the escalation row is claimed (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so several engines share the work; SQLite runs one engine), the incident row is
locked, and the step's effects (new position, timeline event, outbox rows) commit together. A
crash before the commit leaves the timer due, so a restarted engine does the step again, and the
outbox's idempotency keys make sure nobody is paged twice for it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from firebell.core import escalation as core
from firebell.escalation.models import Escalation
from firebell.escalation.service import facts_of
from firebell.escalation.targets import resolve
from firebell.incidents.models import Incident, TimelineEvent
from firebell.notify.outbox import enqueue

log = logging.getLogger(__name__)
CLAIM_BATCH = 100


def _timeline(session: Session, incident: Incident, type_: str, payload: dict[str, Any], now: datetime) -> None:
    session.add(TimelineEvent(incident_id=incident.id, type=type_, actor_id=None, actor="firebell", payload=payload,
                              occurred_at=now, recorded_at=now))


def _message(incident: Incident, reason: str, targets: list[str]) -> dict[str, Any]:
    return {"incident_id": incident.id, "ref": incident.ref, "title": incident.title, "severity": incident.severity,
            "status": incident.status, "summary": incident.summary or incident.title, "reason": reason,
            "targets": targets}


def _page(session: Session, incident: Incident, targets: tuple[core.Target, ...], *, step_key: str, level: int,
          loop: int, kind: str, reason: str, webhooks: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Outbox rows for every recipient of `targets`; what happened, for the timeline."""
    paged: list[str] = []
    nobody: list[str] = []
    labels = [t.label() for t in targets]
    message = _message(incident, reason, labels)
    for target in targets:
        recipients = resolve(session, target, now, webhooks)
        if not recipients:
            nobody.append(target.label())
        for recipient in recipients:
            row = enqueue(session, incident_id=incident.id, recipient=recipient, step_key=step_key, level=level,
                          loop=loop, kind=kind, message=message | {"note": target.note}, now=now)
            if row is None:
                nobody.append(f"{target.label()} ({recipient.user_name}: no contact method)")
            else:
                paged.append(recipient.user_name or f"webhook:{recipient.webhook}")
    return {"targets": labels, "paged": paged, "unreached": nobody}


def _run_ladder(session: Session, row: Escalation, incident: Incident, snapshot: core.Snapshot,
                now: datetime) -> None:
    assert row.next_due_at is not None
    manual = row.status == "manual"
    if incident.status == "acknowledged" and not manual:
        row.status, row.next_due_at = "acknowledged", None  # acknowledged: the ladder stops here
        return
    policy = snapshot.policy
    step = core.fire(policy, core.Position(row.level, row.loop), row.next_due_at)
    outcome = _page(session, incident, step.targets, step_key=f"L{row.level}.{row.loop}", level=row.level,
                    loop=row.loop, kind="manual" if manual else "page",
                    reason=f"escalation level {row.level + 1} of {policy.name}", now=now,
                    webhooks=row.snapshot.get("webhooks") or {})
    _timeline(session, incident, "escalation_step", {
        "policy": policy.name, "level": row.level + 1, "loop": row.loop, "manual": manual,
        "due_at": row.next_due_at.isoformat(), **outcome}, now)
    if incident.status == "acknowledged":  # a person asked for this level; the ladder stays stopped
        after = step.next_position or core.Position(len(policy.levels), row.loop)
        row.status, row.next_due_at, row.level, row.loop = "acknowledged", None, after.level, after.loop
    elif step.next_position is None:
        row.status, row.next_due_at, row.level = "exhausted", None, len(policy.levels)
        _timeline(session, incident, "escalation_exhausted", {"policy": policy.name, "loops": row.loop + 1}, now)
    else:
        row.status = "active"
        row.level, row.loop = step.next_position.level, step.next_position.loop
        row.next_due_at = step.next_due_at


def _run_triggers(session: Session, row: Escalation, incident: Incident, snapshot: core.Snapshot,
                  now: datetime) -> None:
    facts = facts_of(incident)
    fired = list(row.fired_triggers or [])
    for trigger in core.due_triggers(snapshot.triggers, facts, fired, now):
        outcome = _page(session, incident, trigger.targets, step_key=f"T:{trigger.name}", level=-1, loop=0,
                        kind="trigger", reason=f"trigger {trigger.name}", now=now,
                        webhooks=row.snapshot.get("webhooks") or {})
        _timeline(session, incident, "escalation_trigger", {"trigger": trigger.name, "condition": trigger.condition,
                                                           **outcome}, now)
        fired.append(trigger.name)
    row.fired_triggers = fired
    row.triggers_due_at = core.next_trigger_at(snapshot.triggers, facts, fired)


def step(session: Session, row: Escalation, now: datetime) -> None:
    """Act on one claimed escalation whose ladder or triggers fell due."""
    incident = session.get(Incident, row.incident_id, with_for_update=True, populate_existing=True)
    assert incident is not None
    if incident.status == "resolved":
        row.status, row.next_due_at, row.triggers_due_at = "stopped", None, None
        row.updated_at = now
        return
    snapshot = core.snapshot_from_json(row.snapshot)
    if row.next_due_at is not None and row.next_due_at <= now:
        _run_ladder(session, row, incident, snapshot, now)
    if row.triggers_due_at is not None and row.triggers_due_at <= now:
        _run_triggers(session, row, incident, snapshot, now)
    row.updated_at = now


def claim_due(session: Session, now: datetime, limit: int = CLAIM_BATCH) -> list[Escalation]:
    query = (select(Escalation).where(or_(Escalation.next_due_at <= now, Escalation.triggers_due_at <= now))
             .order_by(Escalation.next_due_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.execute(query).scalars())


def run_due(session: Session, now: datetime, limit: int = CLAIM_BATCH) -> int:
    """One engine pass over due escalations; how many were stepped."""
    rows = claim_due(session, now, limit)
    for row in rows:
        step(session, row, now)
    return len(rows)
