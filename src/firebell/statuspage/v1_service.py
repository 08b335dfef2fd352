"""What the management API (Statuspage v1) does beyond the comms lead's use cases in service.py:
components and groups made, changed and removed through the API, deleting a public incident, and
its post-mortem.

The configuration tree stays the source of the components it declares: the API may set their status
(an operator's script or a monitor does), but their name, description, place and existence belong to
the tree, so changing them here is a 409 that says where to change them. Components the API made are
its own (`managed_by` "api"), and `config apply` leaves them alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core.statuspage.rollup import ComponentStatus
from firebell.core.statuspage.states import IncidentStatus
from firebell.errors import Conflict, Invalid, NotFound
from firebell.statuspage import service, silences
from firebell.statuspage.models import (
    ComponentStatusEvent,
    MaintenanceSilence,
    ProposedResolution,
    PublicIncident,
    PublicIncidentLink,
    PublicIncidentUpdate,
    StatusComponent,
)

_LAYOUT = ("name", "description", "showcase", "only_show_if_degraded", "start_date", "group_id")


def _own(row: StatusComponent, asked: Mapping[str, Any]) -> None:
    changing = [name for name in _LAYOUT if name in asked and asked[name] != _value(row, name)]
    if row.managed_by != "api" and changing:
        raise Conflict(f"component {row.name!r} is declared in the configuration (status_page:); change "
                       f"{', '.join(changing)} there. Through this API only its status can be set")


def _value(row: StatusComponent, name: str) -> Any:
    return {"description": row.description or None}.get(name, getattr(row, name))


def _group(session: Session, group_id: str | None) -> StatusComponent | None:
    if group_id is None:
        return None
    found = session.get(StatusComponent, group_id)
    if found is None or found.archived_at is not None or not found.is_group:
        raise Invalid(f"group_id {group_id!r} names no component group")
    return found


def _free_name(session: Session, name: str, but: str | None = None) -> str:
    name = name.strip()
    if not name:
        raise Invalid("a component needs a name")
    taken = session.scalars(select(StatusComponent).where(StatusComponent.name == name)).first()
    if taken is not None and taken.id != but:
        raise Conflict(f"a component named {name!r} exists already")
    return name


def create_component(session: Session, actor: Actor, fields: Mapping[str, Any], now: datetime, *,
                     group: bool = False) -> StatusComponent:
    service.require_editor(session, actor)
    status = ComponentStatus(fields.get("status") or "operational")
    parent = None if group else _group(session, fields.get("group_id"))
    row = StatusComponent(name=_free_name(session, fields.get("name") or ""),
                          description=fields.get("description") or "", is_group=group,
                          showcase=fields.get("showcase", True) is not False,
                          only_show_if_degraded=bool(fields.get("only_show_if_degraded")),
                          start_date=fields.get("start_date"), group_id=parent.id if parent else None,
                          position=_next_position(session), status=status.value, status_source="api",
                          created_at=now, updated_at=now, managed_by="api")
    session.add(row)
    session.flush()
    if not group:
        session.add(ComponentStatusEvent(component_id=row.id, old_status=None, new_status=status.value, source="api",
                                         at=now))
    service.touch(session, now)
    return row


def _next_position(session: Session) -> int:
    last = session.scalars(select(StatusComponent.position).order_by(StatusComponent.position.desc())).first()
    return (last or 0) + 1


def find_component(session: Session, component_id: str, *, group: bool = False) -> StatusComponent:
    found = session.get(StatusComponent, component_id)
    if found is None or found.archived_at is not None or found.is_group != group:
        raise NotFound(f"{'component group' if group else 'component'} {component_id} not found")
    return found


def change_component(session: Session, actor: Actor, component_id: str, fields: Mapping[str, Any],
                     now: datetime) -> StatusComponent:
    service.require_editor(session, actor)
    row = find_component(session, component_id)
    _own(row, fields)
    if "name" in fields and fields["name"] is not None:
        row.name = _free_name(session, fields["name"], but=row.id)
    if "description" in fields:
        row.description = fields["description"] or ""
    for name in ("showcase", "only_show_if_degraded"):
        if fields.get(name) is not None:
            setattr(row, name, fields[name])
    if "start_date" in fields:
        start: date | None = fields["start_date"]
        row.start_date = start
    if "group_id" in fields:
        parent = _group(session, fields["group_id"])
        row.group_id = parent.id if parent else None
    row.updated_at = now
    if fields.get("status"):
        service.record_status(session, row, ComponentStatus(fields["status"]), "api", now)
    service.touch(session, now)
    return row


def remove_component(session: Session, actor: Actor, component_id: str, now: datetime, *,
                     group: bool = False) -> StatusComponent:
    """Archived, not deleted: its history stays behind past incidents' updates."""
    service.require_editor(session, actor)
    row = find_component(session, component_id, group=group)
    if row.managed_by != "api":
        raise Conflict(f"{row.name!r} is declared in the configuration (status_page:); remove it there")
    row.archived_at = now
    if group:
        for child in session.scalars(select(StatusComponent).where(StatusComponent.group_id == row.id)):
            child.group_id = None
    service.touch(session, now)
    return row


