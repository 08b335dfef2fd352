"""Statuspage's public v2 objects (wire-formats section 5.2), built from this domain's rows: exact
field names and enumerations, timestamps ISO 8601 with milliseconds and an offset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from firebell.core.statuspage.rollup import ComponentStatus
from firebell.statuspage.models import PublicIncident, PublicIncidentUpdate, StatusComponent, StatusPage

Obj = dict[str, Any]


def iso(at: datetime | None) -> str | None:
    """`2026-12-07T10:00:00.000Z`."""
    if at is None:
        return None
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _day(on: date | None) -> str | None:
    return None if on is None else on.isoformat()


def page_object(page: StatusPage) -> Obj:
    return {"id": page.id, "name": page.name, "url": page.url, "time_zone": page.time_zone,
            "updated_at": iso(page.updated_at)}


def component_object(row: StatusComponent, page_id: str, children: Sequence[StatusComponent] = (),
                     status: ComponentStatus | None = None) -> Obj:
    """A group's `status` is given (its worst child's) and it lists `components`, its children's ids."""
    obj: Obj = {"id": row.id, "name": row.name, "status": (status or ComponentStatus(row.status)).value,
                "created_at": iso(row.created_at), "updated_at": iso(row.updated_at), "position": row.position,
                "description": row.description or None, "showcase": row.showcase,
                "start_date": _day(row.start_date), "group_id": row.group_id, "page_id": page_id,
                "group": row.is_group, "only_show_if_degraded": row.only_show_if_degraded}
    if row.is_group:
        obj["components"] = [child.id for child in children]
    return obj


def update_object(update: PublicIncidentUpdate) -> Obj:
    return {"id": update.id, "status": update.status, "body": update.body, "incident_id": update.public_incident_id,
            "created_at": iso(update.created_at), "updated_at": iso(update.updated_at),
            "display_at": iso(update.display_at),
            "affected_components": [dict(entry) for entry in update.affected_components]
            if update.affected_components else None,
            "deliver_notifications": update.deliver_notifications, "custom_tweet": None, "tweet_id": None}


def _page_of(page: StatusPage, public: PublicIncident) -> str:
    """The incident's own page, where its link leads (the site's and the export's `incidents/<id>.html`):
    Statuspage's shortlink is a short address on its own host, which Firebell does not serve."""
    return f"{page.url.rstrip('/')}/incidents/{public.id}.html"


def incident_object(public: PublicIncident, updates: Sequence[PublicIncidentUpdate], page: StatusPage,
                    components: Mapping[str, Obj]) -> Obj:
    """A v2 incident, or a scheduled_maintenance (with scheduled_for and scheduled_until). `updates`
    newest first; `components`: component objects by id."""
    obj: Obj = {"id": public.id, "name": public.name, "status": public.status, "impact": public.impact,
                "created_at": iso(public.created_at), "updated_at": iso(public.updated_at),
                "monitoring_at": iso(public.monitoring_at), "resolved_at": iso(public.resolved_at),
                "started_at": iso(public.started_at), "shortlink": _page_of(page, public),
                "page_id": page.id, "incident_updates": [update_object(u) for u in updates],
                "components": [components[cid] for cid in public.components if cid in components]}
    if public.kind == "maintenance":
        obj["scheduled_for"] = iso(public.scheduled_for)
        obj["scheduled_until"] = iso(public.scheduled_until)
    return obj
