"""What the status page console shows, read from the status page domain: the page's overall status and
components, its public incidents and maintenances, one of them with its updates, the panel on an
internal incident's page, and "what subscribers will receive" for a change not yet made.

The preview runs the very use case the form would run, in a transaction that is always rolled back:
the domain's own notice producers (run just before a commit) write the notices they would queue,
and each is rendered by the subscriptions sender's code (subscriptions/mail.py: the mail's subject
and words from its templates; words.py: the webhook body). Nothing is sent and nothing stays."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core.message_text import utc_text
from firebell.core.statuspage.rollup import ComponentStatus
from firebell.core.statuspage.states import ACTIVE_MAINTENANCE, UNRESOLVED, IncidentStatus, MaintenanceStatus
from firebell.errors import Forbidden, Invalid, NotFound
from firebell.incidents import queries
from firebell.incidents.models import Incident, IncidentService
from firebell.org.models import Service
from firebell.statuspage import resolutions, service
from firebell.statuspage.models import (
    PublicIncident,
    PublicIncidentLink,
    PublicIncidentUpdate,
    StatusComponent,
    StatusPage,
)
from firebell.statuspage.public import public_documents
from firebell.statuspage.subscriptions import mail, words
from firebell.statuspage.subscriptions.models import StatusDelivery, StatusNotice, StatusSubscriber
from firebell.store.hooks import run_before_commit
from firebell.store.uow import Database

COMPONENT_STATUSES = [s.value for s in ComponentStatus]
OPEN_STATUSES = [s.value for s in IncidentStatus if s in UNRESOLVED]  # in their order, for the form
UPDATE_STATUSES = [s.value for s in IncidentStatus]
RECENT = 10
UNSUBSCRIBE_SHOWN = "(each subscriber's own signed unsubscribe link)"


@dataclass(frozen=True)
class ComponentRow:
    id: str
    name: str
    status: str
    source: str
    is_group: bool
    in_group: bool


@dataclass
class Overview:
    page: StatusPage
    indicator: str
    description: str
    components: list[ComponentRow]
    active: list[PublicIncident]
    drafts: list[PublicIncident]
    recent: list[PublicIncident]
    maintenances: list[PublicIncident]
    past_maintenances: list[PublicIncident]
    names: dict[str, str]  # component id -> name


def human(status: str) -> str:
    return words.human(status)


def overview(session: Session, actor: Actor, now: datetime) -> Overview:
    """Editors and admins only (403 for others, 404 without a page), as the API answers."""
    page = service.require_editor(session, actor)
    docs = public_documents(session, now)
    assert docs is not None
    status = docs["summary"]["status"]
    rows = [ComponentRow(c["id"], c["name"], c["status"], "", c["group"], c["group_id"] is not None)
            for c in docs["summary"]["components"]]
    sources = dict(session.execute(select(StatusComponent.id, StatusComponent.status_source)).all())
    rows = [ComponentRow(r.id, r.name, r.status, "" if r.is_group else sources.get(r.id, ""), r.is_group, r.in_group)
            for r in rows]
    incidents = list(session.scalars(select(PublicIncident).where(PublicIncident.kind == "incident")
                                     .order_by(PublicIncident.created_at.desc()).limit(200)))
    open_ = [i for i in incidents if i.status in OPEN_STATUSES]
    upcoming = [MaintenanceStatus.SCHEDULED.value, *(s.value for s in ACTIVE_MAINTENANCE)]
    maintenances = list(session.scalars(select(PublicIncident).where(PublicIncident.kind == "maintenance")
                                        .order_by(PublicIncident.scheduled_for.desc()).limit(200)))
    return Overview(page=page, indicator=status["indicator"], description=status["description"], components=rows,
                    active=[i for i in open_ if not i.draft], drafts=[i for i in open_ if i.draft],
                    recent=[i for i in incidents if i.status not in OPEN_STATUSES][:RECENT],
                    maintenances=sorted((m for m in maintenances if m.status in upcoming),
                                        key=lambda m: m.scheduled_for or m.created_at),
                    past_maintenances=[m for m in maintenances if m.status not in upcoming][:RECENT],
                    names={r.id: r.name for r in rows})


@dataclass
class Detail:
    page: StatusPage
    public: PublicIncident
    updates: list[PublicIncidentUpdate]
    components: list[ComponentRow]  # every settable component, for the update form
    names: dict[str, str]
    affected: list[str]  # the names of the components it affects
    linked: list[str]  # INC-n of the internal incidents it speaks for (those the actor may see)
    proposed: str | None = None  # the resolved update the severity policy proposed, waiting to be published


def settable_components(session: Session) -> list[ComponentRow]:
    rows = service.components(session)
    return [ComponentRow(r.id, r.name, r.status, r.status_source, False, r.group_id is not None)
            for r in rows if not r.is_group]


def detail(session: Session, actor: Actor, public_id: str, kind: str) -> Detail:
    page = service.require_editor(session, actor)
    public = session.get(PublicIncident, public_id)
    if public is None or public.kind != kind:
        raise NotFound(f"public {kind} {public_id} not found")
    updates = list(session.scalars(select(PublicIncidentUpdate)
                                   .where(PublicIncidentUpdate.public_incident_id == public.id)
                                   .order_by(PublicIncidentUpdate.created_at.desc(), PublicIncidentUpdate.id)))
    components = settable_components(session)
    linked = session.scalars(select(Incident).join(PublicIncidentLink, PublicIncidentLink.incident_id == Incident.id)
                             .where(PublicIncidentLink.public_incident_id == public.id, Incident.private.is_(False))
                             .order_by(Incident.number))
    names = {c.id: c.name for c in service.components(session)}
    return Detail(page=page, public=public, updates=updates, components=components, names=names,
                  affected=[names[cid] for cid in public.components if cid in names], linked=[i.ref for i in linked],
                  proposed=proposal.body if (proposal := resolutions.waiting(session, public.id)) else None)


# ---- the form's values ------------------------------------------------------------------------------

class Typed(dict[str, Any]):
    """What a form was filled with; a field never typed reads as None (the templates are strict)."""

    def __missing__(self, key: str) -> None:
        return None


def component_choices(given: list[str] | None) -> dict[str, ComponentStatus]:
    """The form's `components` fields, each "<component id>:<status>" ("" for not affected)."""
    chosen: dict[str, ComponentStatus] = {}
    for value in given or []:
        ref, _, status = value.partition(":")
        if not ref or not status:
            continue
        if status not in COMPONENT_STATUSES:
            raise Invalid(f"{status!r} is not a component status")
        chosen[ref] = ComponentStatus(status)
    return chosen


