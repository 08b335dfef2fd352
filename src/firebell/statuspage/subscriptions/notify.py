"""Queueing a notice for its subscribers (SP_CONTRACT.md): one delivery per confirmed subscriber that
wants it (core/status_subscriptions.wants), in the caller's transaction, so a public update and its
deliveries commit together. The notice itself is kept once (status_notices).

Idempotent: queueing the same `key` again adds deliveries only for subscribers that have none for it
(each delivery's key is unique per notice and subscriber), so a retried commit or a second producer
never sends anyone the same change twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from firebell.core import status_subscriptions as rules
from firebell.core.statuspage.notices import DEFAULT, NoticeChoice
from firebell.errors import Invalid
from firebell.statuspage.subscriptions.models import StatusDelivery, StatusNotice, StatusSubscriber
from firebell.store.base import new_id
from firebell.store.uow import due_after_commit

KINDS = ("incident", "maintenance", "component")
INSERT_BATCH = 2_000


def delivery_key(notice_key: str, subscriber_id: str) -> str:
    return f"{notice_key}:{subscriber_id}"


def queue_notices(session: Session, notice: Mapping[str, Any], now: datetime,
                  choice: NoticeChoice = DEFAULT) -> int:
    """How many deliveries were queued (0 for a key queued before, unless subscribers came since).
    `choice`: what the page tells (its `notify` setting); who does not hear of this gets nothing."""
    key, kind, event = str(notice.get("key") or ""), str(notice.get("kind") or ""), str(notice.get("event") or "")
    if not key or len(key) > 200:
        raise Invalid("a notice needs a key of at most 200 characters")
    if kind not in KINDS:
        raise Invalid(f"a notice's kind is one of {', '.join(KINDS)}")
    touched = [str(c) for c in notice.get("component_ids") or []]
    stored = session.execute(select(StatusNotice.id).where(StatusNotice.key == key)).scalar_one_or_none()
    if stored is None:
        stored = new_id()
        session.add(StatusNotice(id=stored, key=key, notice=dict(notice), created_at=now))
        session.flush()
    receivers = session.execute(
        select(StatusSubscriber.id, StatusSubscriber.mode, StatusSubscriber.component_ids)
        .where(StatusSubscriber.confirmed_at.is_not(None), StatusSubscriber.unsubscribed_at.is_(None),
               StatusSubscriber.quarantined_at.is_(None))).all()
    rows = [{"id": new_id(), "subscriber_id": subscriber_id, "notice_id": stored, "notice_key": key,
             "idempotency_key": delivery_key(key, subscriber_id), "payload": {}, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now, "last_error": ""}
            for subscriber_id, mode, components in receivers
            if rules.wants(mode, components, kind, event, touched, choice)]
    queued = 0
    dialect = session.get_bind().dialect.name
    for start in range(0, len(rows), INSERT_BATCH):
        chunk = rows[start:start + INSERT_BATCH]
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StatusDelivery)
        result = session.execute(insert.on_conflict_do_nothing(index_elements=["idempotency_key"])
                                 .returning(StatusDelivery.id), chunk)
        queued += len(result.all())
    if queued:
        due_after_commit(session)
    return queued
