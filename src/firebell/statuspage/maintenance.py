"""Scheduled maintenance: announced with its window and components, then moved by the clock
(core/statuspage/states.due_maintenance): at its start the components go under_maintenance, at its
end each goes back to the status it had before, unless someone changed it meanwhile. The same acts
silence paging for the services behind its components (silences.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core.statuspage.rollup import ComponentStatus
from firebell.core.statuspage.states import (
    ACTIVE_MAINTENANCE,
    MaintenanceStatus,
    due_maintenance,
    new_window,
    next_maintenance_status,
    window_in_reach,
)
from firebell.errors import Invalid
from firebell.statuspage import notices, silences
from firebell.statuspage.models import PublicIncident, PublicIncidentUpdate, StatusComponent
from firebell.statuspage.service import (
    MAX_BODY,
    MAX_NAME,
    component,
    find_incident,
    record_status,
    require_editor,
    touch,
)

_WORDS = {
    MaintenanceStatus.IN_PROGRESS: "Scheduled maintenance is currently in progress.",
    MaintenanceStatus.COMPLETED: "The scheduled maintenance has been completed.",
}


def schedule(session: Session, actor: Actor, name: str, body: str, scheduled_for: datetime,
             scheduled_until: datetime, component_refs: list[str], now: datetime, *, auto_start: bool = True,
             auto_complete: bool = True) -> PublicIncident:
    require_editor(session, actor)
    name, body = name.strip(), body.strip()
    if not name or len(name) > MAX_NAME or len(body) > MAX_BODY:
        raise Invalid(f"a maintenance needs a name of at most {MAX_NAME} characters and a body of at most {MAX_BODY}")
    if scheduled_until <= scheduled_for:
        raise Invalid("a maintenance must end after it starts")
    window_in_reach(scheduled_for, scheduled_until, now)
    rows = [component(session, ref) for ref in component_refs]
    if any(row.is_group for row in rows):
        raise Invalid("a maintenance names components, not groups")
    maintenance = PublicIncident(
        name=name, kind="maintenance", status=MaintenanceStatus.SCHEDULED.value, impact="maintenance", draft=False,
        components=list(dict.fromkeys(row.id for row in rows)), created_at=now, updated_at=now,
        started_at=scheduled_for, scheduled_for=scheduled_for, scheduled_until=scheduled_until,
        auto_start=auto_start, auto_complete=auto_complete)
    session.add(maintenance)
    session.flush()
    silences.silence(session, actor, maintenance, now)
    _update(session, maintenance, MaintenanceStatus.SCHEDULED, body, now, None)
    touch(session, now)
    step(session, maintenance, now)  # a window that already began starts at once
    return maintenance


def reschedule(session: Session, actor: Actor, public_id: str, scheduled_for: datetime, scheduled_until: datetime,
               now: datetime, body: str = "") -> PublicIncident:
    """A new window, announced as an update; its paging silences move with it. Which windows are
    taken is core/statuspage/states.new_window's rule: once it is in progress only its end moves (it has
    begun), and a scheduled one is not moved into the past."""
    require_editor(session, actor)
    maintenance = find_incident(session, public_id, kind="maintenance")
    status = MaintenanceStatus(maintenance.status)
    if len(body) > MAX_BODY:
        raise Invalid(f"a maintenance's body is at most {MAX_BODY} characters")
    assert maintenance.scheduled_for is not None
    scheduled_for, scheduled_until = new_window(status, maintenance.scheduled_for, scheduled_for, scheduled_until,
                                                now)
    maintenance.scheduled_until = scheduled_until
    if status is MaintenanceStatus.SCHEDULED:
        maintenance.scheduled_for = maintenance.started_at = scheduled_for
    maintenance.updated_at = now
    silences.move(session, actor, maintenance, now)
    _update(session, maintenance, status, body.strip() or "This maintenance has been rescheduled.", now, None,
            rescheduled=True)
    touch(session, now)
    step(session, maintenance, now)
    return maintenance


def move(session: Session, actor: Actor | None, public_id: str, status: MaintenanceStatus, now: datetime,
         body: str = "") -> PublicIncident:
    """A person's move (verifying, completed early, called off) or the clock's."""
    if actor is not None:
        require_editor(session, actor)
    maintenance = find_incident(session, public_id, kind="maintenance")
    _move(session, maintenance, status, now, body)
    if actor is not None and status is MaintenanceStatus.COMPLETED:
        silences.end(session, actor, maintenance, now)  # completed or called off early: paging again
    return maintenance


def _move(session: Session, maintenance: PublicIncident, status: MaintenanceStatus, now: datetime, body: str) -> None:
    current = MaintenanceStatus(maintenance.status)
    target = next_maintenance_status(current, status, ref=f"maintenance {maintenance.id}")
    affected = None
    if target in ACTIVE_MAINTENANCE and current not in ACTIVE_MAINTENANCE:
        affected = _start(session, maintenance, now)
    elif target is MaintenanceStatus.COMPLETED and current in ACTIVE_MAINTENANCE:
        affected = _restore(session, maintenance, now)
    maintenance.status = target.value
    maintenance.updated_at = now
    if target is MaintenanceStatus.COMPLETED:
        maintenance.resolved_at = now
    _update(session, maintenance, target, body or _WORDS.get(target, ""), now, affected)
    touch(session, now)


def _start(session: Session, maintenance: PublicIncident, now: datetime) -> list[dict[str, str]]:
    affected = []
    for cid in maintenance.components:
        row = session.get(StatusComponent, cid)
        if row is None or row.archived_at is not None:
            continue
        old = row.status
        record_status(session, row, ComponentStatus.UNDER_MAINTENANCE, "maintenance", now,
                      public_incident_id=maintenance.id)
        affected.append({"code": row.id, "name": row.name, "old_status": old,
                         "new_status": ComponentStatus.UNDER_MAINTENANCE.value})
    return affected


def _restore(session: Session, maintenance: PublicIncident, now: datetime) -> list[dict[str, str]]:
    """Each component back to what it was when the maintenance began, if it is still under this
    maintenance (someone may have set it since)."""
    before: dict[str, str] = {}
    for update in session.scalars(select(PublicIncidentUpdate).where(
            PublicIncidentUpdate.public_incident_id == maintenance.id).order_by(PublicIncidentUpdate.created_at)):
        for entry in update.affected_components or []:
            if entry["new_status"] == ComponentStatus.UNDER_MAINTENANCE.value:
                before.setdefault(entry["code"], entry["old_status"])
    affected = []
    for cid, old in before.items():
        row = session.get(StatusComponent, cid)
        if row is None or row.status != ComponentStatus.UNDER_MAINTENANCE.value or row.status_source != "maintenance":
            continue
        back = ComponentStatus(old) if old != ComponentStatus.UNDER_MAINTENANCE.value else ComponentStatus.OPERATIONAL
        record_status(session, row, back, "maintenance", now, public_incident_id=maintenance.id)
        affected.append({"code": row.id, "name": row.name, "old_status": ComponentStatus.UNDER_MAINTENANCE.value,
                         "new_status": back.value})
    return affected


def _update(session: Session, maintenance: PublicIncident, status: MaintenanceStatus, body: str, now: datetime,
            affected: list[dict[str, str]] | None, *, rescheduled: bool = False) -> None:
    """`rescheduled`: subscribers hear of a new window, whatever the status."""
    update = PublicIncidentUpdate(public_incident_id=maintenance.id, status=status.value, body=body,
                                  display_at=now, created_at=now, updated_at=now,
                                  affected_components=affected or None, deliver_notifications=True)
    session.add(update)
    notices.maintenance_update(session, maintenance, update, now, rescheduled=rescheduled)


def step(session: Session, maintenance: PublicIncident, now: datetime) -> bool:
    """Make the clock's move on one maintenance, if one is due; whether it moved."""
    assert maintenance.scheduled_for is not None and maintenance.scheduled_until is not None
    target = due_maintenance(MaintenanceStatus(maintenance.status), maintenance.scheduled_for,
                             maintenance.scheduled_until, now, auto_start=maintenance.auto_start,
                             auto_complete=maintenance.auto_complete)
    if target is None:
        return False
    if target is MaintenanceStatus.COMPLETED and maintenance.status == MaintenanceStatus.SCHEDULED.value:
        _move(session, maintenance, MaintenanceStatus.IN_PROGRESS, now, "")
    _move(session, maintenance, target, now, "")
    return True


