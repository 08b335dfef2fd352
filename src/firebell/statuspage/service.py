"""The status page's use cases: set a component's status; open, update, publish and resolve a public
incident. Each runs inside the caller's unit of work and never commits.

Nothing internal crosses over: a public incident carries only the words given for it, and links to
internal incidents (never a private one) only so that their timelines say what the public was told.
Every change moves the page's `data_version`, against which the public documents are cached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core.access import AccessRole
from firebell.core.statuspage.policy import may_edit
from firebell.core.statuspage.rollup import ComponentStatus, Impact, impact_of, worst
from firebell.core.statuspage.states import UNRESOLVED, IncidentStatus, next_incident_status
from firebell.core.timeline.schema import Payload
from firebell.core.timeline.status_page import PublicIncidentOpened, PublicIncidentUpdated
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.incidents import queries
from firebell.incidents import timeline as incident_timeline
from firebell.incidents.models import Incident
from firebell.org.models import User
from firebell.statuspage import live, notices
from firebell.statuspage.models import (
    PAGE_SLOT,
    ComponentStatusEvent,
    PublicIncident,
    PublicIncidentLink,
    PublicIncidentUpdate,
    StatusComponent,
    StatusPage,
)
from firebell.statuspage.public import live_page

MAX_NAME = 200
MAX_BODY = 20_000
Source = str  # manual | incident | maintenance | api


@dataclass
class IncidentChange:
    """What an open or update asks for. `components`: component id or name -> new status."""

    status: IncidentStatus
    body: str = ""
    components: Mapping[str, ComponentStatus] = field(default_factory=dict)
    deliver_notifications: bool = True
    impact: Impact | None = None  # None: from the worst component status asked for


def page(session: Session) -> StatusPage:
    found = live_page(session)
    if found is None:
        raise NotFound("there is no status page; add a status_page: section to the configuration")
    return found


def touch(session: Session, now: datetime) -> None:
    """The public side changed: the page's documents are made again on their next read (in every
    process: statuspage/live.py) and exported again."""
    row = session.scalars(select(StatusPage).where(StatusPage.slot == PAGE_SLOT)).one_or_none()
    if row is not None:
        row.data_version = (row.data_version or 0) + 1
        row.updated_at = now
        # After the commit: this process's readers see it at once, and the export is written again.
        live.changed_after_commit(session, now, row.export_dir if row.archived_at is None else None)


def require_editor(session: Session, actor: Actor) -> StatusPage:
    """Admins and holders of the page's editor roles speak on the page; others are refused (403)."""
    found = page(session)
    user = session.get(User, actor.user_id)
    held = {link.role.name for link in user.role_links} if user is not None else set()
    if not may_edit(is_admin=actor.is_admin, is_viewer=actor.principal.role is AccessRole.VIEWER,
                    roles_held=held, editor_roles=set(found.editors or [])):
        roles = ", ".join(found.editors or []) or "none configured"
        raise Forbidden(f"only admins and the status page's editors (roles: {roles}) change the status page")
    return found


def components(session: Session) -> list[StatusComponent]:
    return list(session.scalars(select(StatusComponent).where(StatusComponent.archived_at.is_(None))
                                .order_by(StatusComponent.position, StatusComponent.name)))


def component(session: Session, ref: str) -> StatusComponent:
    """A component by its id or its name."""
    found = session.scalars(select(StatusComponent).where(
        StatusComponent.archived_at.is_(None),
        (StatusComponent.id == ref) | (StatusComponent.name == ref))).first()
    if found is None:
        raise NotFound(f"status page component {ref!r} not found")
    return found


def record_status(session: Session, row: StatusComponent, status: ComponentStatus, source: Source,
                  now: datetime, *, public_incident_id: str | None = None, notify: bool = True) -> str | None:
    """Set a component's status and keep the change; the old status, or None when it did not change.
    Its subscribers hear of it unless `notify` is off (an update sent with deliver_notifications off)."""
    if row.is_group:
        raise Invalid(f"{row.name} is a group; its status is its worst component's")
    old = row.status
    row.status_source = source
    if old == status.value:
        return None
    row.status = status.value
    row.updated_at = now
    change = ComponentStatusEvent(component_id=row.id, old_status=old, new_status=status.value, source=source,
                                  public_incident_id=public_incident_id, at=now)
    session.add(change)
    if notify:
        notices.component_changed(session, change, now)
    touch(session, now)
    return old


def set_component_status(session: Session, actor: Actor, ref: str, status: ComponentStatus, now: datetime,
                         *, source: Source = "manual") -> StatusComponent:
    require_editor(session, actor)
    row = component(session, ref)
    record_status(session, row, status, source, now)
    return row


