"""The incident state machine: which status changes are allowed, and why others are refused.

Status is the paging state (triggered -> acknowledged -> resolved); the lifecycle *stage*
(Detect ... Review) is a separate, configurable field people move by hand.
"""

from __future__ import annotations

from enum import StrEnum

from firebell.core.errors import Conflict, Invalid


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    REOPEN = "reopen"


# (from status, action) -> to status. Anything absent is refused.
_TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.TRIGGERED, Action.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.TRIGGERED, Action.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Action.RESOLVE): Status.RESOLVED,
    (Status.RESOLVED, Action.REOPEN): Status.TRIGGERED,
}

_REFUSALS: dict[tuple[Status, Action], str] = {
    (Status.ACKNOWLEDGED, Action.ACKNOWLEDGE): "is already acknowledged",
    (Status.RESOLVED, Action.ACKNOWLEDGE): "is resolved; reopen it before acknowledging",
    (Status.RESOLVED, Action.RESOLVE): "is already resolved",
    (Status.TRIGGERED, Action.REOPEN): "is not resolved, so it cannot be reopened",
    (Status.ACKNOWLEDGED, Action.REOPEN): "is not resolved, so it cannot be reopened",
}


def allowed_actions(status: Status) -> list[Action]:
    return [action for (source, action) in _TRANSITIONS if source == status]


def next_status(status: Status, action: Action, *, ref: str = "incident") -> Status:
    """The status after `action`, or Conflict naming why the current status refuses it."""
    target = _TRANSITIONS.get((status, action))
    if target is None:
        reason = _REFUSALS.get((status, action), f"cannot {action.value} from {status.value}")
        raise Conflict(f"{ref} {reason}")
    return target


def check_stage(stages: list[str], current: str, requested: str, *, ref: str = "incident") -> str:
    """Validate a stage change. Any configured stage may be chosen (teams do go back to Contain)."""
    if requested not in stages:
        raise Invalid(f"unknown lifecycle stage {requested!r}; stages are: {', '.join(stages)}")
    if requested == current:
        raise Conflict(f"{ref} is already in stage {requested}")
    return requested


# A status change implies progress through the lifecycle: acknowledging means the Acknowledge stage
# is done being waited for; resolving means the service is back (Recover). Only ever moves forward,
# and only when the organisation's stages include that name.
_STAGE_FOR_ACTION: dict[Action, str] = {Action.ACKNOWLEDGE: "acknowledge", Action.RESOLVE: "recover"}


def stage_after(action: Action, stages: list[str], current: str) -> str | None:
    """The stage an action moves the incident to, or None to leave it where it is."""
    target = _STAGE_FOR_ACTION.get(action)
    if target is None or target not in stages:
        return None
    if current in stages and stages.index(current) >= stages.index(target):
        return None
    return target
