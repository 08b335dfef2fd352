"""Key rotation and the demo's listing of integration URLs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts import snapshot
from firebell.alerts.keys import generate_key, hash_key, key_prefix
from firebell.alerts.models import Integration
from firebell.audit.log import record
from firebell.errors import Conflict, Forbidden, NotFound
from firebell.org.models import Service

ENDPOINT = {"alertmanager": "/integrations/alertmanager/{key}", "pagerduty": "/v2/enqueue (routing_key={key})",
            "grafana": "/integrations/grafana/{key}", "webhook": "/integrations/webhook/{key}",
            "heartbeat": "/integrations/heartbeat/{key}"}


def _find(session: Session, service: str, name: str) -> Integration:
    integration = session.execute(
        select(Integration).join(Service, Service.id == Integration.service_id)
        .where(Service.name == service, Integration.name == name, Integration.archived_at.is_(None))
    ).scalar_one_or_none()
    if integration is None:
        raise NotFound(f"no integration {name!r} on service {service!r}")
    return integration


def rotate(session: Session, service: str, name: str, *, now: datetime, actor: str = "admin-cli") -> str:
    integration = _find(session, service, name)
    if integration.key_source != "generated":
        raise Conflict(f"the key of {service}/{name} comes from configuration ({integration.key_source}); "
                       "change it there")
    key = generate_key()
    integration.key_hash, integration.key_prefix = hash_key(key), key_prefix(key)
    snapshot.bump_version(session)  # servers cache integrations by key hash
    record(session, actor=actor, action="integration.rotate_key", subject=f"{service}/{name}",
           details={"prefix": integration.key_prefix}, now=now)
    return key


def rotate_as(session: Session, actor: Actor, service: str, name: str, *, now: datetime) -> str:
    """A person's rotation (the console's): admins only, like the CLI's, which needs the database."""
    if not actor.is_admin:
        raise Forbidden("only an admin can rotate an integration key")
    return rotate(session, service, name, now=now, actor=actor.label)


def rotate_all_generated(session: Session, *, now: datetime, actor: str) -> list[tuple[str, str, str, str]]:
    """(service, integration, type, key) for every generated-key integration, with fresh keys."""
    rows = session.execute(
        select(Integration, Service.name).join(Service, Service.id == Integration.service_id)
        .where(Integration.archived_at.is_(None), Integration.key_source == "generated")
        .order_by(Service.name, Integration.name)
    ).all()
    return [(service_name, i.name, i.type, rotate(session, service_name, i.name, now=now, actor=actor))
            for i, service_name in rows]
