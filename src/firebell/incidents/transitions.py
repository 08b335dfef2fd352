"""The one implementation of an incident's status changes (acknowledge, resolve, reopen), used by a
person's change (incidents/service.py, through the ORM-loaded incident) and by ingestion's
(alerts/incident_rows.py, through its cached row) alike.

The state machine (core/lifecycle.py) decides; this writes the decision: the incident's row by one
driver-level statement (incidents/rows.py), its alerts through the caller's `alerts_follow`, and the
change and any stage it moves to on the timeline, in that order, in the caller's transaction. The
caller then shows the outcome on its own copy of the incident; it never writes the row a second way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core import lifecycle
from firebell.core.lifecycle import Action, Status
from firebell.core.timeline.incident import Acknowledged, Reopened, Resolved, StageChanged
from firebell.incidents import rows, timeline

# (session, incident id, the status its alerts follow to, now): the alerts domain's update, handed in.
AlertsFollow = Callable[[Session, str, str, datetime], None]


class Changing(Protocol):
    """What a transition reads of an incident, whichever copy of it the caller holds."""

    @property
    def id(self) -> str: ...
    @property
    def ref(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def stage(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    stage: str | None  # the stage moved to, or None when it stays
    columns: dict[str, object]  # every column the row's statement set, for the caller's copy


def transition(session: Session, incident: Changing, action: Action, change: Acknowledged | Resolved | Reopened, *,
               stages: Sequence[str], now: datetime, alerts_follow: AlertsFollow,
               actor: Actor | None = None) -> Outcome:
    """Apply `action` (Conflict when the state machine refuses it) and record `change`; `actor` None
    is Firebell itself."""
    new_status = lifecycle.next_status(Status(incident.status), action, ref=incident.ref)
    next_stage = lifecycle.stage_after(action, list(stages), incident.stage)
    columns = rows.write_transition(session, incident.id, status=new_status.value, action=action,
                                    stage=next_stage, now=now)
    if action is not Action.REOPEN:  # a reopened incident's resolved alerts stay closed
        alerts_follow(session, incident.id, new_status.value, now)
    timeline.append(session, incident.id, change, at=now, actor=actor)
    if next_stage is not None:
        timeline.append(session, incident.id, StageChanged(
            from_=incident.stage, to=next_stage, reason=change.event_kind.value), at=now, actor=actor)
    return Outcome(status=new_status.value, stage=next_stage, columns=columns)
