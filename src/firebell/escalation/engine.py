"""The engine's escalation work: claim escalations whose timer fell due and act on them, in batches.

Claim and act happen in one transaction: the escalation rows are claimed (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so several engines share the work; SQLite runs one engine), their incidents are
read (and locked), and each step's effects (new position, timeline events, outbox rows) commit
together. A crash before the commit leaves the timers due, so a restarted engine does the steps
again, and the outbox's unique idempotency keys make sure nobody is paged twice for one.

This module decides (`plan_due`) and writes what escalation owns (`EscalationPass.finish`: the
escalations and their timeline events); the outbox rows are notify's, written in between by
notify/jobs.py:run_due, which drives the pass (escalation comes before notify and never imports it).

A pass handles up to `CLAIM_BATCH` escalations with a fixed number of statements: one to claim,
one to read the incidents, one per distinct target (cached for the pass: a schedule's on-call person
is looked up once, not once per incident), one for contact methods, and one executemany each for
outbox rows, timeline events and escalation updates. The updates are fenced on `version`: if any
escalation changed since it was read (a person escalated by hand), the pass rolls back and the next
one reads it again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core import escalation as core
from firebell.core import escalation_states as states
from firebell.core.errors import DecisionError
from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.paging import EscalationExhausted, EscalationStep, EscalationTrigger
from firebell.escalation.targets import Page, Recipient, resolve
from firebell.incidents import timeline
from firebell.incidents.models import TimelineEvent
from firebell.store.rawsql import Raw, Statement, raw
from firebell.store.uow import due_after_commit

log = logging.getLogger(__name__)
# Big enough to amortise the statements and the commit of a pass (measured: 100 -> 6,900 steps/s,
# 250 -> 8,100), small enough that a full pass holds SQLite's one write lock for only ~30 ms:
# ingestion (inline on the event loop) waits for it. Under a backlog the engine loop takes bigger
# passes (notify/jobs.py, up to MAX_CLAIM_BATCH), trading that wait for the storm's throughput.
CLAIM_BATCH = 250

# The frozen policy comes back as text on both stores: escalations started together share one text,
# parsed once per pass (PostgreSQL's jsonb loader would build a new dict for every row).
_CLAIM = Statement("""
    SELECT incident_id, CAST(snapshot AS text), status, level, loop, next_due_at, triggers_due_at, fired_triggers,
           version
    FROM escalations WHERE next_due_at <= :now OR triggers_due_at <= :now
    ORDER BY CASE WHEN triggers_due_at IS NULL OR next_due_at < triggers_due_at THEN next_due_at
                  ELSE triggers_due_at END
    LIMIT :limit""")
_INCIDENT_COLUMNS = """SELECT id, number, title, summary, severity, status, declared_at, acknowledged_at,
    last_update_at, tags FROM incidents"""
_INCIDENTS = Statement(_INCIDENT_COLUMNS + " WHERE id = ANY(:ids)")
# SKIP LOCKED: an incident a person is changing right now (acknowledge, tags, reopen; those lock the
# incident before its escalation) is left for the next pass, so the two never wait on each other.
_INCIDENTS_PG = _INCIDENTS.then("FOR UPDATE SKIP LOCKED")
_UPDATE = Statement("""
    UPDATE escalations SET status = :status, level = :level, loop = :loop, next_due_at = :next_due_at,
        triggers_due_at = :triggers_due_at, fired_triggers = :fired, updated_at = :now, version = version + 1
    WHERE incident_id = :incident_id AND version = :version""")


_START = Statement("""
    INSERT INTO escalations (incident_id, policy_name, snapshot, status, level, loop, next_due_at, triggers_due_at,
                             fired_triggers, version, started_at, updated_at)
    VALUES (:incident_id, :policy_name, :snapshot, 'active', 0, 0, :now, :triggers_due_at, :fired, 1, :now, :now)""")


def start(session: Session, incident_id: str, spec: dict[str, Any], facts: core.IncidentFacts,
          now: datetime) -> None:
    """Freeze `spec` into a new escalation whose first level is due now. Written with a
    driver-level statement: alert ingestion opens incidents on its hot path."""
    snapshot = core.snapshot_from_json(spec)
    due_after_commit(session)
    db = raw(session)
    db.defer(_START, {"incident_id": incident_id, "policy_name": snapshot.policy.name, "snapshot": db.json(spec),
                     "now": db.ts(now), "triggers_due_at": db.ts(core.next_trigger_at(snapshot.triggers, facts, ())),
                     "fired": db.json([])})


class StaleEscalation(Exception):
    """An escalation changed between this pass reading it and writing it; the pass is rolled back."""


@dataclass
class _Row:
    incident_id: str
    snapshot: dict[str, Any]
    status: str
    level: int
    loop: int
    next_due_at: datetime | None
    triggers_due_at: datetime | None
    fired: list[str]
    version: int


@dataclass
class _Incident:
    id: str
    ref: str
    title: str
    summary: str
    facts: core.IncidentFacts


@dataclass
class _Step:
    """One timeline event about to be written, with the pages it made."""

    incident: _Incident
    event: EscalationStep | EscalationTrigger | EscalationExhausted  # its outcome is added when written
    targets: tuple[core.Target, ...] = ()
    pages: list[Page] = field(default_factory=list)


def _json(value: Any) -> Any:
    if value == "[]":  # SQLite's text for an escalation's usual `fired` and an incident's usual tags
        return []
    return json.loads(value) if isinstance(value, str) else value


_CLAIM_PG = _CLAIM.then("FOR UPDATE SKIP LOCKED")


def _claim(db: Raw, now: datetime, limit: int) -> list[_Row]:
    statement = _CLAIM_PG if db.dialect == "postgresql" else _CLAIM
    parsed: dict[str, dict[str, Any]] = {}  # escalations of one policy share one frozen text

    def snapshot(value: Any) -> dict[str, Any]:
        if not isinstance(value, str):
            return dict(value)
        found = parsed.get(value)
        if found is None:
            found = parsed[value] = json.loads(value)
        return found

    return [_Row(incident_id=r[0], snapshot=snapshot(r[1]), status=r[2], level=int(r[3]), loop=int(r[4]),
                 next_due_at=db.read_ts(r[5]), triggers_due_at=db.read_ts(r[6]), fired=list(_json(r[7]) or []),
                 version=int(r[8]))
            for r in db.rows(statement, {"now": db.ts(now), "limit": limit})]


def _incidents(db: Raw, ids: list[str]) -> dict[str, _Incident]:
    statement = _INCIDENTS if db.dialect == "sqlite" else _INCIDENTS_PG
    out = {}
    for r in db.rows(statement, {"ids": ids}):
        declared = db.read_ts(r[6])
        assert declared is not None
        out[r[0]] = _Incident(id=r[0], ref=f"INC-{r[1]}", title=r[2], summary=r[3] or "", facts=core.IncidentFacts(
            severity=r[4], status=r[5], declared_at=declared, acknowledged_at=db.read_ts(r[7]),
            last_update_at=db.read_ts(r[8]), tags=frozenset(_json(r[9]) or ())))
    return out


class EscalationPass:
    """The steps of one pass, decided and not yet written: notify writes `pages`, then `finish`
    records the steps and moves the escalations on."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session, self.now = session, now
        self.db = raw(session)
        self.steps: list[_Step] = []
        self.stepped = 0  # escalations claimed and acted on
        self.updates: list[dict[str, Any]] = []
        self._recipients: dict[tuple[str, str, str], list[Recipient]] = {}

    def recipients(self, target: core.Target, policy: str, webhooks: dict[str, Any]) -> list[Recipient]:
        key = (target.kind, target.name, policy)
        found = self._recipients.get(key)
        if found is None:
            try:
                found = resolve(self.session, target, self.now, webhooks)
            except DecisionError as exc:  # a schedule archived since the policy was frozen: nobody, not a halt
                log.warning("escalation target %s resolves to nobody: %s", target.label(), exc.message)
                found = []
            self._recipients[key] = found
        return found

    def page(self, incident: _Incident, row: _Row, targets: tuple[core.Target, ...], *,
             event: EscalationStep | EscalationTrigger, step_key: str, level: int, kind: str, reason: str,
             asked: str = "", request: dict[str, str] | None = None) -> None:
        step = _Step(incident=incident, event=event, targets=targets)
        webhooks = row.snapshot.get("webhooks") or {}
        message = {"incident_id": incident.id, "ref": incident.ref, "title": incident.title,
                   "severity": incident.facts.severity, "status": incident.facts.status,
                   "summary": incident.summary or incident.title, "reason": reason,
                   "targets": [t.label() for t in targets]} | ({"to": asked} if asked else {}) | (request or {})
        for target in targets:
            for recipient in self.recipients(target, str(row.snapshot.get("name", "")), webhooks):
                step.pages.append(Page(incident_id=incident.id, recipient=recipient, step_key=step_key, level=level,
                                       loop=row.loop, kind=kind, message=message | {"note": target.note}))
        self.steps.append(step)

    def asked(self, incident_id: str) -> dict[str, str]:
        """What the person who escalated by hand said (the latest `escalated` event): the help needed
        and the actions taken, for the `escalation` message of the level's pages. One read per manual
        step, which the ladder's own steps never make."""
        payload = self.session.execute(
            select(TimelineEvent.payload).where(TimelineEvent.incident_id == incident_id,
                                                TimelineEvent.type == EventKind.ESCALATED.value)
            .order_by(TimelineEvent.id.desc()).limit(1)).scalar()
        found = payload if isinstance(payload, dict) else {}
        return {name: str(found[key]) for name, key in (("help", "help"), ("actions", "actions")) if found.get(key)}

    def note(self, incident: _Incident, event: EscalationExhausted) -> None:
        self.steps.append(_Step(incident=incident, event=event))

    def update(self, row: _Row) -> None:
        self.updates.append({"incident_id": row.incident_id, "version": row.version, "status": row.status,
                             "level": row.level, "loop": row.loop, "next_due_at": self.db.ts(row.next_due_at),
                             "triggers_due_at": self.db.ts(row.triggers_due_at), "fired": self.db.json(row.fired),
                             "now": self.db.ts(self.now)})

    @property
    def pages(self) -> list[Page]:
        """Everyone the pass pages, step by step."""
        return [page for step in self.steps for page in step.pages]

    def finish(self, reached: Sequence[str | None]) -> None:
        """Write the pass's timeline events and escalation updates, once its pages are in the outbox.
        `reached` holds, for each of `pages`, who the outbox reached (its key's recipient part: a
        user id or webhook:<name>), or None when the recipient had no contact method."""
        outcomes = iter(reached)
        for step in self.steps:
            paged, unreached = [], [t.label() for t in step.targets
                                    if not any(p.recipient.target == t.label() for p in step.pages)]
            for page in step.pages:
                r, who = page.recipient, next(outcomes)
                if who is None:
                    unreached.append(f"{r.target} ({r.user_name}: no contact method)")
                    continue
                paged.append(r.user_name or who)
            event = step.event
            if step.targets and not isinstance(event, EscalationExhausted):
                event = replace(event, targets=[t.label() for t in step.targets], paged=paged, unreached=unreached)
            timeline.append(self.session, step.incident.id, event, at=self.now)
        if self.updates:
            changed = self._update_all()
            if changed != len(self.updates):
                raise StaleEscalation(f"{len(self.updates) - changed} escalation(s) changed during the pass")

    def _update_all(self) -> int:
        # Fenced on version: the total count falls short if any one escalation had moved on.
        return self.db.run_many(_UPDATE, self.updates)


