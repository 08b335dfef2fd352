"""The severity policy at work (`status_page.severities`): the engine job that opens a public incident
for an internal one when its severity says so (OPS1: P1 at once, P2 once it has lasted an hour), and
that answers an internal incident's resolution with the public resolved update (resolutions.py).

Each pass reads what is due without the write lock, then acts on each incident in its own unit of
work: the incident's row is locked and the decision (core/statuspage/policy.auto_open_due) made again
under the lock, so two engines, or an engine restarted mid-pass, open one public incident per internal
incident. "Already public" is the incident's link to any public incident: once linked (by the policy
or by a person) the policy never opens another, whatever its severity becomes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from firebell.core.lifecycle import Status as InternalStatus
from firebell.core.message_text import clip
from firebell.core.statuspage.policy import DRILL_TAG, Publish, SeverityPolicy, auto_open_due, policies
from firebell.core.statuspage.states import IncidentStatus
from firebell.incidents.models import Incident, IncidentService
from firebell.messages.render import for_incident
from firebell.org.models import Service
from firebell.statuspage import resolutions
from firebell.statuspage.models import PublicIncident, PublicIncidentLink, StatusComponent
from firebell.statuspage.public import live_page
from firebell.statuspage.service import MAX_BODY, MAX_NAME, IncidentChange, open_incident
from firebell.store.jobs import Runner

FALLBACK_NAME = "Service disruption"  # only if a configured title template renders nothing


def page_policies(session: Session) -> dict[str, SeverityPolicy]:
    """The page's severity policy by severity; empty without a page."""
    row = live_page(session)
    return policies(row.severities or []) if row is not None else {}


def _not_public() -> ColumnElement[bool]:
    return ~exists(select(PublicIncidentLink.id).where(PublicIncidentLink.incident_id == Incident.id))


def due_to_open(session: Session, known: dict[str, SeverityPolicy], now: datetime) -> list[str]:
    """The internal incidents whose severity's policy opens their public incident now."""
    automatic = [severity for severity, policy in known.items() if policy.auto_open_after is not None]
    if not automatic:
        return []
    rows = session.execute(select(Incident.id, Incident.severity, Incident.declared_at, Incident.tags).where(
        Incident.status != InternalStatus.RESOLVED.value, Incident.private.is_(False),
        Incident.severity.in_(automatic), _not_public()).order_by(Incident.declared_at))
    return [row.id for row in rows
            if auto_open_due(known.get(row.severity), row.declared_at, now, resolved=False, already_public=False,
                             drill=DRILL_TAG in (row.tags or []))]


def _components_of(session: Session, incident: Incident) -> list[StatusComponent]:
    """The components its services name (`status_page_component`), each once."""
    names = session.scalars(select(Service.status_page_component).join(
        IncidentService, IncidentService.service_id == Service.id).where(
        IncidentService.incident_id == incident.id, Service.status_page_component.is_not(None)))
    wanted = list(dict.fromkeys(name for name in names if name))
    if not wanted:
        return []
    rows = session.scalars(select(StatusComponent).where(
        StatusComponent.name.in_(wanted), StatusComponent.archived_at.is_(None), StatusComponent.is_group.is_(False)))
    return sorted(rows, key=lambda row: wanted.index(row.name))


def open_for(session: Session, incident_id: str, now: datetime) -> PublicIncident | None:
    """Open the public incident of one internal incident, if its policy still says so under the lock.
    The words are the `status_investigating` template's (never the internal title unless a configured
    template puts it there); the affected services' components take the severity's status."""
    incident = session.get(Incident, incident_id, with_for_update=True, populate_existing=True)
    if incident is None:
        return None
    policy = page_policies(session).get(incident.severity)
    linked = session.scalar(select(exists().where(PublicIncidentLink.incident_id == incident.id)))
    if policy is None or not auto_open_due(policy, incident.declared_at, now,
                                           resolved=incident.status == InternalStatus.RESOLVED.value,
                                           already_public=bool(linked), private=incident.private,
                                           drill=DRILL_TAG in (incident.tags or [])):
        return None
    words = for_incident(session, "status_investigating", "status_page", incident, now)
    name = clip(" ".join(words.title.split()), MAX_NAME) or FALLBACK_NAME
    change = IncidentChange(IncidentStatus.INVESTIGATING, clip(words.text.strip(), MAX_BODY),
                            {row.id: policy.component_status for row in _components_of(session, incident)},
                            impact=policy.impact)
    return open_incident(session, None, name, change, now, incidents=[incident.id],
                         draft=policy.publish is Publish.DRAFT)


def run(engine: Runner, now: datetime) -> int:
    """One pass: open what is due, then answer the resolutions; how many public incidents it changed."""
    with engine.db.unit_of_work(write=False) as session:  # on SQLite the scan must not hold the write lock
        page = live_page(session)
        if page is None:  # no page: nothing to open or answer (the pass runs at every engine wake-up)
            return 0
        known = policies(page.severities or [])
        opening = due_to_open(session, known, now) if known else []
        resolving = resolutions.due(session)
    done = 0
    for incident_id in opening:
        with engine.db.unit_of_work() as session:
            done += open_for(session, incident_id, now) is not None
    for public_id, incident_id in resolving:
        with engine.db.unit_of_work() as session:
            done += resolutions.answer(session, public_id, incident_id, now)
        if engine.stopping():
            break
    return done
