"""Incidents' background work: update-cadence reminders (incidents/cadence.py)."""

from __future__ import annotations

from datetime import datetime

from firebell.incidents import cadence
from firebell.store.jobs import Job, Runner


def _remind(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work(write=False) as session:  # on SQLite the scan must not hold the write lock
        reminders = cadence.due(session, now)
    if not reminders:
        return 0
    with engine.db.unit_of_work() as session:
        sent = cadence.remind(session, reminders, now)
    if sent:
        engine.wake("sender")  # the reminders are pages
    return sent


def cadence_reminders() -> Job:
    return Job("cadence reminders", _remind, every=cadence.CHECK_EVERY)