def _ladder(p: EscalationPass, row: _Row, incident: _Incident, snapshot: core.Snapshot) -> None:
    assert row.next_due_at is not None
    manual = row.status == states.Status.MANUAL
    if not states.ladder_fires(row.status, incident.facts.status):  # acknowledged: the ladder stops here
        row.status, row.next_due_at = states.next_status(row.status, states.Event.ACKNOWLEDGED), None
        return
    policy = snapshot.policy
    step = core.fire(policy, core.Position(row.level, row.loop), row.next_due_at, p.now)
    # The key names the step. A ladder re-frozen by a reassignment counts a generation, and a step a
    # person asked for names the request (the escalation's version), so asking again pages again.
    generation = int(row.snapshot.get("generation", 0))
    step_key = (f"L{row.level}.{row.loop}" + (f".g{generation}" if generation else "")
                + (f".m{row.version}" if manual else ""))
    p.page(incident, row, step.targets, step_key=step_key,
           level=row.level, kind="manual" if manual else "page",
           reason=f"escalation level {row.level + 1} of {policy.name}",
           asked=f"level {row.level + 1} of {policy.name}" if manual else "",
           request=p.asked(incident.id) if manual else None,
           event=EscalationStep(policy=policy.name, level=row.level + 1, loop=row.loop, manual=manual,
                                due_at=row.next_due_at.isoformat()))
    fired = states.after_firing(incident.facts.status, step.next_position is not None)
    row.status = states.next_status(row.status, fired)
    if fired is states.Event.ACKNOWLEDGED:  # a person asked for this level; the ladder stays stopped
        after = step.next_position or core.Position(len(policy.levels), row.loop)
        row.next_due_at, row.level, row.loop = None, after.level, after.loop
    elif fired is states.Event.LADDER_RAN_OUT:
        row.next_due_at, row.level = None, len(policy.levels)
        p.note(incident, EscalationExhausted(policy=policy.name, loops=row.loop + 1))
    else:
        assert step.next_position is not None
        row.level, row.loop = step.next_position.level, step.next_position.loop
        row.next_due_at = step.next_due_at


