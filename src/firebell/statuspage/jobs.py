"""The status page's background work: maintenances start and complete on time; the severity policy
opens public incidents and answers resolutions (policy_job.py); the static export is made again as
the clock moves."""

from __future__ import annotations

from datetime import datetime, timedelta

from firebell.statuspage import live, maintenance, policy_job
from firebell.statuspage.public import live_page
from firebell.store.jobs import Job, Runner

# The export is written on every change, but it also depends on the clock: the day bars move at
# midnight in the page's zone, and the 90-day window and its uptime with every hour. Made again this
# often even when nothing changed; only the files that differ are written (export.write_export).
EXPORT_REFRESH_EVERY = timedelta(minutes=10)


def _maintenance_clock(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        return maintenance.step_due(session, now)


def maintenance_clock() -> Job:
    return Job("status page maintenance", _maintenance_clock, next_due=maintenance.next_due)


def severity_policy() -> Job:
    return Job("status page severity policy", policy_job.run)


def _refresh_export(engine: Runner, now: datetime) -> int:
    """Ask this process's exporter thread for a fresh export (never on this lane: rendering the site
    is the exporter's work). Every instance does it for its own export directory."""
    with engine.db.unit_of_work(write=False) as session:
        page = live_page(session)
        directory = page.export_dir if page is not None else None
    if directory:
        live.site_of(engine.db.engine).export(directory, now)
    return 0  # nothing the lane should hurry back for


def export_refresh() -> Job:
    return Job("status page export refresh", _refresh_export, every=EXPORT_REFRESH_EVERY)
