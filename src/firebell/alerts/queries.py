"""Reading alerts for people: the REST API and the console's pages ask the same questions here.

An alert of a private incident is as hidden as the incident: an outsider is told it does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts.models import Alert, AlertEvent, ChangeEvent
from firebell.core.instants import shifted
from firebell.core.link_templates import Link, alert_links, is_safe_href, merged_templates
from firebell.errors import NotFound
from firebell.incidents.models import Incident
from firebell.incidents.queries import visible_to
from firebell.org.models import Organisation, Service

ALERT_STATUSES = ("triggered", "acknowledged", "resolved")
CHANGES_SHOWN = 200
CHANGES_BEFORE = timedelta(hours=2)  # what `incident show` and the incident page look back over by default


@dataclass(frozen=True)
class AlertFilter:
    statuses: Sequence[str] = ()
    service: str | None = None
    severity: str | None = None
    incident_id: str | None = None
    search: str | None = None  # part of the summary or of the dedup key, any case


def visible(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    return or_(Alert.incident_id.is_(None), Alert.incident_id.in_(select(Incident.id).where(visible_to(actor))))


def _filtered(actor: Actor, where: AlertFilter) -> Select[Any]:
    query = select(Alert).where(visible(actor))
    if where.statuses:
        query = query.where(Alert.status.in_(list(where.statuses)))
    if where.service:
        query = query.where(Alert.service_id.in_(select(Service.id).where(Service.name == where.service)))
    if where.severity:
        query = query.where(Alert.severity == where.severity)
    if where.incident_id:
        query = query.where(Alert.incident_id == where.incident_id)
    if where.search and where.search.strip():
        text = where.search.strip()
        query = query.where(or_(Alert.summary.icontains(text, autoescape=True),
                                Alert.dedup_key.icontains(text, autoescape=True)))
    return query


def list_alerts(session: Session, actor: Actor, where: AlertFilter, *, limit: int, offset: int = 0) -> list[Alert]:
    """Alerts with the newest activity first (the id breaks ties, so pages never overlap)."""
    query = _filtered(actor, where).order_by(Alert.last_seen_at.desc(), Alert.id.desc()).limit(limit).offset(offset)
    return list(session.execute(query).scalars())


def find_alert(session: Session, actor: Actor, alert_id: str) -> Alert:
    """The alert, or NotFound alike when it does not exist and when `actor` may not see it."""
    try:
        alert = session.get(Alert, str(uuid.UUID(alert_id)))
    except ValueError:
        alert = None
    if alert is None or not session.execute(select(visible(actor)).where(Alert.id == alert.id)).scalar():
        raise NotFound(f"alert {alert_id} not found")
    return alert


def history(session: Session, alert_id: str) -> list[AlertEvent]:
    """Every event the alert received, oldest first."""
    return list(session.execute(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                .order_by(AlertEvent.id)).scalars())


def service_names(session: Session) -> dict[str, str]:
    return {sid: name for sid, name in session.execute(select(Service.id, Service.name))}


def incident_refs(session: Session, ids: set[str]) -> dict[str, str]:
    """Incident id -> INC-n."""
    if not ids:
        return {}
    return {i: f"INC-{n}" for i, n in session.execute(select(Incident.id, Incident.number).where(Incident.id.in_(ids)))}


def links_of(session: Session, alert: Alert) -> list[Link]:
    """What a person can click from the alert: the links it came with (source, runbook, dashboard,
    panel ...; http(s) only), then those the organisation's and its service's templates build from
    its labels (trace, logs)."""
    return links_by_alert(session, [alert])[alert.id]


def links_by_alert(session: Session, alerts: Sequence[Alert]) -> dict[str, list[Link]]:
    """`links_of` for many alerts at once (an incident's): the organisation and each service read once."""
    org = session.execute(select(Organisation).limit(1)).scalar_one_or_none()  # one per database
    service_ids = {a.service_id for a in alerts}
    services = {s.id: s for s in session.execute(select(Service).where(Service.id.in_(service_ids))).scalars()} \
        if service_ids else {}
    found = {}
    for alert in alerts:
        sent = [Link(text=link.get("text") or link["href"], href=link["href"]) for link in alert.links or []
                if isinstance(link.get("href"), str) and is_safe_href(link["href"])]
        service = services.get(alert.service_id)
        templates = merged_templates(org.links if org else {}, service.links if service else {})
        found[alert.id] = sent + alert_links(templates, alert.labels or {}, alert.annotations or {})
    return found


def changes_of(session: Session, service_ids: Sequence[str], since: datetime,
               until: datetime | None = None) -> list[ChangeEvent]:
    """The change events (deploys, config changes) of the services from `since` (to `until`),
    newest first."""
    query = select(ChangeEvent).where(ChangeEvent.service_id.in_(list(service_ids)), ChangeEvent.occurred_at >= since)
    if until is not None:
        query = query.where(ChangeEvent.occurred_at <= until)
    return list(session.execute(query.order_by(ChangeEvent.occurred_at.desc()).limit(CHANGES_SHOWN)).scalars())


def changes_around(session: Session, incident: Incident, before: timedelta = CHANGES_BEFORE) -> list[ChangeEvent]:
    """The changes to the incident's services in the `before` ahead of its detection and while it
    was open: the first suspects. ValueError when `before` reaches out of the accepted range."""
    since = shifted(incident.declared_at, -before)
    return changes_of(session, [s.service_id for s in incident.services], since, incident.resolved_at)
