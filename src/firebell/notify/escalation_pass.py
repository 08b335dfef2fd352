"""The escalation pass, end to end: escalation decides what is due and whom it pages, the outbox
writes the pages, and escalation records its steps.

The three parts run in the caller's transaction, so a step's position, its timeline event and its
pages commit together (or, after a crash, not at all). Escalation cannot write the pages itself: it
comes before notify and does not import it, and `notifications` has one writer
(`outbox.insert_planned`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from firebell.escalation.engine import CLAIM_BATCH, plan_due
from firebell.notify.outbox import insert_planned


def run_due(session: Session, now: datetime, limit: int = CLAIM_BATCH) -> int:
    """One engine pass over due escalations; how many were stepped."""
    decided = plan_due(session, now, limit)
    if decided is None:
        return 0
    reached = insert_planned(session, decided.pages, now)
    decided.finish([to.who if to is not None else None for to in reached])
    return decided.stepped
