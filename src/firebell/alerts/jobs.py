"""Alerts' background work: overdue heartbeats raise their alert, old alert history goes."""

from __future__ import annotations

import logging
from datetime import datetime

from firebell.alerts.heartbeats import check_overdue
from firebell.alerts.service import prune_history
from firebell.store.jobs import PRUNE_EVERY, Job, Runner

log = logging.getLogger("firebell.engine")


def _overdue_heartbeats(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        outcomes = check_overdue(session, now)
    for outcome in outcomes:
        log.warning("heartbeat missed: %s -> incident %s", outcome.dedup_key, outcome.incident)
    return len(outcomes)


def _prune_history(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        removed = prune_history(session, now)
    if removed:
        log.info("pruned %d old alert events", removed)
    return removed


def heartbeats() -> Job:
    return Job("heartbeats", _overdue_heartbeats)


def history_pruning() -> Job:
    return Job("alert history pruning", _prune_history, every=PRUNE_EVERY)
