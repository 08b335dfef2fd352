"""`alerts explain`: what Firebell would do with a payload, without keeping anything.

The real ingestion code (`service.ingest`, which routes, calls `core.ingest.decide` and writes) runs
inside a transaction that is rolled back, so the answer is exactly what live ingestion would do (alerts
of one message grouping together included) and nothing stays. The API and the console both call
`explain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.alerts.endpoints import find_integration
from firebell.alerts.models import Integration
from firebell.alerts.service import Outcome, ingest
from firebell.alerts.snapshot import IntegrationInfo
from firebell.core.events import AlertEvent as Event
from firebell.core.formats import PayloadError
from firebell.core.formats.alertmanager import parse_message
from firebell.core.formats.pagerduty import parse_event
from firebell.core.formats.webhook import parse_webhook
from firebell.errors import Invalid
from firebell.org.models import Service
from firebell.store.uow import Database

FORMATS = ("pagerduty", "alertmanager", "grafana", "webhook")


@dataclass(frozen=True)
class Explanation:
    format: str
    service: str
    integration: str
    outcomes: list[Outcome]


def detect_format(payload: Any) -> str:
    if isinstance(payload, dict):
        if "routing_key" in payload or "event_action" in payload:
            return "pagerduty"
        if isinstance(payload.get("alerts"), list):
            return "grafana" if str(payload.get("version")) == "1" or "orgId" in payload else "alertmanager"
    return "webhook"


def _integration(session: Session, payload: Any, service_name: str | None, fmt: str) -> Integration | IntegrationInfo:
    if fmt == "pagerduty" and isinstance(payload, dict) and service_name is None:
        found = find_integration(session, str(payload.get("routing_key") or ""), ("pagerduty",))
        if found is None:
            raise Invalid("the routing_key matches no PagerDuty integration; name a --service to explain against")
        return found
    if service_name is None:
        raise Invalid(f"this looks like a {fmt} payload; name the service whose integration receives it")
    service = session.execute(select(Service).where(Service.name == service_name,
                                                    Service.archived_at.is_(None))).scalar_one_or_none()
    if service is None:
        raise Invalid(f"unknown service {service_name!r}")
    integration = session.execute(select(Integration).where(
        Integration.service_id == service.id, Integration.type == fmt, Integration.archived_at.is_(None))
        .order_by(Integration.name).limit(1)).scalar_one_or_none()
    if integration is None:
        raise Invalid(f"service {service_name} has no {fmt} integration")
    return integration


def _parse(fmt: str, payload: Any, integration: Integration | IntegrationInfo) -> list[Event]:
    if fmt == "pagerduty":
        return [parse_event(payload, generated_dedup_key="(generated on receipt)")[1]]
    if fmt in ("alertmanager", "grafana"):
        return parse_message(payload, flavour=fmt)
    return [parse_webhook(payload, (integration.settings or {}).get("mapping") or {"summary": "summary"})]


def explain(db: Database, payload: Any, *, service: str | None, fmt: str | None, now: datetime) -> Explanation:
    """What ingesting `payload` through `service`'s integration of format `fmt` (detected when None)
    would do now. Raises Invalid for an unknown format, service or integration and for a payload
    the format refuses."""
    fmt = fmt or detect_format(payload)
    if fmt not in FORMATS:
        raise Invalid(f"unknown format {fmt!r}")
    with db.unit_of_work(write=True) as session:
        try:
            integration = _integration(session, payload, service, fmt)
            try:
                events = _parse(fmt, payload, integration)
            except PayloadError as exc:
                raise Invalid(f"{exc.message}: {'; '.join(exc.errors)}") from None
            outcomes = ingest(session, integration, events, now, raw=payload)
            home = session.get(Service, integration.service_id)
            return Explanation(format=fmt, service=home.name if home else "?", integration=integration.name,
                               outcomes=outcomes)
        finally:
            session.rollback()
