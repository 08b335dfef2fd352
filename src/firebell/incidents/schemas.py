"""API shapes for incidents. Inputs forbid unknown fields so a typo is an error, not a no-op."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core import cadence
from firebell.core.lifecycle import Status, allowed_actions
from firebell.core.sla import Deadline, sla_clock
from firebell.core.timeline import catalogue
from firebell.core.timeline.kinds import EventKind
from firebell.incidents.models import Incident, TimelineEvent
from firebell.incidents.queries import ListedIncident, display_names
from firebell.incidents.service import Update
from firebell.severity import levels as severities


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DeclareIn(Input):
    title: str = Field(min_length=1, max_length=500)
    severity: str = Field(min_length=1, max_length=20)
    services: list[str] = Field(default_factory=list, max_length=50)
    team: str | None = None
    summary: str = ""
    impact: str = ""
    tags: list[str] = Field(default_factory=list, max_length=50)
    private: bool = False
    commander: str | None = None


class EscalateIn(Input):
    level: int | None = Field(default=None, ge=1, description="Ladder level to page (1 is the first); "
                                                             "default: the next level")
    help_needed: str = Field(default="", max_length=2000,
                             description="What help is needed; the pages' `escalation.help` (\"Help needed\")")
    actions_taken: str = Field(default="", max_length=2000,
                               description="What was done so far; the pages' `escalation.actions` (\"Actions "
                                           "taken\"), default: the latest status update's text")


class ReassignIn(Input):
    user: str | None = Field(default=None, description="Page this person now")
    policy: str | None = Field(default=None, description="Page this escalation policy from its first level")


class ResolveIn(Input):
    resolution: str = ""


class ReopenIn(Input):
    reason: str = ""


class NoteIn(Input):
    text: str = Field(min_length=1)


class UpdateIn(Input):
    """A stakeholder update: at least one of known, doing and message."""

    status: str = Field(default="", max_length=40, description="Investigating, Identified, Monitoring or "
                                                               "Resolved; default: the last update's")
    known: str = Field(default="", description="What we know")
    doing: str = Field(default="", description="What we are doing")
    message: str = Field(default="", description="Free text")
    next_update_in: str = Field(default="", max_length=20, description="When the next update comes, as a wait "
                                "(\"30m\"); default: the severity's update cadence from now")
    next_update_at: datetime | None = Field(default=None, description="When the next update comes, as a time "
                                            "with its zone (instead of next_update_in)")

    def update(self) -> Update:
        return Update(status=self.status, known=self.known, doing=self.doing, text=self.message,
                      next_in=self.next_update_in, next_at=self.next_update_at)


class SeverityIn(Input):
    severity: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class StageIn(Input):
    stage: str = Field(min_length=1)


class RoleIn(Input):
    role: str = Field(min_length=1)
    user: str | None = Field(description="user name; null removes the role")


class MemberIn(Input):
    user: str = Field(min_length=1)
    message: str = ""


class DetailsIn(Input):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    summary: str | None = None
    impact: str | None = None
    tags: list[str] | None = None
    private: bool | None = None


class DeadlineOut(BaseModel):
    due_at: datetime
    met_at: datetime | None
    time_left_seconds: int
    breached: bool


class SlaOut(BaseModel):
    acknowledge: DeadlineOut | None
    recover: DeadlineOut | None
    breached: bool


class UpdatesOut(BaseModel):
    """The severity's stakeholder-update cadence: when the next update is due, and how many were missed."""

    every_seconds: int | None
    next_due: datetime | None
    missed: int


class IncidentOut(BaseModel):
    id: str
    ref: str
    number: int
    title: str
    summary: str
    impact: str
    severity: str
    status: str
    stage: str
    private: bool
    source: str
    tags: list[str]
    team: str | None
    services: list[str]
    roles: dict[str, str]
    responders: list[str]
    declared_by: str | None
    declared_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    reopened_at: datetime | None
    last_update_at: datetime | None
    updated_at: datetime
    version: int
    sla: SlaOut
    updates: UpdatesOut
    allowed_actions: list[str]


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None


class EventOut(BaseModel):
    id: int
    type: str = Field(description="The stored event name (the same as `kind` for every kind in the catalogue)")
    kind: EventKind | None = Field(description="The event's kind in the catalogue; null for an event it does not know")
    text: str = Field(description="The event as one sentence for people, e.g. \"Alice Andersson acknowledged via "
                                  "Slack\"")
    data: dict[str, Any] | None = Field(
        description="The payload as its kind's schema reads it; null when the kind is unknown or the stored "
                    "payload does not fit the schema (an event written by an older version)")
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any] = Field(description="The payload as stored")