def children(session: Session, group: StatusComponent) -> list[StatusComponent]:
    return list(session.scalars(select(StatusComponent).where(StatusComponent.group_id == group.id,
                                                              StatusComponent.archived_at.is_(None))
                                .order_by(StatusComponent.position, StatusComponent.name)))


def set_group_members(session: Session, group: StatusComponent, member_ids: list[str]) -> None:
    members = [_member(session, cid) for cid in dict.fromkeys(member_ids)]
    for member in members:
        if member.managed_by != "api" and member.group_id != group.id:
            raise Conflict(f"component {member.name!r} is declared in the configuration; group it there")
    for child in children(session, group):
        if child.id not in member_ids:
            if child.managed_by != "api":
                raise Conflict(f"component {child.name!r} is declared in the configuration; ungroup it there")
            child.group_id = None
    for member in members:
        member.group_id = group.id


def _member(session: Session, component_id: str) -> StatusComponent:
    """A 422 for a member that is not there: a 404 would tell a Terraform provider the group is gone."""
    try:
        return find_component(session, component_id)
    except NotFound:
        raise Invalid(f"component_group.components: there is no component {component_id[:80]!r}") from None


def change_group(session: Session, actor: Actor, group_id: str, fields: Mapping[str, Any],
                 now: datetime) -> StatusComponent:
    service.require_editor(session, actor)
    group = find_component(session, group_id, group=True)
    _own(group, {k: v for k, v in fields.items() if k in ("name", "description")})
    if fields.get("name") is not None:
        group.name = _free_name(session, fields["name"], but=group.id)
    if "description" in fields:
        group.description = fields["description"] or ""
    if fields.get("components") is not None:
        set_group_members(session, group, list(fields["components"]))
    group.updated_at = now
    service.touch(session, now)
    return group


def delete_incident(session: Session, actor: Actor, public_id: str, now: datetime) -> None:
    """Gone from the page and its history, as Statuspage's delete does; the component changes it made
    stay in the components' history (the uptime bars are about the components, not the incident). A
    maintenance's paging silences end with it, as when it is called off (they stay as alerts' history);
    a resolved update waiting for the comms lead goes with the incident."""
    service.require_editor(session, actor)
    public = session.get(PublicIncident, public_id)
    if public is None:
        raise NotFound(f"incident {public_id} not found")
    silences.end(session, actor, public, now)
    session.execute(delete(MaintenanceSilence).where(MaintenanceSilence.maintenance_id == public_id))
    session.execute(delete(ProposedResolution).where(ProposedResolution.public_incident_id == public_id))
    session.execute(delete(PublicIncidentUpdate).where(PublicIncidentUpdate.public_incident_id == public_id))
    session.execute(delete(PublicIncidentLink).where(PublicIncidentLink.public_incident_id == public_id))
    session.delete(public)
    service.touch(session, now)


def write_postmortem(session: Session, actor: Actor, public_id: str, body: str | None, publish: bool,
                     notify: bool, now: datetime) -> PublicIncident:
    """Saves the post-mortem's text; publishing shows it and moves a resolved incident to `postmortem`."""
    service.require_editor(session, actor)
    public = service.find_incident(session, public_id)
    if body is not None:
        public.postmortem_body = body
    if publish:
        if not public.postmortem_body:
            raise Invalid("there is no post-mortem body to publish")
        if public.status not in (IncidentStatus.RESOLVED.value, IncidentStatus.POSTMORTEM.value):
            raise Conflict("publish a post-mortem once the incident is resolved")
        public.postmortem_published_at = now
        if public.status != IncidentStatus.POSTMORTEM.value:
            service.update_incident(session, actor, public_id, service.IncidentChange(
                IncidentStatus.POSTMORTEM, "A post-mortem has been published.", deliver_notifications=notify), now)
    public.updated_at = now
    service.touch(session, now)
    return public
