"""Incident use cases. Each takes the session of the caller's unit of work (and never commits),
the actor and `now`; state, version and a timeline event (incidents/timeline.py) are written together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from firebell.actor import Actor
from firebell.core import lifecycle, stakeholder_updates
from firebell.core.access import AccessRole, can_act, can_declare
from firebell.core.lifecycle import Action, Status
from firebell.core.timeline import catalogue
from firebell.core.timeline import incident as events
from firebell.core.timeline.kinds import EventKind
from firebell.errors import Conflict, Forbidden, Invalid
from firebell.incidents import queries, reference, rows, transitions
from firebell.incidents import timeline as timeline_events
from firebell.incidents.effects import IncidentEffects
from firebell.incidents.models import (
    Incident,
    IncidentMember,
    IncidentService,
    RoleAssignment,
    TimelineEvent,
)
from firebell.org.models import Service, Team, User
from firebell.severity import levels as severities
from firebell.store.locks import group_lock

MAX_TITLE = 500
MAX_TEXT = 20_000


def _touch(incident: Incident, now: datetime) -> None:
    incident.updated_at = now
    incident.version += 1


def _user(session: Session, name: str) -> User:
    user = session.execute(
        select(User).where(User.name == name, User.archived_at.is_(None))
    ).scalar_one_or_none()
    if user is None:
        raise Invalid(f"unknown user {name!r}")
    return user


def _services(session: Session, names: list[str]) -> list[Service]:
    found = []
    for name in dict.fromkeys(names):
        service = session.execute(
            select(Service).where(Service.name == name, Service.archived_at.is_(None))
        ).scalar_one_or_none()
        if service is None:
            raise Invalid(f"unknown service {name!r}")
        found.append(service)
    return found


def _clean_text(value: str, what: str, limit: int = MAX_TEXT, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise Invalid(f"{what} must not be empty")
    if len(value) > limit:
        raise Invalid(f"{what} is {len(value)} characters; the limit is {limit}")
    return value


@dataclass
class Declaration:
    title: str
    severity: str
    services: list[str] = field(default_factory=list)
    team: str | None = None
    summary: str = ""
    impact: str = ""
    tags: list[str] = field(default_factory=list)
    private: bool = False
    commander: str | None = None


def declare(session: Session, actor: Actor, d: Declaration, now: datetime, *, effects: IncidentEffects) -> Incident:
    title = _clean_text(d.title, "title", MAX_TITLE, required=True)
    level = severities.require_severity(session, d.severity)
    services = _services(session, d.services)
    team_id: str | None = None
    if d.team:
        team = session.execute(select(Team).where(Team.name == d.team, Team.archived_at.is_(None))).scalar()
        if team is None:
            raise Invalid(f"unknown team {d.team!r}")
        team_id = team.id
    elif services:
        team_id = services[0].team_id
    if team_id is None:
        raise Invalid("name at least one affected service (or a team) so the incident has an owner")
    if not can_declare(actor.principal, team_id):
        raise Forbidden("you can declare incidents only for services of your own teams")
    vocab = reference.vocabulary(session)
    if not vocab.stages:
        raise Conflict("no lifecycle stages are configured; run `firebell config apply` first")
    commander = _user(session, d.commander) if d.commander else None
    incident = Incident(
        number=rows.next_number(session), title=title, summary=_clean_text(d.summary, "summary"),
        impact=_clean_text(d.impact, "impact"), severity=level.key, status=Status.TRIGGERED.value,
        stage=vocab.stages[0], private=d.private, source="manual", tags=sorted(set(d.tags)),
        team_id=team_id, declared_by_id=actor.user_id, declared_at=now, updated_at=now, version=1,
    )
    incident.services = [IncidentService(service_id=s.id) for s in services]
    session.add(incident)
    session.flush()
    timeline_events.append(session, incident.id, events.Declared(
        title=title, severity=level.key, services=[s.name for s in services], private=d.private,
        tags=incident.tags, stage=incident.stage), at=now, actor=actor)
    if commander is not None and "commander" in vocab.roles:
        _assign(session, incident, actor, "commander", commander, now)
    # Page through the first affected service's policy, as an alert-opened incident would.
    effects.declared(session, incident, services[0].id if services else None, now)
    return incident


def for_change(session: Session, actor: Actor, ref: str) -> Incident:
    """The incident locked for a change, Forbidden unless `actor` may change it (other domains' changes
    to an incident, such as its customer email, take it here too)."""
    incident = queries.find(session, actor, ref, for_update=True)
    if not can_act(actor.principal, queries.facts(incident)):
        why = "your access is view-only" if actor.principal.role is AccessRole.VIEWER else "it belongs to another team"
        raise Forbidden(f"you can view {incident.ref} but not change it: {why}")
    return incident


_for_change = for_change


def _transition(session: Session, actor: Actor, ref: str, action: Action, now: datetime,
                change: events.Acknowledged | events.Resolved | events.Reopened, effects: IncidentEffects) -> Incident:
    if action is Action.RESOLVE:
        # Take the alert group's lock before the incident's row lock, in the same order as
        # ingestion does, so a resolve racing an alert joining the incident waits instead of deadlocking.
        peek = queries.find(session, actor, ref)
        if peek.origin_service_id and peek.group_key:
            group_lock(session, peek.origin_service_id, peek.group_key)
    incident = _for_change(session, actor, ref)
    apply_transition(session, incident, action, actor, now, change, effects)
    if isinstance(change, events.Resolved):
        effects.resolved(session, incident, change.resolution, now)
    return incident


def apply_transition(session: Session, incident: Incident, action: Action, actor: Actor, now: datetime,
                     change: events.Acknowledged | events.Resolved | events.Reopened,
                     effects: IncidentEffects) -> None:
    """Change status (refused with Conflict when the state machine says no), record `change`, move
    the stage, and carry the change to the incident's alerts: incidents/transitions.py writes it all."""
    if action is Action.RESOLVE and incident.origin_service_id and incident.group_key:
        # No alert may join this incident between our resolving it and committing.
        group_lock(session, incident.origin_service_id, incident.group_key)
    outcome = transitions.transition(session, incident, action, change, stages=reference.vocabulary(session).stages,
                                     now=now, alerts_follow=effects.alerts_follow, actor=actor)
    # The loaded incident shows what the statement wrote, as committed values: the ORM writes nothing twice.
    for column, value in outcome.columns.items():
        set_committed_value(incident, column, value)
    set_committed_value(incident, "version", incident.version + 1)