def incident_refs(text: str) -> list[str]:
    """"INC-7, INC-9" (or spaces) -> ["INC-7", "INC-9"]."""
    return [part for part in text.replace(",", " ").split() if part]


def local_time(text: str, zone: str, what: str) -> datetime:
    """A datetime-local field's value, read in the page's time zone."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid(f"the {what} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    return naive.replace(tzinfo=ZoneInfo(zone)) if naive.tzinfo is None else naive


def local_field(at: datetime | None, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if at is not None else ""


def local_text(at: datetime | None, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z") if at is not None else ""


# ---- the internal incident's panel ----------------------------------------------------------------

@dataclass
class Panel:
    linked: list[PublicIncident]
    may_open: bool
    private: bool
    components: list[str] = field(default_factory=list)  # names the incident's services point at


def panel(session: Session, actor: Actor, incident_id: str, private: bool) -> Panel | None:
    """None when there is no status page."""
    try:
        service.page(session)
    except NotFound:
        return None
    try:
        service.require_editor(session, actor)
        may_open = True
    except Forbidden:
        may_open = False
    names = session.scalars(select(Service.status_page_component).join(
        IncidentService, IncidentService.service_id == Service.id).where(
        IncidentService.incident_id == incident_id, Service.status_page_component.is_not(None)))
    known = {c.name for c in service.components(session) if not c.is_group}
    return Panel(linked=service.linked_public_incidents(session, incident_id), may_open=may_open,
                 private=private, components=sorted({n for n in names if n in known}))


def prefill(session: Session, actor: Actor, ref: str) -> dict[str, Any]:
    """The open form for an internal incident: its services' components at the status its severity's
    policy sets (partial outage without one), linked to it; never its title."""
    incident = queries.find(session, actor, ref)
    page = service.page(session)
    status = next((str(p.get("component_status")) for p in page.severities or []
                   if p.get("severity") == incident.severity and p.get("component_status")), "partial_outage")
    shown = panel(session, actor, incident.id, incident.private)
    by_name = {c.name: c.id for c in service.components(session)}
    return {"incidents": incident.ref,
            "components": {by_name[name]: status for name in (shown.components if shown else [])}}


# ---- what subscribers will receive -------------------------------------------------------------------

@dataclass(frozen=True)
class NoticePreview:
    kind: str
    event: str
    subject: str
    mail_text: str
    webhook_json: str
    receivers: dict[str, int]  # mode -> how many subscribers it would go to now


class _RolledBack(Exception):
    def __init__(self, previews: list[NoticePreview]) -> None:
        self.previews = previews


def preview(db: Database, use_case: Callable[[Session], object], now: datetime, public_url: str
            ) -> list[NoticePreview]:
    """Run `use_case` and the notice producers a commit would run, render each notice they queued,
    and roll it all back. Errors of the use case (Invalid, Forbidden...) reach the caller."""
    try:
        with db.unit_of_work() as session:
            before = set(session.scalars(select(StatusNotice.id).where(StatusNotice.created_at >= now)))
            use_case(session)
            run_before_commit(session)
            session.flush()
            made = [n for n in session.scalars(select(StatusNotice).where(StatusNotice.created_at >= now)
                                               .order_by(StatusNotice.key)) if n.id not in before]
            raise _RolledBack([_rendered(session, n, public_url) for n in made])
    except _RolledBack as done:
        return done.previews


def _rendered(session: Session, stored: StatusNotice, public_url: str) -> NoticePreview:
    notice = stored.notice
    page_name = str(notice.get("page_name") or "the status page")  # as the sender names it
    body = words.webhook_body(notice, UNSUBSCRIBE_SHOWN, f"{public_url}/subscribe")
    receivers = dict(session.execute(
        select(StatusSubscriber.mode, func.count())
        .join(StatusDelivery, StatusDelivery.subscriber_id == StatusSubscriber.id)
        .where(StatusDelivery.notice_id == stored.id).group_by(StatusSubscriber.mode)).all())
    written = mail.notice_mail(session, notice, utc_text(stored.created_at))  # what the sender's templates say
    return NoticePreview(kind=str(notice.get("kind", "")), event=str(notice.get("event", "")),
                         subject=written.subject, mail_text=words.mail_text(written.text, page_name, UNSUBSCRIBE_SHOWN),
                         webhook_json=json.dumps(body, indent=2, ensure_ascii=False), receivers=receivers)


def default_window(now: datetime, zone: str) -> tuple[str, str]:
    """Tomorrow 22:00 to 23:00 in the page's zone: a sensible first guess for a maintenance form."""
    local = now.astimezone(ZoneInfo(zone)).replace(hour=22, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return local.strftime("%Y-%m-%dT%H:%M"), (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