def _triggers(p: EscalationPass, row: _Row, incident: _Incident, snapshot: core.Snapshot) -> None:
    for trigger in core.due_triggers(snapshot.triggers, incident.facts, row.fired, p.now):
        p.page(incident, row, trigger.targets, step_key=f"T:{trigger.name}", level=-1,
               kind="trigger", reason=f"trigger {trigger.name}",
               event=EscalationTrigger(trigger=trigger.name, condition=trigger.condition))
        row.fired.append(trigger.name)
    row.triggers_due_at = core.next_trigger_at(snapshot.triggers, incident.facts, row.fired)


def plan_due(session: Session, now: datetime, limit: int = CLAIM_BATCH) -> EscalationPass | None:
    """Claim up to `limit` due escalations and step them, writing nothing yet; None when none was due.
    The caller writes the pass's pages and then calls its `finish` (notify/jobs.py:run_due)."""
    p = EscalationPass(session, now)
    rows = _claim(p.db, now, limit)
    if not rows:
        return None
    incidents = _incidents(p.db, [r.incident_id for r in rows])
    snapshots: dict[int, core.Snapshot] = {}
    stepped = 0
    for row in rows:
        incident = incidents.get(row.incident_id)
        if incident is None:
            continue  # locked by a person's change right now (incidents are never deleted): next pass
        stepped += 1
        if incident.facts.status == "resolved":
            row.status = states.next_status(row.status, states.Event.RESOLVED)
            row.next_due_at, row.triggers_due_at = None, None
        else:
            snapshot = snapshots.get(id(row.snapshot))
            if snapshot is None:
                snapshot = snapshots[id(row.snapshot)] = core.snapshot_from_json(row.snapshot)
            if row.next_due_at is not None and row.next_due_at <= now:
                _ladder(p, row, incident, snapshot)
            if row.triggers_due_at is not None and row.triggers_due_at <= now:
                _triggers(p, row, incident, snapshot)
        p.update(row)
    p.stepped = stepped
    return p


_NEXT_DUE = Statement("""SELECT (SELECT min(next_due_at) FROM escalations),
                                 (SELECT min(triggers_due_at) FROM escalations)""")


def next_due(session: Session) -> datetime | None:
    """When the next escalation timer falls due (either kind), or None when none is set."""
    db = raw(session)
    row = db.one(_NEXT_DUE, {})
    found = [t for t in (db.read_ts(row[0]), db.read_ts(row[1])) if t is not None] if row else []
    return min(found) if found else None


def claim_due(session: Session, now: datetime, limit: int = CLAIM_BATCH) -> list[str]:
    """Incident ids of due escalations (claimed on PostgreSQL until the transaction ends)."""
    return [row.incident_id for row in _claim(raw(session), now, limit)]
