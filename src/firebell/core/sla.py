"""The SLA clock of an incident, derived from its severity's targets.

Both clocks start at detection (declared_at): MTTA and MTTR are measured from the moment the
problem was known, and a reopen does not restart them. A target of None means the severity sets
none (P4 in the OPS1 matrix), so nothing can breach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Targets:
    acknowledge_within: timedelta | None
    recover_within: timedelta | None


@dataclass(frozen=True)
class Deadline:
    due_at: datetime
    met_at: datetime | None  # when the milestone happened, if it has
    time_left: timedelta  # negative once overdue; frozen at met_at once met
    breached: bool


@dataclass(frozen=True)
class SlaClock:
    acknowledge: Deadline | None
    recover: Deadline | None

    @property
    def breached(self) -> bool:
        return any(d is not None and d.breached for d in (self.acknowledge, self.recover))


def _deadline(start: datetime, within: timedelta | None, met_at: datetime | None, now: datetime) -> Deadline | None:
    if within is None:
        return None
    due = start + within
    reference = met_at if met_at is not None else now
    return Deadline(due_at=due, met_at=met_at, time_left=due - reference, breached=reference > due)


def sla_clock(
    *,
    targets: Targets,
    declared_at: datetime,
    acknowledged_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
) -> SlaClock:
    """Compute both deadlines at `now`.

    Resolving also counts as the response if nobody acknowledged first: the incident got a
    human's attention by then at the latest.
    """
    milestones = [t for t in (acknowledged_at, resolved_at) if t is not None]
    responded_at = min(milestones) if milestones else None
    return SlaClock(
        acknowledge=_deadline(declared_at, targets.acknowledge_within, responded_at, now),
        recover=_deadline(declared_at, targets.recover_within, resolved_at, now),
    )
