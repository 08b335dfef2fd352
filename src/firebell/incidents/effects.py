"""What a person's change to an incident sets off in the domains above incidents, handed in by the caller.

Incidents come before escalation, notify, messages and alerts (DESIGN.md, "Direction"), yet declaring an
incident starts its escalation, reopening restarts it, a severity or tag change reshapes it, adding a
responder pages them, acknowledging or resolving carries the change to the incident's alerts, and
declaring, a status update and resolving are told to the stakeholders (messages/stakeholders.py).
The use cases in incidents/service.py call these through `IncidentEffects`; firebell/effects.py
implements it with those domains, and the shell (app.py for the routes, Slack, the answer funnel)
hands it in. Every effect runs in the caller's transaction, so the change and its consequences
commit together or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core.timeline.incident import StatusUpdate
from firebell.incidents.models import Incident


class IncidentEffects(Protocol):
    def declared(self, session: Session, incident: Incident, service_id: str | None, now: datetime) -> None:
        """Page through the first affected service's policy, as an alert-opened incident would."""

    def status_updated(self, session: Session, incident: Incident, update: StatusUpdate, now: datetime) -> None:
        """Post the update to the incident's stakeholder routes (none for a private incident)."""

    def resolved(self, session: Session, incident: Incident, resolution: str, now: datetime) -> None:
        """Tell the stakeholders it is resolved, and how long it lasted."""

    def reopened(self, session: Session, incident: Incident, now: datetime) -> None:
        """Page again from the ladder's first level."""

    def severity_changed(self, session: Session, incident: Incident, now: datetime) -> None:
        """The ladder of the new severity, and its triggers, from here on."""

    def tags_changed(self, session: Session, incident: Incident, now: datetime) -> None:
        """A tag such as data-breach may fire a trigger at once."""

    def responder_added(self, session: Session, incident: Incident, user_id: str, user_name: str, actor: Actor,
                        message: str, now: datetime) -> None:
        """Page the person who was added."""

    def alerts_follow(self, session: Session, incident_id: str, status: str, now: datetime) -> None:
        """The incident was acknowledged or resolved (`status`): so are its alerts."""

    def escalate(self, session: Session, actor: Actor, ref: str, level: int | None, now: datetime, *,
                 help_needed: str = "", actions_taken: str = "") -> int:
        """Page the next level now (or `level`), saying what help is needed and what was done so far;
        the level paged, counted from 1."""

    def reassign(self, session: Session, actor: Actor, ref: str, *, user: str | None, policy: str | None,
                 now: datetime) -> None:
        """Hand the incident to a person or another policy, paged now."""