def acknowledge(session: Session, actor: Actor, ref: str, now: datetime, *, effects: IncidentEffects) -> Incident:
    return _transition(session, actor, ref, Action.ACKNOWLEDGE, now, events.Acknowledged(), effects)


def resolve(session: Session, actor: Actor, ref: str, now: datetime, resolution: str = "", *,
            effects: IncidentEffects) -> Incident:
    return _transition(session, actor, ref, Action.RESOLVE, now,
                       events.Resolved(resolution=_clean_text(resolution, "resolution")), effects)


def reopen(session: Session, actor: Actor, ref: str, now: datetime, reason: str = "", *,
           effects: IncidentEffects) -> Incident:
    incident = _transition(session, actor, ref, Action.REOPEN, now,
                           events.Reopened(reason=_clean_text(reason, "reason")), effects)
    effects.reopened(session, incident, now)  # a reopened incident pages again from the first level
    return incident


def add_note(session: Session, actor: Actor, ref: str, text: str, now: datetime) -> Incident:
    incident = _for_change(session, actor, ref)
    timeline_events.append(session, incident.id, events.NoteAdded(text=_clean_text(text, "note", required=True)),
                           at=now, actor=actor)
    _touch(incident, now)
    return incident


@dataclass(frozen=True)
class Update:
    """A stakeholder update as a person writes it (core/stakeholder_updates.py): the status word
    (empty: the last update's), what we know, what we are doing, free text, and when the next comes,
    as a wait ("30m") or a time (neither: the severity's cadence from now)."""

    status: str = ""
    known: str = ""
    doing: str = ""
    text: str = ""
    next_in: str = ""
    next_at: datetime | None = None


def _last_status(session: Session, incident_id: str) -> str:
    payload = session.execute(select(TimelineEvent.payload).where(
        TimelineEvent.incident_id == incident_id, TimelineEvent.type == EventKind.STATUS_UPDATE.value)
        .order_by(TimelineEvent.occurred_at.desc(), TimelineEvent.id.desc()).limit(1)).scalar()
    return str(payload.get("status") or "") if isinstance(payload, dict) else ""


def post_update(session: Session, actor: Actor, ref: str, update: Update, now: datetime, *,
                effects: IncidentEffects) -> Incident:
    """A status update for stakeholders: on the timeline, posted to the stakeholder routes in this
    transaction (effects), and it restarts the update-cadence clock."""
    incident = _for_change(session, actor, ref)
    known, doing = _clean_text(update.known, "what we know"), _clean_text(update.doing, "what we are doing")
    text = _clean_text(update.text, "update")
    if not (known or doing or text):
        raise Invalid("an update says what we know, what we are doing, or something else; all were empty")
    try:
        status = stakeholder_updates.update_status(update.status, _last_status(session, incident.id))
        next_at = stakeholder_updates.next_update_at(
            now, severities.update_cadences(session).get(incident.severity), after=update.next_in, at=update.next_at)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    said = events.StatusUpdate(message=text, status=status, known=known, doing=doing,
                               next_update_at=next_at.isoformat() if next_at else None)
    timeline_events.append(session, incident.id, said, at=now, actor=actor)
    incident.last_update_at, incident.next_update_at = now, next_at
    _touch(incident, now)
    effects.status_updated(session, incident, said, now)
    return incident


