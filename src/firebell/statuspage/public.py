"""The public side, as data: `public_documents` makes the one plain dict both the live JSON routes
and the static site are made from (the contract in docs/status-page.md, "PublicDocuments");
statuspage/live.py keeps it per process until the page's data changes.

Only published public incidents and maintenances are read here: drafts, links to internal incidents
and anything of the internal incidents never are."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from firebell.core.statuspage.rollup import ComponentStatus, Impact, description, indicator, worst
from firebell.core.statuspage.states import ACTIVE_MAINTENANCE, UNRESOLVED, MaintenanceStatus
from firebell.core.statuspage.uptime import DAYS, StatusChange, uptime
from firebell.statuspage.models import (
    PAGE_SLOT,
    ComponentStatusEvent,
    PublicIncident,
    PublicIncidentUpdate,
    StatusComponent,
    StatusPage,
)
from firebell.statuspage.wire import Obj, component_object, incident_object, page_object

PublicDocuments = dict[str, Any]
LISTED = 50  # incidents.json and scheduled-maintenances.json: the 50 most recent
DEFAULT_ACCENT = "#0b5fff"


def live_page(session: Session) -> StatusPage | None:
    return session.scalars(select(StatusPage).where(StatusPage.slot == PAGE_SLOT,
                                                    StatusPage.archived_at.is_(None))).one_or_none()


def _ordered_components(rows: list[StatusComponent]) -> list[tuple[StatusComponent, list[StatusComponent]]]:
    """Top-level components and groups by position, each group followed by its children."""
    def key(row: StatusComponent) -> tuple[int, str]:
        return row.position, row.name
    children: dict[str, list[StatusComponent]] = {}
    for row in rows:
        if row.group_id is not None:
            children.setdefault(row.group_id, []).append(row)
    out = []
    for row in sorted((r for r in rows if r.group_id is None), key=key):
        kids = sorted(children.get(row.id, []), key=key) if row.is_group else []
        out.append((row, kids))
        out.extend((kid, []) for kid in kids)
    return out


def public_documents(session: Session, now: datetime, *, uptime: bool = True) -> PublicDocuments | None:
    """Everything the public may see, as of `now`; None when no page is configured. `uptime` False
    leaves the 90-day bars out (`{}`), for readers that only want the rest (subscriber notices)."""
    page = live_page(session)
    if page is None:
        return None
    rows = list(session.scalars(select(StatusComponent).where(StatusComponent.archived_at.is_(None))))
    objects: dict[str, Obj] = {}
    listed = []
    for row, kids in _ordered_components(rows):
        status = worst(ComponentStatus(k.status) for k in kids) if row.is_group else None
        objects[row.id] = component_object(row, page.id, kids, status)
        listed.append(objects[row.id])
    published = list(session.scalars(select(PublicIncident).where(PublicIncident.draft.is_(False)).where(or_(
        PublicIncident.created_at >= now - timedelta(days=DAYS),
        PublicIncident.status.in_([*(s.value for s in UNRESOLVED), MaintenanceStatus.SCHEDULED.value,
                                   *(s.value for s in ACTIVE_MAINTENANCE)]),
        PublicIncident.id.in_(select(PublicIncident.id).order_by(PublicIncident.created_at.desc()).limit(2 * LISTED)),
    ))))
    updates: dict[str, list[PublicIncidentUpdate]] = {}
    if published:
        for update in session.scalars(select(PublicIncidentUpdate).where(
                PublicIncidentUpdate.public_incident_id.in_([p.id for p in published]))
                .order_by(PublicIncidentUpdate.created_at.desc(), PublicIncidentUpdate.id)):
            updates.setdefault(update.public_incident_id, []).append(update)
    made = {p.id: incident_object(p, updates.get(p.id, []), page, objects) for p in published}
    incidents = sorted((p for p in published if p.kind == "incident"), key=lambda p: p.created_at, reverse=True)
    maintenances = sorted((p for p in published if p.kind == "maintenance"),
                          key=lambda p: p.scheduled_for or p.created_at, reverse=True)
    unresolved = [p for p in incidents if p.status in UNRESOLVED]
    coming = [p for p in maintenances
              if p.status == MaintenanceStatus.SCHEDULED.value or p.status in ACTIVE_MAINTENANCE]
    active = any(p.status in ACTIVE_MAINTENANCE for p in maintenances)
    level = indicator([ComponentStatus(r.status) for r in rows if not r.is_group],
                      [Impact(p.impact) for p in unresolved], maintenance_active=active)
    horizon = now - timedelta(days=DAYS)
    history = sorted((p for p in published if p.started_at >= horizon or p.created_at >= horizon
                      or p.id in {u.id for u in unresolved} | {c.id for c in coming}),
                     key=lambda p: p.started_at, reverse=True)
    return {
        "summary": {"page": page_object(page), "status": {"indicator": level.value, "description": description(level)},
                    "components": listed, "incidents": [made[p.id] for p in unresolved],
                    "scheduled_maintenances": [made[p.id] for p in coming]},
        "incidents": [made[p.id] for p in incidents[:LISTED]],
        "scheduled_maintenances": [made[p.id] for p in maintenances[:LISTED]],
        "history": [made[p.id] for p in history],
        "uptime": _uptime(session, [r for r in rows if not r.is_group], ZoneInfo(page.time_zone), now)
        if uptime else {},
        "branding": _branding(page.branding or {}),
    }


def _uptime(session: Session, rows: list[StatusComponent], zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    changes: dict[str, list[StatusChange]] = {row.id: [] for row in rows}
    for event in session.scalars(select(ComponentStatusEvent).where(
            ComponentStatusEvent.component_id.in_(list(changes))).order_by(ComponentStatusEvent.at)):
        changes[event.component_id].append(StatusChange(event.at, ComponentStatus(event.new_status)))
    out = {}
    for cid, listed in changes.items():
        found = uptime(listed, zone, now)
        out[cid] = {"percent": found.percent, "days": [
            {"date": d.date.isoformat(), "worst": d.worst.value, "maintenance": d.maintenance} for d in found.days]}
    return out


def _branding(stored: dict[str, Any]) -> dict[str, Any]:
    return {"logo_url": stored.get("logo_url"), "accent": stored.get("accent") or DEFAULT_ACCENT,
            "custom_css": stored.get("custom_css"),
            "footer_links": [{"label": link["label"], "url": link["url"]} for link in stored.get("footer_links") or []],
            "support_url": stored.get("support_url")}


# --- the live JSON, cached -----------------------------------------------------------------------

# endpoint (under /api/v2/) -> the keys of its body, taken from the documents
_ENDPOINTS: dict[str, Callable[[PublicDocuments], dict[str, Any]]] = {
    "summary.json": lambda d: d["summary"],
    "status.json": lambda d: {"page": d["summary"]["page"], "status": d["summary"]["status"]},
    "components.json": lambda d: {"page": d["summary"]["page"], "components": d["summary"]["components"]},
    "incidents.json": lambda d: {"page": d["summary"]["page"], "incidents": d["incidents"]},
    "incidents/unresolved.json": lambda d: {"page": d["summary"]["page"], "incidents": d["summary"]["incidents"]},
    "scheduled-maintenances.json": lambda d: {"page": d["summary"]["page"],
                                              "scheduled_maintenances": d["scheduled_maintenances"]},
    "scheduled-maintenances/upcoming.json": lambda d: {
        "page": d["summary"]["page"],
        "scheduled_maintenances": [m for m in d["scheduled_maintenances"] if m["status"] == "scheduled"]},
    "scheduled-maintenances/active.json": lambda d: {
        "page": d["summary"]["page"],
        "scheduled_maintenances": [m for m in d["scheduled_maintenances"]
                                   if m["status"] in ("in_progress", "verifying")]},
}
ENDPOINTS: tuple[str, ...] = tuple(_ENDPOINTS)


@dataclass
class Rendered:
    """One version of the documents, and each endpoint's body serialised once, when first asked for."""

    documents: PublicDocuments
    _bodies: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def body(self, endpoint: str) -> bytes:
        found = self._bodies.get(endpoint)
        if found is None:
            found = json.dumps(_ENDPOINTS[endpoint](self.documents), separators=(",", ":")).encode()
            with self._lock:
                self._bodies[endpoint] = found
        return found
