"""Escalation use cases: start one when an incident opens, jump levels by hand, and read state.

An escalation freezes its policy (and triggers) when it starts: changing the policy later does not
change a running escalation. Acknowledging and resolving need no call here: the engine reads the
incident's status, under the incident's row lock, in the same transaction as any page it would
write, so a page can never be written after an acknowledgement has committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core import escalation as core
from firebell.core import escalation_states as states
from firebell.core.access import can_act
from firebell.core.timeline import incident as events
from firebell.errors import Conflict, Forbidden, Invalid
from firebell.escalation import engine
from firebell.escalation.models import Escalation, EscalationPolicy
from firebell.incidents import queries, timeline
from firebell.incidents.models import Incident
from firebell.org.models import Service, User
from firebell.store.uow import due_after_commit


def policy_name_for(service_setting: Any, severity: str) -> str | None:
    """A service names one policy, or one per severity ({P1: ep-p1, ...})."""
    if isinstance(service_setting, str):
        return service_setting or None
    if isinstance(service_setting, dict):
        name = service_setting.get(severity)
        return str(name) if name else None
    return None


def load_spec(session: Session, policy_name: str) -> dict[str, Any] | None:
    """The policy as it is now, ready to freeze (its ladder, triggers and the outbound webhooks it
    names); None when it has no ladder (nothing to page)."""
    policy = session.execute(select(EscalationPolicy).where(
        EscalationPolicy.name == policy_name, EscalationPolicy.archived_at.is_(None))).scalar_one_or_none()
    if policy is None or not (policy.spec or {}).get("levels"):
        return None
    core.snapshot_from_json(policy.spec)  # refuse a spec the engine could not run
    return dict(policy.spec)


def specs_by_severity(session: Session, service: Service, severities: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """{severity: frozen spec} for one service (ingestion caches this per configuration version)."""
    out = {}
    for severity in severities:
        name = policy_name_for(service.escalation_policy, severity)
        spec = load_spec(session, name) if name else None
        if spec is not None:
            out[severity] = spec
    return out


def facts_of(incident: Incident) -> core.IncidentFacts:
    return core.IncidentFacts(severity=incident.severity, status=incident.status, declared_at=incident.declared_at,
                              acknowledged_at=incident.acknowledged_at, last_update_at=incident.last_update_at,
                              tags=frozenset(incident.tags or ()))


def start_for_incident(session: Session, incident: Incident, service_id: str | None, now: datetime) -> bool:
    """Start the escalation of the incident's (first) service for its severity, if it has one."""
    service = session.get(Service, service_id) if service_id else None
    if service is None:
        return False
    spec = specs_by_severity(session, service, (incident.severity,)).get(incident.severity)
    if spec is None:
        return False
    session.flush()
    engine.start(session, incident.id, spec, facts_of(incident), now)
    return True


MAX_ASKED = 2000  # characters of "help needed" and of "actions taken"


def escalate(session: Session, actor: Actor, ref: str, level: int | None, now: datetime, *, help_needed: str = "",
             actions_taken: str = "") -> Escalation:
    """`incident escalate INC-7 [--level N] [--help-needed ...] [--actions-taken ...]`: page the next
    level (or level N) now, even after an acknowledgement, which a person asking for more help
    overrides. What help is needed and what was done so far go on the timeline's event, and from
    there into the level's pages (the `escalation` message)."""
    help_needed, actions_taken = _asked(help_needed, "help needed"), _asked(actions_taken, "actions taken")
    incident, row = _locked_for(session, actor, ref, "escalate")
    if row is None:
        raise Conflict(f"{incident.ref} has no escalation policy; page people with add-responder")
    levels = len(core.snapshot_from_json(row.snapshot).policy.levels)
    if level is not None:
        target = core.jump_to(core.snapshot_from_json(row.snapshot).policy, level, row.loop)
    else:  # the level that was next; after the ladder ran out, its last level again
        target = core.Position(min(row.level, levels - 1), row.loop)
    row.level, row.loop, row.next_due_at = target.level, target.loop, now
    row.status = states.next_status(row.status, states.Event.PAGE_NOW)
    row.updated_at = now
    due_after_commit(session)
    timeline.append(session, incident.id, events.Escalated(level=target.level + 1, loop=target.loop, manual=True,
                                                           help=help_needed or None, actions=actions_taken or None),
                    at=now, actor=actor)
    return row


def _asked(text: str, what: str) -> str:
    text = text.strip()
    if len(text) > MAX_ASKED:
        raise Invalid(f"{what} is {len(text)} characters; the limit is {MAX_ASKED}")
    return text