def change_severity(session: Session, actor: Actor, ref: str, severity: str, reason: str,
                    now: datetime, *, effects: IncidentEffects) -> Incident:
    incident = _for_change(session, actor, ref)
    level = severities.require_severity(session, severity)
    reason = _clean_text(reason, "reason", required=True)
    if level.key == incident.severity:
        raise Conflict(f"{incident.ref} is already {level.key}")
    timeline_events.append(session, incident.id, events.SeverityChanged(
        from_=incident.severity, to=level.key, reason=reason), at=now, actor=actor)
    incident.severity = level.key
    _touch(incident, now)
    effects.severity_changed(session, incident, now)
    return incident


def change_stage(session: Session, actor: Actor, ref: str, stage: str, now: datetime) -> Incident:
    incident = _for_change(session, actor, ref)
    vocab = reference.vocabulary(session)
    target = lifecycle.check_stage(vocab.stages, incident.stage, vocab.stage_name(stage), ref=incident.ref)
    timeline_events.append(session, incident.id, events.StageChanged(from_=incident.stage, to=target), at=now,
                           actor=actor)
    incident.stage = target
    _touch(incident, now)
    return incident


def _assign(session: Session, incident: Incident, actor: Actor, role: str, user: User, now: datetime) -> None:
    current = next((r for r in incident.roles if r.role == role), None)
    if current is not None and current.user_id == user.id:
        raise Conflict(f"{user.name} is already {role} of {incident.ref}")
    previous = session.get(User, current.user_id).name if current is not None else None  # type: ignore[union-attr]
    if current is not None:
        current.user_id = user.id
        current.assigned_at = now
    else:
        incident.roles.append(RoleAssignment(role=role, user_id=user.id, assigned_at=now))
    timeline_events.append(session, incident.id, events.RoleAssigned(role=role, user=user.name, previous=previous),
                           at=now, actor=actor)


def assign_role(session: Session, actor: Actor, ref: str, role: str, user_name: str | None,
                now: datetime) -> Incident:
    """Give `role` to `user_name`, or take it away when `user_name` is None."""
    incident = _for_change(session, actor, ref)
    role = reference.vocabulary(session).role_name(role)
    if user_name is None:
        current = next((r for r in incident.roles if r.role == role), None)
        if current is None:
            raise Conflict(f"nobody holds {role} on {incident.ref}")
        holder = session.get(User, current.user_id)
        incident.roles.remove(current)
        timeline_events.append(session, incident.id, events.RoleUnassigned(
            role=role, user=holder.name if holder else None), at=now, actor=actor)
    else:
        _assign(session, incident, actor, role, _user(session, user_name), now)
    _touch(incident, now)
    return incident


def add_member(session: Session, actor: Actor, ref: str, user_name: str, now: datetime,
               message: str = "", *, effects: IncidentEffects) -> Incident:
    incident = _for_change(session, actor, ref)
    user = _user(session, user_name)
    if any(m.user_id == user.id for m in incident.members):
        raise Conflict(f"{user.name} is already on {incident.ref}")
    incident.members.append(IncidentMember(user_id=user.id, added_at=now))
    text = _clean_text(message, "message")
    timeline_events.append(session, incident.id, events.ResponderAdded(user=user.name, message=text), at=now,
                           actor=actor)
    _touch(incident, now)
    effects.responder_added(session, incident, user.id, user.name, actor, text, now)
    return incident


_EDITABLE: dict[str, type[events.TextChange | events.TagsChange | events.FlagChange]] = {
    "title": events.TextChange, "summary": events.TextChange, "impact": events.TextChange,
    "tags": events.TagsChange, "private": events.FlagChange}


def update_details(session: Session, actor: Actor, ref: str, changes: dict[str, Any], now: datetime, *,
                   effects: IncidentEffects) -> Incident:
    incident = _for_change(session, actor, ref)
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}; editable: {', '.join(_EDITABLE)}")
    diff: dict[str, Any] = {}  # detail -> its change
    for key, value in changes.items():
        if key == "title":
            value = _clean_text(value, "title", MAX_TITLE, required=True)
        elif key in ("summary", "impact"):
            value = _clean_text(value, key)
        elif key == "tags":
            value = sorted(set(value))
        if getattr(incident, key) != value:
            diff[key] = _EDITABLE[key](from_=getattr(incident, key), to=value)
            setattr(incident, key, value)
    if not diff:
        raise Conflict(f"{incident.ref} already has those details")
    timeline_events.append(session, incident.id, events.DetailsChanged(**diff), at=now, actor=actor)
    _touch(incident, now)
    if "tags" in diff:  # a tag such as data-breach may fire a trigger at once
        effects.tags_changed(session, incident, now)
    return incident


def timeline(session: Session, actor: Actor, ref: str) -> tuple[Incident, list[TimelineEvent], dict[str, str]]:
    """The incident's events in the order they were recorded, and the full names of the people
    they name (user name -> full name), for their sentences."""
    incident = queries.find(session, actor, ref)
    found = list(session.execute(
        select(TimelineEvent).where(TimelineEvent.incident_id == incident.id).order_by(TimelineEvent.id)
    ).scalars())
    names = catalogue.user_names([(e.type, e.payload) for e in found])
    people = {name: full for name, full in session.execute(
        select(User.name, User.full_name).where(User.name.in_(sorted(names)))) if full} if names else {}
    return incident, found, people