class TimelineOut(BaseModel):
    incident: str
    events: list[EventOut]


def _deadline(d: Deadline | None) -> DeadlineOut | None:
    if d is None:
        return None
    return DeadlineOut(due_at=d.due_at, met_at=d.met_at, time_left_seconds=int(d.time_left.total_seconds()),
                       breached=d.breached)


def incident_out(session: Session, incidents: Sequence[Incident | ListedIncident], now: datetime, *,
                 clocks: severities.SeverityClocks | None = None, count_missed: bool = True) -> list[IncidentOut]:
    """Render incidents with names resolved in a few batched queries rather than one per row.
    `clocks`: the severities' clocks, if the caller holds them already. `count_missed=False` (the
    console's list, which does not show it): `updates.missed` is 0, without reading every status
    update of every incident."""
    user_ids = {i.declared_by_id for i in incidents if i.declared_by_id}
    user_ids |= {r.user_id for i in incidents for r in i.roles} | {m.user_id for i in incidents for m in i.members}
    names = display_names(session, users=user_ids, teams={i.team_id for i in incidents if i.team_id},
                          services={s.service_id for i in incidents for s in i.services})
    users, teams, services = names.users, names.teams, names.services
    clocks = clocks or severities.severity_clocks(session)
    cadences, targets = clocks.cadences, clocks.targets
    posted: dict[str, list[datetime]] = {}
    with_cadence = [i.id for i in incidents if i.severity in cadences] if count_missed else []
    if with_cadence:
        for incident_id, at in session.execute(select(TimelineEvent.incident_id, TimelineEvent.occurred_at).where(
                TimelineEvent.incident_id.in_(with_cadence), TimelineEvent.type == EventKind.STATUS_UPDATE)):
            posted.setdefault(incident_id, []).append(at)
    out = []
    for i in incidents:
        every = cadences.get(i.severity)
        cadence_now = cadence.cadence_state(i.declared_at, i.last_update_at, every, now, frozenset(),
                                            resolved_at=i.resolved_at, promised=i.next_update_at)
        level_targets = targets.get(i.severity, severities.NO_TARGETS)
        clock = sla_clock(targets=level_targets, declared_at=i.declared_at,
                          acknowledged_at=i.acknowledged_at, resolved_at=i.resolved_at, now=now)
        out.append(IncidentOut(
            id=i.id, ref=i.ref, number=i.number, title=i.title, summary=i.summary, impact=i.impact,
            severity=i.severity, status=i.status, stage=i.stage, private=i.private, source=i.source,
            tags=list(i.tags or []), team=teams.get(i.team_id) if i.team_id else None,
            services=sorted(services[s.service_id] for s in i.services),
            roles={r.role: users.get(r.user_id, "?") for r in i.roles},
            responders=sorted(users.get(m.user_id, "?") for m in i.members),
            declared_by=users.get(i.declared_by_id) if i.declared_by_id else None,
            declared_at=i.declared_at, acknowledged_at=i.acknowledged_at, resolved_at=i.resolved_at,
            reopened_at=i.reopened_at, last_update_at=i.last_update_at, updated_at=i.updated_at,
            version=i.version,
            sla=SlaOut(acknowledge=_deadline(clock.acknowledge), recover=_deadline(clock.recover),
                       breached=clock.breached),
            updates=UpdatesOut(every_seconds=int(every.total_seconds()) if every else None,
                               next_due=cadence_now.next_due,
                               missed=cadence.missed_updates(i.declared_at, posted.get(i.id, []), i.resolved_at,
                                                             every, now) if count_missed else 0),
            allowed_actions=[a.value for a in allowed_actions(Status(i.status))],
        ))
    return out


def event_out(e: TimelineEvent, people: Mapping[str, str], stages: Mapping[str, str] | None = None) -> EventOut:
    """`people`: full names by user name, `stages`: stage titles by key, for the sentence (see
    `service.timeline`)."""
    shown = catalogue.render(e.type, e.payload, e.actor, people, stages)
    return EventOut(id=e.id, type=e.type, kind=shown.data.event_kind if shown.data else None, text=shown.text,
                    data=shown.data.to_json() if shown.data else None, actor=e.actor, occurred_at=e.occurred_at,
                    recorded_at=e.recorded_at, payload=e.payload)
