"""Each service as the console shows it: its team, its integrations and where they receive, its
maintenance windows, and its heartbeats with when each last beat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.alerts import maintenance
from firebell.alerts.keys_admin import ENDPOINT
from firebell.alerts.models import Alert, Heartbeat, Integration, MaintenanceWindow
from firebell.org.models import Service


@dataclass(frozen=True)
class IntegrationView:
    name: str
    type: str
    key_prefix: str
    key_source: str  # generated keys may be rotated here; config and env keys are changed in the tree

    def endpoint(self, base_url: str, key: str | None = None) -> str:
        """Where it receives: with the key when it is known (just rotated), else its first characters."""
        return base_url + ENDPOINT[self.type].format(key=key or f"{self.key_prefix}\u2026")


@dataclass(frozen=True)
class HeartbeatView:
    name: str
    status: str  # waiting (never beat), up, down
    interval_s: int
    grace_s: int
    last_beat_at: datetime | None
    overdue_at: datetime | None
    overdue: bool  # past its deadline, whether or not the engine has raised the alert yet


@dataclass(frozen=True)
class ServiceView:
    name: str
    title: str
    description: str
    team: str
    team_id: str
    integrations: list[IntegrationView]
    heartbeats: list[HeartbeatView]
    windows: list[MaintenanceWindow]  # current and upcoming, by start
    open_alerts: int

    def in_maintenance(self, now: datetime) -> bool:
        return any(maintenance.is_active(w, now) for w in self.windows)

    @property
    def overdue_heartbeats(self) -> list[HeartbeatView]:
        return [h for h in self.heartbeats if h.overdue]


def _heartbeat(integration: Integration, state: Heartbeat | None, now: datetime) -> HeartbeatView:
    settings = integration.settings or {}
    overdue_at = state.overdue_at if state else None
    status = state.status if state else "waiting"
    return HeartbeatView(name=integration.name, status=status, interval_s=int(settings.get("interval_s", 0)),
                         grace_s=int(settings.get("grace_s", 0)), last_beat_at=state.last_beat_at if state else None,
                         overdue_at=overdue_at,
                         overdue=status == "down" or (overdue_at is not None and overdue_at <= now))


def services(session: Session, now: datetime, *, name: str | None = None) -> list[ServiceView]:
    """Every service in use (or the one named), by name, in a few queries whatever their number."""
    query = select(Service).where(Service.archived_at.is_(None)).order_by(Service.name)
    if name is not None:
        query = query.where(Service.name == name)
    found = list(session.execute(query).scalars())
    ids = [s.id for s in found]
    if not ids:
        return []
    integrations = list(session.execute(
        select(Integration).where(Integration.service_id.in_(ids), Integration.archived_at.is_(None))
        .order_by(Integration.name)).scalars())
    beats = {h.integration_id: h for h in session.execute(
        select(Heartbeat).where(Heartbeat.integration_id.in_([i.id for i in integrations]))).scalars()}
    windows = [w for w in maintenance.windows(session, now) if w.service_id in ids]
    open_counts: dict[str, int] = dict(session.execute(
        select(Alert.service_id, func.count()).where(Alert.service_id.in_(ids), Alert.status != "resolved")
        .group_by(Alert.service_id)).all())
    return [ServiceView(
        name=s.name, title=s.title, description=s.description, team=s.team.name, team_id=s.team_id,
        integrations=[IntegrationView(i.name, i.type, i.key_prefix, i.key_source)
                      for i in integrations if i.service_id == s.id],
        heartbeats=[_heartbeat(i, beats.get(i.id), now) for i in integrations
                    if i.service_id == s.id and i.type == "heartbeat"],
        windows=[w for w in windows if w.service_id == s.id], open_alerts=open_counts.get(s.id, 0),
    ) for s in found]
