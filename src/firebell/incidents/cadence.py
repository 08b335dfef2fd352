"""Update-cadence reminders: the I/O around `core.cadence`.

A severity with `update_every` (P1 15 min, P2 30 min) starts a clock when the incident is declared;
posting an update (`firebell incident update`, Slack `/incident update`) restarts it. Shortly
before an update is due the commander and the communications lead are reminded through their own
contact methods, and again once it is overdue. Each reminder is recorded here (`cadence_reminders`)
in the transaction that pages for it (notify/jobs.py makes the pages), so none is sent twice; each
is a timeline event, and the overdue ones are what the missed-update KPI counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core import cadence
from firebell.core.timeline.incident import UpdateDue, UpdateOverdue
from firebell.incidents import timeline
from firebell.incidents.models import CadenceReminder, Incident, RoleAssignment
from firebell.org.models import User
from firebell.severity import levels as severities

REMINDED_ROLES = ("commander", "communications_lead")
CHECK_EVERY = timedelta(seconds=30)  # reminders are minutes apart: a half-minute check is on time


def due(session: Session, now: datetime) -> list[tuple[Any, cadence.Reminder]]:
    """The reminders due now (a read: on SQLite the scan must not hold the write lock)."""
    every = severities.update_cadences(session)
    if not every:
        return []
    open_incidents = session.execute(select(Incident.id, Incident.number, Incident.title, Incident.severity,
                                            Incident.declared_at, Incident.last_update_at,
                                            Incident.next_update_at)
                                     .where(Incident.status != "resolved", Incident.severity.in_(list(every)))).all()
    if not open_incidents:
        return []
    ids = [row.id for row in open_incidents]
    sent: dict[str, set[str]] = {}
    for incident_id, key in session.execute(select(CadenceReminder.incident_id, CadenceReminder.key)
                                            .where(CadenceReminder.incident_id.in_(ids))).all():
        sent.setdefault(incident_id, set()).add(key)
    found: list[tuple[Any, cadence.Reminder]] = []
    for row in open_incidents:
        state = cadence.cadence_state(row.declared_at, row.last_update_at, every[row.severity], now,
                                      frozenset(sent.get(row.id, ())), promised=row.next_update_at)
        found.extend((row, reminder) for reminder in state.reminders)
    return found


@dataclass(frozen=True)
class ReminderPage:
    """A reminder recorded on the incident, for notify to page (notify/jobs.py): whom and what."""

    incident_id: str
    step_key: str
    holders: list[tuple[str, str, str]]  # (role, user id, user name) of the reminded roles' holders
    message: dict[str, Any]


def record(session: Session, reminders: list[tuple[Any, cadence.Reminder]], now: datetime) -> list[ReminderPage]:
    """Record the reminders `due` found (skipping any another engine recorded meanwhile), each with its
    timeline event; the pages they need, which the caller makes in the same transaction."""
    return [_record(session, row, reminder, now) for row, reminder in reminders
            if session.get(CadenceReminder, (row.id, reminder.key)) is None]


def _record(session: Session, incident: Any, reminder: cadence.Reminder, now: datetime) -> ReminderPage:
    session.add(CadenceReminder(incident_id=incident.id, key=reminder.key, sent_at=now))
    holders = [(role, user_id, name) for role, user_id, name in session.execute(
        select(RoleAssignment.role, User.id, User.name).join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.incident_id == incident.id, RoleAssignment.role.in_(REMINDED_ROLES))).all()]
    ref = f"INC-{incident.number}"
    due = reminder.due_at.strftime("%H:%M UTC")
    text = (f"{ref}: the next stakeholder update is due at {due}" if reminder.kind == "due"
            else f"{ref}: the stakeholder update due at {due} is overdue")
    message = {"ref": ref, "title": text, "severity": incident.severity, "summary":
               f"{text}. Post one with `firebell incident update {ref} \"...\"` or `/incident update {ref} ...`."}
    kind = UpdateDue if reminder.kind == "due" else UpdateOverdue
    timeline.append(session, incident.id, kind(
        due_at=reminder.due_at.isoformat(), reminded=sorted({name for _r, _i, name in holders}),
        unreminded="nobody holds commander or communications lead" if not holders else None), at=now)
    return ReminderPage(incident_id=incident.id, step_key=f"U:{reminder.key}", holders=holders, message=message)
