"""What config apply writes to this domain's tables (the `status_page:` section): the page and its
components. The writers are made per apply, as a new component's first status event needs the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import object_session

from firebell.statuspage import live
from firebell.statuspage.models import PAGE_SLOT, ComponentStatusEvent, StatusComponent, StatusPage, public_id

Values = dict[str, Any]
Writer = Callable[[Any, Values, dict[str, dict[str, Any]]], None]


def _changed(page: StatusPage, now: datetime) -> None:
    """Readers and the export see the applied configuration once it commits (statuspage/live.py)."""
    session = object_session(page)
    if session is not None:
        live.changed_after_commit(session, now, page.export_dir)


def writers(now: datetime) -> dict[str, Writer]:
    def write_page(row: StatusPage, values: Values, rows: dict[str, dict[str, Any]]) -> None:
        if row.id is None:
            row.id = public_id()
        for name in ("name", "url", "time_zone", "export_dir"):
            setattr(row, name, values[name])
        row.editors = list(values["editors"])
        row.branding = dict(values["branding"])
        row.severities = [dict(entry) for entry in values["severities"]]
        row.notify = {group: dict(told) for group, told in values["notify"].items()}
        row.data_version = (row.data_version or 0) + 1
        row.updated_at = now
        _changed(row, now)

    def write_component(row: StatusComponent, values: Values, rows: dict[str, dict[str, Any]]) -> None:
        new = row.id is None
        if new:
            row.id = public_id()
            row.status, row.status_source, row.created_at = "operational", "manual", now
        for name in ("description", "position", "showcase", "only_show_if_degraded"):
            setattr(row, name, values[name])
        row.is_group = values["group"]
        row.managed_by = "config"  # one made through the management API and now in the tree is the tree's
        # Groups come before their components in the plan, so a new group already has its id.
        row.group_id = rows["status_component"][values["parent"]].id if values["parent"] else None
        row.updated_at = now
        session = object_session(row)
        if new and not row.is_group and session is not None:
            session.add(ComponentStatusEvent(component=row, old_status=None, new_status="operational",
                                             source="manual", at=now))
        page = rows.get("status_page", {}).get(PAGE_SLOT)
        if page is not None:
            page.data_version = (page.data_version or 0) + 1
            page.updated_at = now
            _changed(page, now)

    return {"status_page": write_page, "status_component": write_component}