def _locked_for(session: Session, actor: Actor, ref: str, verb: str) -> tuple[Incident, Escalation | None]:
    """The incident and its escalation, locked for a person's change, in the engine's lock order
    (the escalation row, then the incident)."""
    found = queries.find(session, actor, ref)
    if not can_act(actor.principal, queries.facts(found)):
        raise Forbidden(f"you may view {found.ref} but not {verb} it")
    row = session.get(Escalation, found.id, with_for_update=True, populate_existing=True)
    incident = queries.find(session, actor, ref, for_update=True)
    if incident.status == "resolved":
        raise Conflict(f"{incident.ref} is resolved; reopen it before you {verb} it")
    return incident, row


def _next_generation(snapshot: dict[str, Any] | None) -> int:
    """A re-frozen ladder counts generations, so its steps' keys differ from the old ladder's."""
    return int((snapshot or {}).get("generation", 0)) + 1


def _service_of(session: Session, incident: Incident) -> str | None:
    from firebell.incidents.models import IncidentService

    return incident.origin_service_id or session.execute(
        select(IncidentService.service_id).where(IncidentService.incident_id == incident.id).limit(1)).scalar()


def state(session: Session, incident_id: str) -> Escalation | None:
    return session.get(Escalation, incident_id)


def triggers_changed(session: Session, incident_id: str, now: datetime) -> None:
    """Something a trigger looks at changed (tags): let the engine look again now."""
    session.execute(update(Escalation).where(Escalation.incident_id == incident_id,
                                             Escalation.status.in_(states.statuses_allowing(states.Event.TRIGGERS_CHANGED)))
                    .values(triggers_due_at=now, version=Escalation.version + 1))
    due_after_commit(session)


def reassign(session: Session, actor: Actor, ref: str, *, user: str | None, policy: str | None,
             now: datetime) -> Escalation:
    """Hand the incident to one person or to another policy, paged from its first level now (the
    current ladder stops). The incident's own triggers are kept: they belong to the incident."""
    if (user is None) == (policy is None):
        raise Invalid("reassign to exactly one of a user or an escalation policy")
    incident, row = _locked_for(session, actor, ref, "reassign")
    triggers = (row.snapshot.get("triggers") if row is not None else None) or []
    if policy is not None:
        spec = load_spec(session, policy)
        if spec is None:
            raise Invalid(f"no escalation policy {policy!r} with levels")
        spec = spec | {"triggers": triggers}
        to = f"policy {policy}"
    else:
        person = session.execute(select(User).where(User.name == user, User.archived_at.is_(None))).scalar()
        if person is None:
            raise Invalid(f"unknown user {user!r}")
        spec = {"name": f"reassigned to {person.name}", "repeat": 0, "triggers": triggers,
                "levels": [{"targets": [{"kind": "user", "name": person.name}], "delay_s": 0}]}
        to = f"user {person.name}"
    core.snapshot_from_json(spec)
    # Its first level pages even someone the old ladder paged already.
    spec = spec | {"generation": _next_generation(row.snapshot if row is not None else None)}
    if row is None:
        engine.start(session, incident.id, spec, facts_of(incident), now)
        row = session.get(Escalation, incident.id)
        assert row is not None
    else:
        row.snapshot, row.policy_name = spec, str(spec["name"])
        row.level, row.loop, row.next_due_at, row.updated_at = 0, 0, now, now
        row.status = states.next_status(row.status, states.Event.PAGE_NOW)
    timeline.append(session, incident.id, events.Reassigned(to=to), at=now, actor=actor)
    due_after_commit(session)
    return row


def restart(session: Session, incident: Incident, now: datetime) -> None:
    """Reopen: the ladder runs again from its first level as a new generation (new keys), and the
    triggers are looked at again (each still fires at most once per incident)."""
    row = session.get(Escalation, incident.id, with_for_update=True, populate_existing=True)
    if row is None:
        start_for_incident(session, incident, _service_of(session, incident), now)
        return
    row.snapshot = dict(row.snapshot) | {"generation": _next_generation(row.snapshot)}
    row.level, row.loop, row.next_due_at, row.triggers_due_at = 0, 0, now, now
    row.status = states.next_status(row.status, states.Event.REOPENED)
    row.updated_at = now
    due_after_commit(session)


def severity_changed(session: Session, incident: Incident, now: datetime) -> None:
    """Triggers depend on severity: look again now. An incident that had no escalation (its old
    severity had no policy) starts the new severity's."""
    row = session.get(Escalation, incident.id, with_for_update=True, populate_existing=True)
    if row is None:
        if incident.status != "resolved":
            start_for_incident(session, incident, _service_of(session, incident), now)
        return
    if states.allows(row.status, states.Event.TRIGGERS_CHANGED):
        row.triggers_due_at, row.updated_at = now, now
        due_after_commit(session)
