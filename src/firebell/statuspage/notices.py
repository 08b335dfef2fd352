"""Telling subscribers: every public change (an incident created, updated or resolved; a maintenance
scheduled, started or completed; a component's status changed) becomes one notice of the shape
SP_CONTRACT.md gives, queued for its subscribers (subscriptions/notify.queue_notices) in the same
transaction as the change, so the change and its deliveries commit together or not at all.

The services say what changed as they go; the notices are made just before the commit, once the
transaction's changes are all written, from the same public documents the page shows (so a notice
says what the page says, and the page's indicator is the one after every change of the
transaction). A draft tells no one, and neither does an update sent with deliver_notifications off,
nor a change the page's `notify` setting leaves out (core/statuspage/notices.py decides)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.statuspage import notices as choices
from firebell.statuspage.models import ComponentStatusEvent, PublicIncident, PublicIncidentUpdate, StatusComponent
from firebell.statuspage.public import PublicDocuments, live_page, public_documents
from firebell.statuspage.subscriptions.notify import queue_notices
from firebell.statuspage.wire import incident_object, iso
from firebell.store.hooks import before_commit
from firebell.store.txcache import per_transaction

_PENDING = "firebell.statuspage.notices"


@dataclass
class _Pending:
    now: datetime
    # (kind, event, the update) and (the component's status event), in the order they happened
    updates: list[tuple[str, str, PublicIncidentUpdate]] = field(default_factory=list)
    components: list[ComponentStatusEvent] = field(default_factory=list)


def _pending(session: Session, now: datetime) -> _Pending:
    def make() -> _Pending:
        found = _Pending(now)
        before_commit(session, lambda s: _queue(s, found))
        return found

    found = per_transaction(session, _PENDING, make)
    found.now = max(found.now, now)
    return found


def incident_update(session: Session, public: PublicIncident, update: PublicIncidentUpdate, event: str,
                    now: datetime) -> None:
    """`update` of a public incident or maintenance is news (`event`: created, updated, resolved,
    scheduled, rescheduled, started, completed), unless it is a draft's or sent quietly."""
    if public.draft or not update.deliver_notifications:
        return
    _pending(session, now).updates.append((public.kind, event, update))


def maintenance_update(session: Session, maintenance: PublicIncident, update: PublicIncidentUpdate,
                       now: datetime, *, rescheduled: bool = False) -> None:
    """A maintenance's update: news of what its status says, or of its new window."""
    event = choices.maintenance_event(update.status, rescheduled=rescheduled)
    if event is not None:
        incident_update(session, maintenance, update, event, now)


def component_changed(session: Session, change: ComponentStatusEvent, now: datetime) -> None:
    _pending(session, now).components.append(change)


def _queue(session: Session, pending: _Pending) -> None:
    if not pending.updates and not pending.components:
        return
    session.flush()
    docs = public_documents(session, pending.now, uptime=False)
    if docs is None:
        return
    base = _base(docs)
    page = live_page(session)
    choice = choices.from_stored(page.notify if page is not None else None)
    for kind, event, update in pending.updates:
        public = session.get(PublicIncident, update.public_incident_id)
        if public is None or public.draft or not choices.told(choice, kind, event):
            continue
        queue_notices(session, base | {
            "kind": kind, "event": event, "incident": _incident(session, docs, public),
            "component_update": None, "component": None, "component_ids": list(public.components),
            "key": f"{kind}:{update.id}"}, pending.now, choice)
    for change in pending.components:
        row = session.get(StatusComponent, change.component_id)
        if row is None or not choices.told(choice, "component", choices.COMPONENT_EVENT):
            continue
        queue_notices(session, base | {
            "kind": "component", "event": choices.COMPONENT_EVENT, "incident": None,
            "component_update": {"created_at": iso(change.at), "new_status": change.new_status,
                                 "old_status": change.old_status, "id": change.id, "component_id": row.id},
            "component": {"created_at": iso(row.created_at), "id": row.id, "name": row.name, "status": row.status},
            "component_ids": [row.id], "key": f"component:{change.id}"}, pending.now, choice)


def _base(docs: PublicDocuments) -> dict[str, Any]:
    summary = docs["summary"]
    page = summary["page"]
    return {"page": {"id": page["id"], "status_indicator": summary["status"]["indicator"],
                     "status_description": summary["status"]["description"]},
            "page_name": page["name"], "page_url": page["url"]}


def _incident(session: Session, docs: PublicDocuments, public: PublicIncident) -> dict[str, Any]:
    """The v2 object the page shows for it; made here for one too old to be among the documents."""
    for listed in (docs["summary"]["incidents"], docs["summary"]["scheduled_maintenances"], docs["history"],
                   docs["incidents"], docs["scheduled_maintenances"]):
        for obj in listed:
            if obj["id"] == public.id:
                return dict(obj)
    updates = list(session.scalars(select(PublicIncidentUpdate)
                                   .where(PublicIncidentUpdate.public_incident_id == public.id)
                                   .order_by(PublicIncidentUpdate.created_at.desc(), PublicIncidentUpdate.id)))
    page = live_page(session)
    assert page is not None
    return incident_object(public, updates, page, {c["id"]: c for c in docs["summary"]["components"]})
