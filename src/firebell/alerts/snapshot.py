"""The ingestion configuration (services' policies, routing rules, severity levels) read once and
cached per process against `organisations.config_version`, so the hot path does not re-read it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.alerts.models import RoutingRule
from firebell.alerts.settings import DEFAULT_FLAPPING_MAX_REFIRES, DEFAULT_FLAPPING_WINDOW_S
from firebell.core.ingest import ServicePolicy, SeverityRule
from firebell.core.matchers import parse_all
from firebell.core.routing import Rule
from firebell.incidents.reference import severity_levels
from firebell.org.models import Organisation, Service


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name: str
    team_id: str
    policy: ServicePolicy


@dataclass(frozen=True)
class IngestConfig:
    version: int
    levels: tuple[str, ...]
    services_by_id: dict[str, ServiceInfo]
    services_by_name: dict[str, ServiceInfo]
    rules: tuple[Rule, ...]


def _policy(service: Service, levels: tuple[str, ...]) -> ServicePolicy:
    settings: dict[str, Any] = service.alerting or {}
    # Default threshold: everything but the least severe level pages (P4 is informational).
    default_threshold = levels[-2] if len(levels) > 1 else (levels[0] if levels else "")
    default_severity = levels[min(2, len(levels) - 1)] if levels else ""
    flapping = settings.get("flapping") or {}
    return ServicePolicy(
        name=service.name, levels=levels,
        paging_threshold=settings.get("paging_threshold") or default_threshold,
        default_severity=settings.get("default_severity") or default_severity,
        auto_resolve=bool(settings.get("auto_resolve", True)),
        group_by=tuple(settings.get("group_by") or ()),
        severity_map=tuple(SeverityRule(matchers=tuple(parse_all(r.get("match") or [])), severity=r["severity"])
                           for r in settings.get("severity_map") or []),
        flapping_max_refires=int(flapping.get("max_refires", DEFAULT_FLAPPING_MAX_REFIRES)),
        flapping_window=timedelta(seconds=int(flapping.get("window_s", DEFAULT_FLAPPING_WINDOW_S))),
    )


def _build(session: Session, version: int) -> IngestConfig:
    levels = tuple(r.key for r in severity_levels(session))
    services = session.execute(select(Service).where(Service.archived_at.is_(None))).scalars().all()
    infos = [ServiceInfo(id=s.id, name=s.name, team_id=s.team_id, policy=_policy(s, levels)) for s in services]
    rules = session.execute(select(RoutingRule).order_by(RoutingRule.position)).scalars().all()
    return IngestConfig(
        version=version, levels=levels, services_by_id={i.id: i for i in infos},
        services_by_name={i.name: i for i in infos},
        rules=tuple(Rule(name=r.name, matchers=tuple(parse_all(r.matchers)),
                         set_service=r.actions.get("set_service"), set_severity=r.actions.get("set_severity"),
                         add_tags=tuple(r.actions.get("add_tags") or ()), suppress=bool(r.actions.get("suppress")),
                         continue_=r.continue_) for r in rules),
    )


_lock = threading.Lock()
_cache: dict[str, IngestConfig] = {}


def current(session: Session) -> IngestConfig:
    """The configuration for this database, rebuilt when a config apply bumped the version."""
    version = session.execute(select(Organisation.config_version).where(Organisation.id == 1)).scalar() or 0
    key = str(session.get_bind().engine.url)
    cached = _cache.get(key)
    if cached is not None and cached.version == version:
        return cached
    built = _build(session, version)
    with _lock:
        _cache[key] = built
    return built
