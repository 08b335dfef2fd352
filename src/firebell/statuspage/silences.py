"""Scheduled maintenance silences paging: scheduling a maintenance creates an alert maintenance window
(alerts/maintenance.py, which owns them) for each service behind its components (the services whose
`status_page_component` names one), for the same window; rescheduling moves them; completing or
cancelling it early ends them. The windows are created and ended in the person's name and by alerts'
own rule, so only someone who may silence those services (their team or an admin) schedules a
maintenance that silences them: a status page editor outside the team is refused (403), not allowed
to stop the team's pages by the back door.

The clock's own moves (start, complete at `scheduled_until`) need nothing here: the window starts and
ends at the same instants. A maintenance left running past its end by hand (`auto_complete: false`)
pages again from `scheduled_until`: silence is what was announced, no longer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts import maintenance as alert_windows
from firebell.alerts.models import MaintenanceWindow
from firebell.org.models import Service
from firebell.statuspage.models import MaintenanceSilence, PublicIncident, StatusComponent

REASON = "Status page maintenance: {name}"


def services_behind(session: Session, component_ids: list[str]) -> list[Service]:
    """The live services whose component is one of these, by name."""
    names = list(session.scalars(select(StatusComponent.name).where(StatusComponent.id.in_(component_ids))))
    if not names:
        return []
    return list(session.scalars(select(Service).where(Service.status_page_component.in_(names),
                                                      Service.archived_at.is_(None)).order_by(Service.name)))


def silence(session: Session, actor: Actor, maintenance: PublicIncident, now: datetime) -> list[MaintenanceWindow]:
    """A window per service behind the maintenance's components, from its start to its end (none when
    its end has passed)."""
    starts, ends = maintenance.scheduled_for, maintenance.scheduled_until
    assert starts is not None and ends is not None
    if ends <= now:
        return []
    made = []
    for service in services_behind(session, maintenance.components):
        window = alert_windows.start_window(session, actor, service.name, now=now, starts_at=starts, ends_at=ends,
                                            reason=REASON.format(name=maintenance.name))
        session.add(MaintenanceSilence(maintenance_id=maintenance.id, window_id=window.id))
        made.append(window)
    return made


def windows_of(session: Session, maintenance_id: str) -> list[MaintenanceWindow]:
    return list(session.scalars(select(MaintenanceWindow).join(
        MaintenanceSilence, MaintenanceSilence.window_id == MaintenanceWindow.id)
        .where(MaintenanceSilence.maintenance_id == maintenance_id).order_by(MaintenanceWindow.starts_at)))


def end(session: Session, actor: Actor, maintenance: PublicIncident, now: datetime) -> int:
    """End the maintenance's windows that are not over yet (completed or called off early)."""
    ended = 0
    for window in windows_of(session, maintenance.id):
        if window.ended_at is None and window.ends_at > now:
            alert_windows.end_window(session, actor, window.id, now=now)
            ended += 1
    return ended


def move(session: Session, actor: Actor, maintenance: PublicIncident, now: datetime) -> list[MaintenanceWindow]:
    """Rescheduled: the old windows end and new ones cover the new window."""
    end(session, actor, maintenance, now)
    return silence(session, actor, maintenance, now)