def group_status(session: Session, group: StatusComponent) -> ComponentStatus:
    children = session.scalars(select(StatusComponent.status).where(
        StatusComponent.group_id == group.id, StatusComponent.archived_at.is_(None)))
    return worst(ComponentStatus(s) for s in children)


def _clean(value: str, what: str, limit: int, *, required: bool = False) -> str:
    text = value.strip()
    if required and not text:
        raise Invalid(f"the public incident needs a {what}")
    if len(text) > limit:
        raise Invalid(f"the {what} is {len(text)} characters; at most {limit}")
    return text


def _resolved_components(session: Session, asked: Mapping[str, ComponentStatus]) -> dict[str, tuple[StatusComponent,
                                                                                                   ComponentStatus]]:
    out = {}
    for ref, status in asked.items():
        row = component(session, ref)
        if row.is_group:
            raise Invalid(f"{row.name} is a group; set the status of its components")
        out[row.id] = (row, ComponentStatus(status))
    return out


def _linked_incidents(session: Session, actor: Actor | None, refs: list[str]) -> list[Incident]:
    """The internal incidents named, never a private one (refused), each once."""
    found: dict[str, Incident] = {}
    for ref in refs:
        if actor is not None:
            incident = queries.find(session, actor, ref)
        else:
            incident = session.get(Incident, ref) or _missing(ref)
        if incident.private:
            raise Conflict(f"{incident.ref} is private; a private incident is never linked to the status page")
        found[incident.id] = incident
    return list(found.values())


def _missing(ref: str) -> Incident:
    raise NotFound(f"incident {ref} not found")


def _tell_timelines(session: Session, public: PublicIncident, event: Payload, actor: Actor | None,
                    now: datetime) -> None:
    links = session.scalars(select(PublicIncidentLink.incident_id)
                            .where(PublicIncidentLink.public_incident_id == public.id))
    for incident_id in links:
        incident_timeline.append(session, incident_id, event, at=now, actor=actor)


def _apply_change(session: Session, public: PublicIncident, change: IncidentChange, now: datetime,
                  *, source: Source) -> list[dict[str, str]] | None:
    """Write the components' statuses (unless the incident is a draft) and return the update's
    affected_components, old and new."""
    affected = []
    for row, status in _resolved_components(session, change.components).values():
        old = row.status
        if not public.draft:
            record_status(session, row, status, source, now, public_incident_id=public.id,
                          notify=change.deliver_notifications)
        affected.append({"code": row.id, "name": row.name, "old_status": old, "new_status": status.value})
        if row.id not in public.components:
            public.components = [*public.components, row.id]
    return affected or None


def _add_update(session: Session, public: PublicIncident, change: IncidentChange, now: datetime,
                affected: list[dict[str, str]] | None) -> PublicIncidentUpdate:
    update = PublicIncidentUpdate(public_incident_id=public.id, status=change.status.value,
                                  body=_clean(change.body, "body", MAX_BODY), display_at=now, created_at=now,
                                  updated_at=now, affected_components=affected,
                                  deliver_notifications=change.deliver_notifications)
    session.add(update)
    return update


def _impact(change: IncidentChange) -> Impact:
    if change.impact is not None:
        return change.impact
    return impact_of(worst(change.components.values()))


def open_incident(session: Session, actor: Actor | None, name: str, change: IncidentChange, now: datetime, *,
                  incidents: list[str] | None = None, draft: bool = False, source: Source = "incident"
                  ) -> PublicIncident:
    """A new public incident. `actor` None: Firebell on its own account (the severity policy)."""
    if actor is not None:
        require_editor(session, actor)
    else:
        page(session)
    if change.status not in UNRESOLVED:
        raise Invalid("a public incident opens as investigating, identified or monitoring")
    linked = _linked_incidents(session, actor, incidents or [])
    public = PublicIncident(name=_clean(name, "name", MAX_NAME, required=True), kind="incident",
                            status=change.status.value, impact=_impact(change).value, draft=draft, components=[],
                            created_at=now, updated_at=now, started_at=now,
                            monitoring_at=now if change.status is IncidentStatus.MONITORING else None)
    session.add(public)
    session.flush()  # its id, for the links and the update
    for incident in linked:
        session.add(PublicIncidentLink(public_incident_id=public.id, incident_id=incident.id, linked_at=now))
    update = _add_update(session, public, change, now, _apply_change(session, public, change, now, source=source))
    notices.incident_update(session, public, update, "created", now)
    touch(session, now)
    session.flush()
    _tell_timelines(session, public, PublicIncidentOpened(public_incident=public.id, name=public.name,
                                                          status=public.status, draft=draft,
                                                          automatic=actor is None), actor, now)
    return public


