"""The status page's background work: maintenances start and complete on time; the severity policy
opens public incidents and answers resolutions (policy_job.py)."""

from __future__ import annotations

from datetime import datetime

from firebell.statuspage import maintenance, policy_job
from firebell.store.jobs import Job, Runner


def _maintenance_clock(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        return maintenance.step_due(session, now)


def maintenance_clock() -> Job:
    return Job("status page maintenance", _maintenance_clock, next_due=maintenance.next_due)


def severity_policy() -> Job:
    return Job("status page severity policy", policy_job.run)
