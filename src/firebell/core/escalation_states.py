"""The escalation state machine: where an escalation's ladder stands, as a table of events.

active: the ladder runs (its next level has a timer); manual: a person asked for a level now
(escalate, reassign), which pages even after an acknowledgement; acknowledged: the incident was
acknowledged, the ladder stopped; exhausted: the last level of the last loop paged; stopped: the
incident was resolved. Only active and manual have a ladder timer. Triggers keep watching in every
status but stopped. A reopened incident starts its ladder again from any status.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    ACTIVE = "active"
    MANUAL = "manual"
    ACKNOWLEDGED = "acknowledged"
    EXHAUSTED = "exhausted"
    STOPPED = "stopped"


class Event(StrEnum):
    LEVEL_FIRED = "level_fired"  # a level paged and the ladder goes on to the next
    LADDER_RAN_OUT = "ladder_ran_out"  # the last level of the last loop paged
    ACKNOWLEDGED = "acknowledged"  # the incident was acknowledged: the ladder stops (after a level asked for)
    RESOLVED = "resolved"  # the incident was resolved: nothing more
    PAGE_NOW = "page_now"  # a person escalated or reassigned: a level is due now
    REOPENED = "reopened"  # the incident was reopened: the ladder starts again
    TRIGGERS_CHANGED = "triggers_changed"  # what a trigger looks at changed (tags, severity): look again


_LADDER = (Status.ACTIVE, Status.MANUAL)
_ALL = tuple(Status)

# (from status, event) -> to status. Anything absent cannot happen.
TRANSITIONS: dict[tuple[Status, Event], Status] = {
    **{(s, Event.LEVEL_FIRED): Status.ACTIVE for s in _LADDER},
    **{(s, Event.LADDER_RAN_OUT): Status.EXHAUSTED for s in _LADDER},
    **{(s, Event.ACKNOWLEDGED): Status.ACKNOWLEDGED for s in _LADDER},
    **{(s, Event.RESOLVED): Status.STOPPED for s in _ALL},
    **{(s, Event.PAGE_NOW): Status.MANUAL for s in _ALL if s is not Status.STOPPED},
    **{(s, Event.REOPENED): Status.ACTIVE for s in _ALL},
    **{(s, Event.TRIGGERS_CHANGED): s for s in _ALL if s is not Status.STOPPED},
}

# Statuses whose ladder has a timer (`escalations.next_due_at` set).
LADDER_RUNS: frozenset[Status] = frozenset(_LADDER)


class IllegalTransition(ValueError):
    """An escalation was asked to do what its status does not allow (a bug, not a user's mistake)."""


def allows(status: str, event: Event) -> bool:
    return (Status(status), event) in TRANSITIONS


def statuses_allowing(event: Event) -> tuple[Status, ...]:
    return tuple(s for s in Status if (s, event) in TRANSITIONS)


def next_status(status: str, event: Event) -> Status:
    """The status after `event`; IllegalTransition when `status` does not allow it."""
    target = TRANSITIONS.get((Status(status), event))
    if target is None:
        raise IllegalTransition(f"a {status} escalation cannot take {event.value}")
    return target


def ladder_fires(status: str, incident_status: str) -> bool:
    """Whether a due ladder step pages: always when a person asked for it (manual), otherwise only
    while nobody has acknowledged the incident (else the ladder just stops)."""
    return Status(status) is Status.MANUAL or incident_status != "acknowledged"


def after_firing(incident_status: str, has_next_level: bool) -> Event:
    """Where a ladder goes once a level paged: it stops on an acknowledged incident (the level was
    asked for by a person), runs out after its last level, or goes on."""
    if incident_status == "acknowledged":
        return Event.ACKNOWLEDGED
    return Event.LEVEL_FIRED if has_next_level else Event.LADDER_RAN_OUT
