"""Resolving the internal incident proposes the public resolved update. When every internal incident a
public incident speaks for is resolved, the public incident's resolved update is made from the
`status_resolved` template: the severity's `publish: immediately` resolves the public incident at
once; otherwise the update waits (a `status_proposed_resolutions` row, and a timeline event on the
internal incident) until the comms lead resolves the public incident, which takes the proposed words
unless given others.

One proposal per (public incident, internal incident) and resolution, however often the job runs or
how many engines run it: the public incident's row is locked and the proposal looked for again under
the lock. A proposal speaks for the resolution it was made after: an internal incident reopened
before the comms lead published withdraws it (it no longer waits: "resolved" would be false), and
resolving again proposes afresh, in the same row, with the words of the new resolution. An internal
incident resolved before it was linked proposes nothing (the comms lead linked an incident that was
already over, and speaks for it by hand). Nor does one made private after it was linked (a security
matter, found out late): its resolution is never published or worded for the public, and the comms
lead resolves the public incident by hand."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, aliased

from firebell.actor import Actor
from firebell.core.lifecycle import Status as InternalStatus
from firebell.core.message_text import clip
from firebell.core.statuspage.policy import policies, resolution_publishes
from firebell.core.statuspage.states import UNRESOLVED
from firebell.core.timeline.status_page import PublicResolutionProposed
from firebell.incidents import timeline as incident_timeline
from firebell.incidents.models import Incident
from firebell.messages.render import for_incident
from firebell.statuspage.models import ProposedResolution, PublicIncident, PublicIncidentLink
from firebell.statuspage.service import MAX_BODY, find_incident, page, resolve_incident

_UNRESOLVED = [status.value for status in UNRESOLVED]


def due(session: Session) -> list[tuple[str, str]]:
    """(public incident, internal incident) pairs whose resolved update is still to be made. The engine
    asks at every pass: without an unresolved public incident (nearly always) one small read answers."""
    if session.scalar(select(exists().where(PublicIncident.kind == "incident",
                                            PublicIncident.status.in_(_UNRESOLVED)))):
        return [(row.public_incident_id, row.incident_id) for row in session.execute(_due_statement())]
    return []


@cache
def _due_statement() -> Select[str, str]:
    """Made once: building the statement (two aliases, two correlated subqueries) costs more Python
    than running it when nothing is due."""
    other_link, other = aliased(PublicIncidentLink), aliased(Incident)
    still_open = exists(select(other_link.id).join(other, other.id == other_link.incident_id).where(
        other_link.public_incident_id == PublicIncidentLink.public_incident_id,
        other.status != InternalStatus.RESOLVED.value))
    proposed = exists(select(ProposedResolution.id).where(
        ProposedResolution.public_incident_id == PublicIncidentLink.public_incident_id,
        ProposedResolution.incident_id == PublicIncidentLink.incident_id,
        ProposedResolution.proposed_at >= Incident.resolved_at))  # made after this resolution
    return (select(PublicIncidentLink.public_incident_id, PublicIncidentLink.incident_id)
            .join(Incident, Incident.id == PublicIncidentLink.incident_id)
            .join(PublicIncident, PublicIncident.id == PublicIncidentLink.public_incident_id)
            .where(Incident.status == InternalStatus.RESOLVED.value, Incident.private.is_(False),
                   Incident.resolved_at >= PublicIncidentLink.linked_at,
                   PublicIncident.kind == "incident", PublicIncident.status.in_(_UNRESOLVED),
                   ~still_open, ~proposed)
            .order_by(Incident.resolved_at))


def answer(session: Session, public_id: str, incident_id: str, now: datetime) -> bool:
    """Make the resolved update of one public incident (under its lock); whether it made one."""
    public = find_incident(session, public_id)
    incident = session.get(Incident, incident_id)
    if (incident is None or incident.private or public.status not in _UNRESOLVED
            or incident.status != InternalStatus.RESOLVED.value):
        return False
    proposal = session.scalars(select(ProposedResolution).where(
        ProposedResolution.public_incident_id == public.id, ProposedResolution.incident_id == incident.id)).first()
    if proposal is not None and (incident.resolved_at is None or proposal.proposed_at >= incident.resolved_at):
        return False
    words = clip(for_incident(session, "status_resolved", "status_page", incident, now).text.strip(), MAX_BODY)
    if proposal is None:
        proposal = ProposedResolution(public_incident_id=public.id, incident_id=incident.id)
        session.add(proposal)
    proposal.body, proposal.proposed_at, proposal.published_at = words, now, None  # a reopening's: afresh
    if resolution_publishes(policies(page(session).severities or []).get(incident.severity)):
        resolve_incident(session, None, public.id, now, body=proposal.body)
        proposal.published_at = now
    else:
        incident_timeline.append(session, incident.id, PublicResolutionProposed(public_incident=public.id,
                                                                                name=public.name), at=now)
    session.flush()
    return True


def waiting(session: Session, public_id: str) -> ProposedResolution | None:
    """The resolved update that waits for the comms lead, if any (the latest); never one whose internal
    incident was reopened since (it is withdrawn until that incident is resolved again)."""
    return session.scalars(select(ProposedResolution).join(Incident, Incident.id == ProposedResolution.incident_id)
                           .where(ProposedResolution.public_incident_id == public_id,
                                  ProposedResolution.published_at.is_(None),
                                  Incident.status == InternalStatus.RESOLVED.value,
                                  ProposedResolution.proposed_at >= Incident.resolved_at)
                           .order_by(ProposedResolution.proposed_at.desc())).first()


def resolve(session: Session, actor: Actor | None, public_id: str, now: datetime, *, body: str = "") -> PublicIncident:
    """The comms lead resolves the public incident: with the proposed words unless given others. Every
    waiting proposal of it is then published."""
    proposal = waiting(session, public_id)
    public = resolve_incident(session, actor, public_id, now,
                              body=body or (proposal.body if proposal is not None else ""))
    for row in session.scalars(select(ProposedResolution).where(
            ProposedResolution.public_incident_id == public_id, ProposedResolution.published_at.is_(None))):
        row.published_at = now
    return public
