"""Ad hoc maintenance windows: started and ended early by a service's team or an admin, through
the API, the CLI or the console alike (windows from the config tree are applied by `config`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts.models import MaintenanceWindow
from firebell.core.access import can_declare
from firebell.core.durations import parse_duration
from firebell.core.instants import shifted
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.org.models import Service


def is_active(window: MaintenanceWindow, now: datetime) -> bool:
    return window.starts_at <= now < window.ends_at and window.ended_at is None


def may_manage(actor: Actor, team_id: str | None) -> bool:
    """Whether `actor` may start and end windows of a service of this team: its team or an admin."""
    return can_declare(actor.principal, team_id)


def _check_may_manage(actor: Actor, service: Service) -> None:
    if not may_manage(actor, service.team_id):
        raise Forbidden(f"only {service.name}'s team or an admin can put it in maintenance")


def start_window(session: Session, actor: Actor, service_name: str, *, now: datetime, duration: str | None = None,
                 starts_at: datetime | None = None, ends_at: datetime | None = None,
                 reason: str = "") -> MaintenanceWindow:
    """A window from `starts_at` (now when None) for `duration` (such as 2h) or until `ends_at`."""
    starts = starts_at or now
    if duration and ends_at:
        raise Invalid("give either duration or ends_at, not both")
    try:
        ends = ends_at or (shifted(starts, parse_duration(duration)) if duration else None)
    except ValueError as exc:
        raise Invalid(f"duration: {exc}") from None
    if ends is None:
        raise Invalid("give a duration (e.g. 2h) or ends_at")
    if ends <= starts or ends <= now:
        raise Invalid("the window must end after it starts and in the future")
    service = session.execute(select(Service).where(Service.name == service_name,
                                                    Service.archived_at.is_(None))).scalar_one_or_none()
    if service is None:
        raise Invalid(f"unknown service {service_name!r}")
    _check_may_manage(actor, service)
    window = MaintenanceWindow(service_id=service.id, origin="adhoc", starts_at=starts, ends_at=ends,
                               reason=reason.strip(), created_by=actor.label)
    session.add(window)
    session.flush()
    return window


def end_window(session: Session, actor: Actor, window_id: str, *, now: datetime) -> MaintenanceWindow:
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFound(f"maintenance window {window_id} not found")
    service = session.get(Service, window.service_id)
    assert service is not None
    _check_may_manage(actor, service)
    if window.ended_at is not None or window.ends_at <= now:
        raise Conflict("that maintenance window is already over")
    window.ended_at = now
    return window


def windows(session: Session, now: datetime, *, include_past: bool = False,
            service_id: str | None = None) -> list[MaintenanceWindow]:
    """Current and upcoming windows (and past ones too, with `include_past`), by start."""
    query = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at)
    if not include_past:
        query = query.where(MaintenanceWindow.ends_at > now, MaintenanceWindow.ended_at.is_(None))
    if service_id is not None:
        query = query.where(MaintenanceWindow.service_id == service_id)
    return list(session.execute(query).scalars())
