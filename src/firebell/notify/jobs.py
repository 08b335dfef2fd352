"""Notify's background work: the escalation pass (the ladders plan pages, notify writes them), the
update-cadence reminders (incidents record them, notify pages the roles), sending the due pages,
and dropping delivery receipts nobody claimed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from firebell.escalation.engine import CLAIM_BATCH, StaleEscalation, next_due, plan_due
from firebell.escalation.targets import Page, Recipient
from firebell.incidents import cadence
from firebell.notify import receipts, sender
from firebell.notify.channels.base import Delivery
from firebell.notify.outbox import insert_planned
from firebell.notify.settings import Channels
from firebell.store.jobs import PRUNE_EVERY, Job, Runner

MAX_CLAIM_BATCH = 1_000  # escalation steps in one pass under a backlog (SQLite's write lock is held ~0.1 s)


def run_due(session: Session, now: datetime, limit: int = CLAIM_BATCH) -> int:
    """One escalation pass, end to end; how many escalations were stepped. Escalation decides what is
    due and whom it pages, the outbox writes the pages (`notifications` has that one writer, and
    escalation comes before notify and never imports it), then escalation records its steps: all in
    the caller's transaction, so a step's position, its timeline event and its pages commit together
    (or, after a crash, not at all)."""
    decided = plan_due(session, now, limit)
    if decided is None:
        return 0
    reached = insert_planned(session, decided.pages, now)
    decided.finish([to.who if to is not None else None for to in reached])
    return decided.stepped


def step_due(engine: Runner, _now: datetime) -> int:
    """Each batch reads the clock anew: a backlog's later steps are judged at their own time."""
    total, limit = 0, CLAIM_BATCH
    while True:
        try:
            with engine.db.unit_of_work() as session:
                stepped = run_due(session, engine.clock(), limit=limit)
        except StaleEscalation:
            limit = CLAIM_BATCH
            continue  # someone changed an escalation mid-pass: read it again
        # A full batch means a backlog (a storm of incidents): take bigger batches, whose
        # per-transaction costs (claim, reads, commit) are spread over more steps, so the last
        # step of the storm is written sooner (10,000 due: 250 a pass 1.17 s, 1,000 a pass
        # 0.93-1.03 s); the first pass stays small so a lone step commits at once.
        limit = min(limit * 2, MAX_CLAIM_BATCH) if stepped >= limit else CLAIM_BATCH
        total += stepped
        if stepped:
            engine.wake("sender")  # pages were written: the sender need not wait for its tick
        if stepped == 0 or engine.stopping():
            return total


def escalation_pass() -> Job:
    return Job("escalation", step_due, next_due=next_due)


def remind_due(engine: Runner, now: datetime) -> int:
    """Page the commander and the communications lead when a stakeholder update falls due."""
    with engine.db.unit_of_work(write=False) as session:  # on SQLite the scan must not hold the write lock
        reminders = cadence.due(session, now)
    if not reminders:
        return 0
    with engine.db.unit_of_work() as session:
        recorded = cadence.record(session, reminders, now)
        insert_planned(session, [Page(incident_id=r.incident_id, step_key=r.step_key, level=-1, loop=0, kind="reminder",
                                      message=r.message,
                                      recipient=Recipient(target=f"role:{role}", user_id=user_id, user_name=name))
                                 for r in recorded for role, user_id, name in r.holders], now)
    if recorded:
        engine.wake("sender")  # the reminders are pages
    return len(recorded)


def cadence_reminders() -> Job:
    return Job("cadence reminders", remind_due, every=cadence.CHECK_EVERY)


def send_due(engine: Runner, channels: Channels) -> int:
    """Send every due page: claim (commit), send with no transaction open, record the results.
    Under the lease: pages to one address go out in order, and no page is in two engines' hands."""
    total = 0
    while not engine.stopping() and engine.holds_lease():
        with engine.db.unit_of_work() as session:
            claimed = sender.claim(session, channels, engine.clock())
        if not claimed:
            return total
        stalled: set[str] = set()  # addresses whose older page just failed: the rest wait their turn
        results: list[tuple[sender.Claimed, Delivery | None, datetime]] = []
        for item in claimed:
            if item.address in stalled or not engine.holds_lease():
                results.append((item, None, engine.clock()))
                continue
            delivery = sender.send(channels, item)
            if not delivery.ok:
                stalled.add(item.address)
            results.append((item, delivery, engine.clock()))
        # One transaction records the batch. A crash before it commits leaves the rows
        # "sending" until their deadline, which is exactly the interrupted send of the crash rule.
        with engine.db.unit_of_work() as session:
            for item, result, at in results:
                if result is None:
                    sender.release(session, item, at)
                else:
                    sender.record(session, item, result, at)
        total += len(claimed)
    return total


def _prune_receipts(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        receipts.prune(session, now)
    return 0


def page_sender(channels: Channels) -> Job:
    return Job("sender", lambda engine, _now: send_due(engine, channels), lane="sender", lease=True)


def receipt_pruning() -> Job:
    return Job("receipt pruning", _prune_receipts, every=PRUNE_EVERY)