def rename_incident(session: Session, public: PublicIncident, name: str, now: datetime) -> None:
    """A new public name, under the same rule as the first (trimmed, not blank, at most MAX_NAME)."""
    name = _clean(name, "name", MAX_NAME, required=True)
    if name != public.name:
        public.name, public.updated_at = name, now
        touch(session, now)


def find_incident(session: Session, public_id: str, *, kind: str = "incident") -> PublicIncident:
    found = session.get(PublicIncident, public_id, with_for_update=True)
    if found is None or found.kind != kind:
        raise NotFound(f"public {kind} {public_id} not found")
    return found


def update_incident(session: Session, actor: Actor | None, public_id: str, change: IncidentChange, now: datetime,
                    *, publish: bool = False, link: list[str] | None = None, source: Source = "incident"
                    ) -> PublicIncident:
    """A new update: its status, words and component statuses. `publish` shows a draft, and writes the
    component statuses its earlier updates asked for."""
    if actor is not None:
        require_editor(session, actor)
    public = find_incident(session, public_id)
    status = next_incident_status(IncidentStatus(public.status), change.status, ref=f"public incident {public.id}")
    published = publish and public.draft
    if published:
        public.draft = False
        _publish_earlier(session, public, now, source)
    linked = set(session.scalars(select(PublicIncidentLink.incident_id)
                                 .where(PublicIncidentLink.public_incident_id == public.id)))
    for incident in _linked_incidents(session, actor, link or []):
        if incident.id not in linked:
            session.add(PublicIncidentLink(public_incident_id=public.id, incident_id=incident.id, linked_at=now))
    affected = _apply_change(session, public, change, now, source=source)
    public.status = status.value
    if change.impact is not None:
        public.impact = change.impact.value
    elif change.components:  # a worse component status raises the impact; a better one leaves it
        public.impact = max(Impact(public.impact), _impact(change), key=list(Impact).index).value
    if status is IncidentStatus.MONITORING and public.monitoring_at is None:
        public.monitoring_at = now
    if status is IncidentStatus.RESOLVED:
        public.resolved_at = now
    elif status in UNRESOLVED:
        public.resolved_at = None
    public.updated_at = now
    update = _add_update(session, public, change, now, affected)
    event = "created" if published else "resolved" if status is IncidentStatus.RESOLVED else "updated"
    notices.incident_update(session, public, update, event, now)
    touch(session, now)
    session.flush()
    _tell_timelines(session, public, PublicIncidentUpdated(public_incident=public.id, name=public.name,
                                                           status=public.status, published=published), actor, now)
    return public


def _publish_earlier(session: Session, public: PublicIncident, now: datetime, source: Source) -> None:
    updates = session.scalars(select(PublicIncidentUpdate).where(PublicIncidentUpdate.public_incident_id == public.id)
                              .order_by(PublicIncidentUpdate.created_at))
    for update in updates:
        for entry in update.affected_components or []:
            row = session.get(StatusComponent, entry["code"])
            if row is not None and row.archived_at is None:
                record_status(session, row, ComponentStatus(entry["new_status"]), source, now,
                              public_incident_id=public.id)


def resolve_incident(session: Session, actor: Actor | None, public_id: str, now: datetime, *, body: str = "",
                     components: Mapping[str, ComponentStatus] | None = None) -> PublicIncident:
    """Resolved. Components not given go back to operational, except those another unresolved
    public incident still affects."""
    public = find_incident(session, public_id)
    if components is None:
        others = {cid for other in session.scalars(select(PublicIncident).where(
            PublicIncident.kind == "incident", PublicIncident.id != public.id, PublicIncident.draft.is_(False),
            PublicIncident.status.in_([s.value for s in UNRESOLVED]))) for cid in other.components}
        components = {cid: ComponentStatus.OPERATIONAL for cid in public.components
                      if cid not in others and session.get(StatusComponent, cid) is not None}
    change = IncidentChange(IncidentStatus.RESOLVED, body or "This incident has been resolved.", components)
    return update_incident(session, actor, public_id, change, now)


def linked_public_incidents(session: Session, incident_id: str) -> list[PublicIncident]:
    """The public incidents that speak for an internal incident (for the auto-open job and the console)."""
    return list(session.scalars(select(PublicIncident).join(
        PublicIncidentLink, PublicIncidentLink.public_incident_id == PublicIncident.id)
        .where(PublicIncidentLink.incident_id == incident_id)))
