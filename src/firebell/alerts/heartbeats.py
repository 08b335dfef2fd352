"""Heartbeat monitors: a beat proves the sender alive; a missed beat (interval + grace) raises an
alert through the normal ingestion path, and the next beat resolves it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.alerts.models import Heartbeat, Integration
from firebell.alerts.service import Outcome, ingest
from firebell.alerts.snapshot import IntegrationInfo
from firebell.core.events import AlertEvent, EventAction
from firebell.org.models import Service

# The ORM row (engine, listings) or the cached snapshot of it (the beat endpoint).
AnyIntegration = Integration | IntegrationInfo


def _dedup_key(integration: AnyIntegration) -> str:
    return f"heartbeat:{integration.name}"


def _event(integration: AnyIntegration, service: Service, action: EventAction,
           last_beat: datetime | None) -> AlertEvent:
    settings = integration.settings or {}
    summary = settings.get("summary") or f"Heartbeat {integration.name} of {service.name} missed"
    last = f"{last_beat:%Y-%m-%d %H:%M:%S} UTC" if last_beat else "never"
    return AlertEvent(format="heartbeat", action=action, dedup_key=_dedup_key(integration), summary=summary,
                      source=integration.name, fixed_severity=settings.get("severity") or None,
                      labels={"heartbeat": integration.name}, details={"last_beat": last})


def _window(integration: AnyIntegration) -> timedelta:
    settings = integration.settings or {}
    return timedelta(seconds=int(settings.get("interval_s", 300)) + int(settings.get("grace_s", 0)))


def beat(session: Session, integration: AnyIntegration, now: datetime) -> list[Outcome]:
    state = session.get(Heartbeat, integration.id, with_for_update=True)
    if state is None:
        state = Heartbeat(integration_id=integration.id)
        session.add(state)
    was_down = state.status == "down"
    state.status, state.last_beat_at, state.overdue_at = "up", now, now + _window(integration)
    if not was_down:
        return []
    service = session.get(Service, integration.service_id)
    assert service is not None
    return ingest(session, integration, [_event(integration, service, EventAction.RESOLVE, now)], now,
                  raw={"heartbeat": integration.name, "beat_at": now.isoformat()})


def check_overdue(session: Session, now: datetime, limit: int = 100) -> list[Outcome]:
    """Raise an alert for every heartbeat past its deadline. Rows are claimed with SKIP LOCKED so
    several Firebell processes on one PostgreSQL never raise the same miss twice."""
    due = session.execute(
        select(Heartbeat).where(Heartbeat.overdue_at <= now, Heartbeat.status == "up")
        .order_by(Heartbeat.overdue_at).limit(limit).with_for_update(skip_locked=True)
    ).scalars().all()
    outcomes: list[Outcome] = []
    for state in due:
        integration = session.get(Integration, state.integration_id)
        if integration is None or integration.archived_at is not None:
            state.status = "waiting"
            continue
        service = session.get(Service, integration.service_id)
        assert service is not None
        state.status = "down"
        outcomes += ingest(session, integration, [_event(integration, service, EventAction.TRIGGER,
                                                         state.last_beat_at)], now,
                           raw={"heartbeat": integration.name, "overdue_at": state.overdue_at.isoformat()
                                if state.overdue_at else None})
    return outcomes


def list_heartbeats(session: Session) -> list[tuple[Integration, Service, Heartbeat | None]]:
    rows = session.execute(
        select(Integration, Service).join(Service, Service.id == Integration.service_id)
        .where(Integration.type == "heartbeat", Integration.archived_at.is_(None)).order_by(Service.name)
    ).all()
    return [(i, s, session.get(Heartbeat, i.id)) for i, s in rows]
