"""Who an incident paged, how, and where each page stands: sent, delivered, failed, or pending
and why (a personal rule's delay, the person's night, bundling, a rate limit)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.api.deps import DB, CurrentActor
from firebell.api.problems import problem_responses
from firebell.incidents import queries
from firebell.notify.models import Notification
from firebell.org.models import User

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=problem_responses(401, 404, 422))


class PageOut(BaseModel):
    user: str | None
    target: str
    channel: str
    address: str
    kind: str
    level: int | None
    state: str  # pending, sending, sent, failed, cancelled
    waiting_because: str  # for pending pages: why they have not gone yet
    next_attempt_at: datetime | None
    attempts: int
    last_error: str
    delivery_status: str | None  # the provider's latest receipt
    bundle: str | None
    created_at: datetime
    sent_at: datetime | None


@router.get("/{ref}/pages", response_model=list[PageOut], summary="Pages sent for an incident, and pending ones")
def pages(ref: str, db: DB, actor: CurrentActor) -> list[PageOut]:
    with db.unit_of_work(write=False) as session:
        return pages_of(session, queries.find(session, actor, ref).id)


def pages_of(session: Session, incident_id: str) -> list[PageOut]:
    """Every page of the incident, oldest first (the API and the console's incident page)."""
    rows = session.execute(select(Notification, User.name).outerjoin(User, User.id == Notification.user_id)
                           .where(Notification.incident_id == incident_id)
                           .order_by(Notification.created_at, Notification.id)).all()
    return [PageOut(user=name, target=n.target, channel=n.channel, address=n.address, kind=n.kind,
                    level=n.level + 1 if n.level >= 0 else None, state=n.state,
                    waiting_because=n.held_reason if n.state == "pending" else "",
                    next_attempt_at=n.next_attempt_at if n.state == "pending" else None,
                    attempts=n.attempts, last_error=n.last_error, delivery_status=n.delivery_status,
                    bundle=n.bundle_id, created_at=n.created_at, sent_at=n.sent_at) for n, name in rows]
