"""The state machines of public incidents and of scheduled maintenances, in the style of
core/lifecycle.py: a table of allowed moves, and a sentence for each refusal.

A public incident moves freely among investigating, identified and monitoring (people learn and
unlearn), may resolve from any of them, may reopen once resolved (the problem came back), and may
publish a post-mortem once resolved; a post-mortem is final. A maintenance goes scheduled ->
in_progress -> verifying -> completed, may skip verifying, may go back from verifying to in progress,
and may be completed while still scheduled (called off); completed is final. `due_maintenance` is
the move the clock makes on its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from firebell.core.errors import Conflict, Invalid


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


UNRESOLVED = frozenset({IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING})
ACTIVE_MAINTENANCE = frozenset({MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING})
_OPEN = tuple(UNRESOLVED)

_INCIDENT_MOVES: frozenset[tuple[IncidentStatus, IncidentStatus]] = frozenset(
    {(a, b) for a in _OPEN for b in (*_OPEN, IncidentStatus.RESOLVED)}
    | {(IncidentStatus.RESOLVED, b) for b in (*_OPEN, IncidentStatus.POSTMORTEM)}
)
_MAINTENANCE_MOVES: frozenset[tuple[MaintenanceStatus, MaintenanceStatus]] = frozenset({
    (MaintenanceStatus.SCHEDULED, MaintenanceStatus.SCHEDULED),  # announced again, with news or a new window
    (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS),
    (MaintenanceStatus.SCHEDULED, MaintenanceStatus.COMPLETED),
    (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.IN_PROGRESS),
    (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING),
    (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.COMPLETED),
    (MaintenanceStatus.VERIFYING, MaintenanceStatus.VERIFYING),
    (MaintenanceStatus.VERIFYING, MaintenanceStatus.IN_PROGRESS),
    (MaintenanceStatus.VERIFYING, MaintenanceStatus.COMPLETED),
})


def next_incident_status(current: IncidentStatus, requested: IncidentStatus, *,
                         ref: str = "incident") -> IncidentStatus:
    """`requested` if an update may move the public incident there, else Conflict saying why."""
    if (current, requested) in _INCIDENT_MOVES:
        return requested
    if current is IncidentStatus.POSTMORTEM:
        raise Conflict(f"{ref} has its post-mortem published; it takes no more updates")
    if requested is IncidentStatus.POSTMORTEM:
        raise Conflict(f"{ref} is not resolved; resolve it before publishing a post-mortem")
    raise Conflict(f"{ref} is already resolved; reopen it as investigating, identified or monitoring")


def next_maintenance_status(current: MaintenanceStatus, requested: MaintenanceStatus, *,
                            ref: str = "maintenance") -> MaintenanceStatus:
    if (current, requested) in _MAINTENANCE_MOVES:
        return requested
    if current is MaintenanceStatus.COMPLETED:
        raise Conflict(f"{ref} is completed; schedule a new maintenance instead")
    raise Conflict(f"{ref} is {current.value.replace('_', ' ')}; it cannot go back to {requested.value}")


def due_maintenance(status: MaintenanceStatus, scheduled_for: datetime, scheduled_until: datetime,
                    now: datetime, *, auto_start: bool = True, auto_complete: bool = True) -> MaintenanceStatus | None:
    """Where the clock moves a maintenance at `now`, or None: a scheduled one starts at its
    `scheduled_for` (and is completed at once if its window already passed), one in progress or
    verifying is completed at its `scheduled_until`. `auto_*` False leaves that move to a person."""
    if status is MaintenanceStatus.SCHEDULED and auto_start and now >= scheduled_for:
        if auto_complete and now >= scheduled_until:
            return MaintenanceStatus.COMPLETED
        return MaintenanceStatus.IN_PROGRESS
    if status in ACTIVE_MAINTENANCE and auto_complete and now >= scheduled_until:
        return MaintenanceStatus.COMPLETED
    return None


def next_due(status: MaintenanceStatus, scheduled_for: datetime, scheduled_until: datetime) -> datetime | None:
    """When the clock next moves this maintenance (for the engine's sleep)."""
    if status is MaintenanceStatus.SCHEDULED:
        return scheduled_for
    if status in ACTIVE_MAINTENANCE:
        return scheduled_until
    return None


REACH = timedelta(days=3653)  # ten years


def window_in_reach(scheduled_for: datetime, scheduled_until: datetime, now: datetime) -> None:
    """Invalid unless a maintenance's window lies within REACH of `now`, either way. A window in year
    9999 was taken and then broke every page that shows it (its time in the page's zone is past the
    last date a datetime holds); nobody plans maintenance a decade ahead, or records one a decade back."""
    if not (now - REACH <= scheduled_for and scheduled_until <= now + REACH):
        raise Invalid("a maintenance's window must lie within ten years of now")


def new_window(status: MaintenanceStatus, current_for: datetime, scheduled_for: datetime,
               scheduled_until: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The window a reschedule at `now` gives a maintenance of `status` whose start is `current_for`,
    or Invalid saying why it is refused. A completed maintenance is not moved (schedule a new one).
    One that has begun keeps its start (whatever start is asked): only its end moves, and not into the past (complete it
    instead). A scheduled one may not be moved to start in the past (its start may stay where it
    is, even if passed, when a person starts it), nor to end before it starts: a window that is
    refused changes nothing, so nobody is told of a move that could never happen."""
    if status is MaintenanceStatus.COMPLETED:
        raise Conflict("a completed maintenance is not moved: schedule a new maintenance instead")
    if status is not MaintenanceStatus.SCHEDULED:
        scheduled_for = current_for
    elif scheduled_for != current_for and scheduled_for < now:
        raise Invalid("a maintenance cannot be moved to start in the past")
    if scheduled_until <= scheduled_for:
        raise Invalid("a maintenance must end after it starts")
    if scheduled_until <= now:
        raise Invalid("a maintenance cannot be moved to end in the past: complete it instead")
    window_in_reach(scheduled_for, scheduled_until, now)
    return scheduled_for, scheduled_until
