"""What a person's change to an incident sets off, as the domains above incidents do it
(incidents/effects.py says why the incident use cases are handed this rather than importing it).
app.py puts one on the application for the routes; Slack and the answer funnel receive it from there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts import incident_rows
from firebell.core.timeline.incident import StatusUpdate
from firebell.escalation import service as escalation
from firebell.escalation.targets import Recipient
from firebell.incidents.models import Incident
from firebell.messages import stakeholders
from firebell.notify.outbox import enqueue
from firebell.org.models import User
from firebell.slack.cards import stakeholder_channels
from firebell.store.uow import due_after_commit


class DomainEffects:
    """`incidents.effects.IncidentEffects` by the escalation, notify, messages, slack and alerts domains.
    `public_url` is where the console is, for the links in messages to stakeholders."""

    def __init__(self, public_url: str = "") -> None:
        self.public_url = public_url

    def declared(self, session: Session, incident: Incident, service_id: str | None, now: datetime) -> None:
        escalation.start_for_incident(session, incident, service_id, now)
        stakeholders.announce(session, stakeholders.DECLARED, incident, stakeholder_channels(session, incident), now,
                              key=stakeholders.DECLARED, public_url=self.public_url)

    def status_updated(self, session: Session, incident: Incident, update: StatusUpdate, now: datetime) -> None:
        # The incident's version names this update: the event's id is not known until its deferred insert.
        stakeholders.announce(session, stakeholders.UPDATE, incident, stakeholder_channels(session, incident), now,
                              key=f"update:{incident.version}", public_url=self.public_url, update=update)

    def resolved(self, session: Session, incident: Incident, resolution: str, now: datetime) -> None:
        stakeholders.announce(session, stakeholders.RESOLVED, incident, stakeholder_channels(session, incident), now,
                              key=stakeholders.resolved_key(now), public_url=self.public_url, resolution=resolution)

    def reopened(self, session: Session, incident: Incident, now: datetime) -> None:
        escalation.restart(session, incident, now)

    def severity_changed(self, session: Session, incident: Incident, now: datetime) -> None:
        escalation.severity_changed(session, incident, now)

    def tags_changed(self, session: Session, incident: Incident, now: datetime) -> None:
        escalation.triggers_changed(session, incident.id, now)

    def responder_added(self, session: Session, incident: Incident, user_id: str, user_name: str, actor: Actor,
                        message: str, now: datetime) -> None:
        """`add-responder --message`: page one person now, through their contact methods."""
        enqueue(session, incident_id=incident.id, recipient=Recipient(target=f"user:{user_name}", user_id=user_id,
                                                                      user_name=user_name),
                step_key=f"R:{uuid.uuid4().hex}", level=-1, loop=0, kind="manual", now=now,
                message={"incident_id": incident.id, "ref": incident.ref, "title": incident.title,
                         "severity": incident.severity, "status": incident.status,
                         "summary": message or incident.summary or incident.title,
                         "reason": f"{actor.display_name} added you as a responder",
                         "help": message, "to": _name_of(session, user_id, user_name)})
        due_after_commit(session)

    def alerts_follow(self, session: Session, incident_id: str, status: str, now: datetime) -> None:
        incident_rows.alerts_follow(session, incident_id, status, now)

    def escalate(self, session: Session, actor: Actor, ref: str, level: int | None, now: datetime, *,
                 help_needed: str = "", actions_taken: str = "") -> int:
        return escalation.escalate(session, actor, ref, level, now, help_needed=help_needed,
                                   actions_taken=actions_taken).level + 1

    def reassign(self, session: Session, actor: Actor, ref: str, *, user: str | None, policy: str | None,
                 now: datetime) -> None:
        escalation.reassign(session, actor, ref, user=user, policy=policy, now=now)


def _name_of(session: Session, user_id: str, user_name: str) -> str:
    user = session.get(User, user_id)
    return (user.full_name or user.name) if user is not None else user_name


EFFECTS = DomainEffects()
