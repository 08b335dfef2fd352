"""Update-cadence reminders: the I/O around `core.cadence`.

A severity with `update_every` (P1 15 min, P2 30 min) starts a clock when the incident is declared;
posting an update (`firebell incident update`, Slack `/incident update`) restarts it. Shortly
before an update is due the commander and the communications lead are reminded through their own
contact methods, and again once it is overdue. Each reminder is recorded (`cadence_reminders`) in
the transaction that pages for it, so none is sent twice; each is a timeline event, and the
overdue ones are what the missed-update KPI counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core import cadence
from firebell.core.timeline.incident import UpdateDue, UpdateOverdue
from firebell.escalation.targets import Recipient
from firebell.incidents import reference, timeline
from firebell.incidents.models import CadenceReminder, Incident, RoleAssignment
from firebell.notify.outbox import enqueue
from firebell.org.models import User

REMINDED_ROLES = ("commander", "communications_lead")
CHECK_EVERY = timedelta(seconds=30)  # reminders are minutes apart: a half-minute check is on time


def due(session: Session, now: datetime) -> list[tuple[Any, cadence.Reminder]]:
    """The reminders due now (a read: on SQLite the scan must not hold the write lock)."""
    every = reference.update_cadences(session)
    if not every:
        return []
    open_incidents = session.execute(select(Incident.id, Incident.number, Incident.title, Incident.severity,
                                            Incident.declared_at, Incident.last_update_at)
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
                                      frozenset(sent.get(row.id, ())))
        found.extend((row, reminder) for reminder in state.reminders)
    return found


def remind(session: Session, reminders: list[tuple[Any, cadence.Reminder]], now: datetime) -> int:
    """Send the reminders `due` found (skipping any another engine sent meanwhile); how many were sent."""
    count = 0
    for row, reminder in reminders:
        if session.get(CadenceReminder, (row.id, reminder.key)) is None:
            _send(session, row, reminder, now)
            count += 1
    return count


def _send(session: Session, incident: Any, reminder: cadence.Reminder, now: datetime) -> None:
    session.add(CadenceReminder(incident_id=incident.id, key=reminder.key, sent_at=now))
    holders = session.execute(select(RoleAssignment.role, User.id, User.name)
                              .join(User, User.id == RoleAssignment.user_id)
                              .where(RoleAssignment.incident_id == incident.id,
                                     RoleAssignment.role.in_(REMINDED_ROLES))).all()
    ref = f"INC-{incident.number}"
    due = reminder.due_at.strftime("%H:%M UTC")
    text = (f"{ref}: the next stakeholder update is due at {due}" if reminder.kind == "due"
            else f"{ref}: the stakeholder update due at {due} is overdue")
    message = {"ref": ref, "title": text, "severity": incident.severity, "summary":
               f"{text}. Post one with `firebell incident update {ref} \"...\"` or `/incident update {ref} ...`."}
    for role, user_id, name in holders:
        enqueue(session, incident_id=incident.id, recipient=Recipient(target=f"role:{role}", user_id=user_id,
                                                                      user_name=name),
                step_key=f"U:{reminder.key}", level=-1, loop=0, kind="reminder", message=message, now=now)
    kind = UpdateDue if reminder.kind == "due" else UpdateOverdue
    timeline.append(session, incident.id, kind(
        due_at=reminder.due_at.isoformat(), reminded=sorted({name for _r, _i, name in holders}),
        unreminded="nobody holds commander or communications lead" if not holders else None), at=now)