_OPEN = [MaintenanceStatus.SCHEDULED.value, *(s.value for s in ACTIVE_MAINTENANCE)]


def step_due(session: Session, now: datetime, limit: int = 100) -> int:
    """Move every maintenance the clock has made due (the engine's job)."""
    due = session.scalars(select(PublicIncident).where(
        PublicIncident.kind == "maintenance", PublicIncident.status.in_(_OPEN),
        ((PublicIncident.status == MaintenanceStatus.SCHEDULED.value) & (PublicIncident.scheduled_for <= now))
        | ((PublicIncident.status != MaintenanceStatus.SCHEDULED.value) & (PublicIncident.scheduled_until <= now)))
        .order_by(PublicIncident.scheduled_for).limit(limit).with_for_update(skip_locked=True))
    return sum(step(session, row, now) for row in list(due))


def next_due(session: Session) -> datetime | None:
    """When the clock next moves a maintenance: its lane may sleep until then."""
    starts = session.scalar(select(func.min(PublicIncident.scheduled_for)).where(
        PublicIncident.kind == "maintenance", PublicIncident.status == MaintenanceStatus.SCHEDULED.value,
        PublicIncident.auto_start.is_(True)))
    ends = session.scalar(select(func.min(PublicIncident.scheduled_until)).where(
        PublicIncident.kind == "maintenance", PublicIncident.status.in_([s.value for s in ACTIVE_MAINTENANCE]),
        PublicIncident.auto_complete.is_(True)))
    found = [at for at in (starts, ends) if at is not None]
    return min(found) if found else None
