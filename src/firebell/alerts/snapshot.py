"""The ingestion configuration (services' policies, routing rules, severity levels) read once and
cached per process against `organisations.config_version`, so the hot path does not re-read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.alerts.keys import hash_key
from firebell.alerts.models import Integration, RoutingRule
from firebell.alerts.settings import DEFAULT_FLAPPING_MAX_REFIRES, DEFAULT_FLAPPING_WINDOW_S
from firebell.core.ingest import ServicePolicy, SeverityRule
from firebell.core.matchers import parse_all
from firebell.core.routing import Rule
from firebell.escalation.service import specs_by_severity
from firebell.incidents.reference import vocabulary
from firebell.org.models import Organisation, Service
from firebell.severity.levels import severity_levels
from firebell.store.locks import read_with_locks
from firebell.store.rawsql import Statement, raw
from firebell.store.txcache import PerVersion, per_transaction


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name: str
    team_id: str
    policy: ServicePolicy
    escalations: dict[str, dict[str, Any]]  # {severity: escalation policy spec to freeze}


@dataclass(frozen=True)
class IntegrationInfo:
    id: str
    service_id: str
    name: str
    type: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class IngestConfig:
    version: int
    levels: tuple[str, ...]
    stages: tuple[str, ...]  # lifecycle stages in order: alert-opened incidents start in the first
    services_by_id: dict[str, ServiceInfo]
    services_by_name: dict[str, ServiceInfo]
    rules: tuple[Rule, ...]
    integrations_by_key_hash: dict[str, IntegrationInfo]

    def integration(self, key: str, types: tuple[str, ...]) -> IntegrationInfo | None:
        """The live integration whose key this is, if it is of one of `types`."""
        found = self.integrations_by_key_hash.get(hash_key(key)) if key else None
        return found if found is not None and found.type in types else None


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
    infos = [ServiceInfo(id=s.id, name=s.name, team_id=s.team_id, policy=_policy(s, levels),
                         escalations=specs_by_severity(session, s, levels)) for s in services]
    rules = session.execute(select(RoutingRule).order_by(RoutingRule.position)).scalars().all()
    integrations = session.execute(select(Integration).where(Integration.archived_at.is_(None))).scalars().all()
    return IngestConfig(
        stages=tuple(vocabulary(session).stages),
        integrations_by_key_hash={i.key_hash: IntegrationInfo(id=i.id, service_id=i.service_id, name=i.name,
                                                              type=i.type, settings=dict(i.settings or {}))
                                  for i in integrations},
        version=version, levels=levels, services_by_id={i.id: i for i in infos},
        services_by_name={i.name: i for i in infos},
        rules=tuple(Rule(name=r.name, matchers=tuple(parse_all(r.matchers)),
                         set_service=r.actions.get("set_service"), set_severity=r.actions.get("set_severity"),
                         add_tags=tuple(r.actions.get("add_tags") or ()), suppress=bool(r.actions.get("suppress")),
                         continue_=r.continue_) for r in rules),
    )


_SESSION_KEY = "ingest_config"
_VERSION_SEEN = "ingest_config_version_seen"
_VERSION = Statement("SELECT config_version FROM organisations WHERE id = 1")
_cache: PerVersion[IngestConfig] = PerVersion()


def current(session: Session) -> IngestConfig:
    """The configuration for this database, rebuilt when a config apply bumped the version. Read
    once per transaction: a batch of events is decided against one version."""
    return per_transaction(session, _SESSION_KEY, lambda: _for_version(session))


def assumed(session: Session) -> IngestConfig:
    """For naming the locks a batch takes before its work: this process's cached configuration,
    whose version is then read in the locks' own round trip (`current` uses what it read, and
    rebuilds if it moved; ingestion takes any lock the stale names missed). Nothing cached yet:
    `current`."""
    cached = _cache.latest(str(session.get_bind().engine.url))
    if cached is None:
        return current(session)
    raw(session)  # begins the transaction the answer belongs to
    seen: dict[str, int] = per_transaction(session, _VERSION_SEEN, dict)
    if not seen:
        seen["asked"] = 1
        read_with_locks(session, lambda: [(_VERSION, {})],
                        lambda found: seen.__setitem__("version", int(found[0][0][0] or 0) if found[0] else 0))
    return cached


def _for_version(session: Session) -> IngestConfig:
    seen: dict[str, int] = per_transaction(session, _VERSION_SEEN, dict)
    if "version" in seen:
        version = seen["version"]
    else:
        row = raw(session).one(_VERSION, {})
        version = int(row[0] or 0) if row else 0
    return _cache.get(str(session.get_bind().engine.url), version, lambda: _build(session, version))


def bump_version(session: Session) -> None:
    """Tell every process's cache that ingestion configuration (or an integration key) changed."""
    org = session.get(Organisation, 1)
    if org is not None:
        org.config_version = (org.config_version or 0) + 1
