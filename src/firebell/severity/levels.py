"""Severity levels and their assessment criteria, read from the store: what incidents, alerts and the
severity API build on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.severity import Criterion, SeverityLevel
from firebell.core.sla import Targets
from firebell.errors import Invalid
from firebell.severity.models import SeverityCriterionRow, SeverityLevelRow


def _td(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def severity_levels(session: Session) -> list[SeverityLevelRow]:
    return list(session.execute(
        select(SeverityLevelRow).where(SeverityLevelRow.archived_at.is_(None)).order_by(SeverityLevelRow.rank)
    ).scalars())


def to_core_level(row: SeverityLevelRow) -> SeverityLevel:
    return SeverityLevel(key=row.key, rank=row.rank, name=row.name,
                         acknowledge_within=_td(row.acknowledge_within_s),
                         recover_within=_td(row.recover_within_s), update_every=_td(row.update_every_s))


NO_TARGETS = Targets(acknowledge_within=None, recover_within=None)


@dataclass(frozen=True)
class SeverityClocks:
    """What the clocks of every severity need: SLA targets and the stakeholder-update cadence."""

    targets: dict[str, Targets]
    cadences: dict[str, timedelta]


def severity_clocks(session: Session) -> SeverityClocks:
    """Every severity's SLA targets and update cadence, in one query. Archived levels are included:
    old incidents keep the clock they were run under. (A `session.get` an incident went to the
    database each time in a list: the identity map holds rows weakly.)"""
    targets: dict[str, Targets] = {}
    cadences: dict[str, timedelta] = {}
    for key, ack, recover, every in session.execute(select(
            SeverityLevelRow.key, SeverityLevelRow.acknowledge_within_s, SeverityLevelRow.recover_within_s,
            SeverityLevelRow.update_every_s)):
        targets[key] = Targets(acknowledge_within=_td(ack), recover_within=_td(recover))
        if every:
            cadences[key] = timedelta(seconds=every)
    return SeverityClocks(targets, cadences)


def update_cadences(session: Session) -> dict[str, timedelta]:
    """Severity key -> how often stakeholders expect an update, for severities that have a cadence."""
    return severity_clocks(session).cadences


def require_severity(session: Session, key: str) -> SeverityLevelRow:
    levels = severity_levels(session)
    for row in levels:
        if row.key.lower() == key.lower():
            return row
    known = ", ".join(r.key for r in levels) or "none configured"
    raise Invalid(f"unknown severity {key!r}; severities are: {known}")


def criteria(session: Session) -> list[Criterion]:
    rows = session.execute(select(SeverityCriterionRow).order_by(SeverityCriterionRow.position)).scalars()
    return [Criterion(name=r.name, severity=r.severity, description=r.description, flag=r.flag,
                      metric=r.metric, min=r.min, above=r.above, max=r.max) for r in rows]
