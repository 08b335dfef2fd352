"""The customer email under /api/v1/incidents/{ref}/customer-email: draft, read, preview per customer,
approve (which sends it) and discard. Each handler is one unit of work around messages/customer_email.py."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.problems import problem_responses
from firebell.errors import NotFound
from firebell.incidents.models import Incident
from firebell.messages import customer_email as service
from firebell.messages.customer_models import CustomerEmailDraft
from firebell.org.models import User

_PATH = "/api/v1/incidents/{ref}/customer-email"
router = APIRouter(tags=["customer email"], responses=problem_responses(401, 403, 404, 409, 422))


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DraftIn(_Input):
    """The report's words; a field left out keeps the draft's (a new draft: the incident's summary and impact)."""

    summary: str | None = Field(default=None, max_length=service.MAX_FIELD)
    impact: str | None = Field(default=None, max_length=service.MAX_FIELD)
    root_cause: str | None = Field(default=None, max_length=service.MAX_FIELD)
    remediation: str | None = Field(default=None, max_length=service.MAX_FIELD)
    prevention: str | None = Field(default=None, max_length=service.MAX_FIELD)


class ApproveIn(_Input):
    override_private: bool = Field(default=False, description="Send it although the incident is private "
                                                              "(recorded on the timeline)")


class DiscardIn(_Input):
    reason: str = Field(default="", max_length=500)


class CustomerOut(BaseModel):
    service: str
    name: str
    email: str


class DraftOut(BaseModel):
    incident: str
    id: str
    state: str  # draft, sent, discarded
    summary: str
    impact: str
    root_cause: str
    remediation: str
    prevention: str
    written_by: str
    approved_by: str | None
    approval: str | None  # the severity's policy: second_person, single_person; None: not allowed now
    override_private: bool
    recipients: list[CustomerOut]  # an open draft: who it would reach now; a sent one: who it reached
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class PreviewOut(BaseModel):
    name: str
    email: str
    subject: str
    text: str
    fell_back: list[str]


class PreviewsOut(BaseModel):
    incident: str
    draft: str
    previews: list[PreviewOut]


def draft_out(session: Session, incident: Incident, draft: CustomerEmailDraft) -> DraftOut:
    approver = session.get(User, draft.approved_by_id) if draft.approved_by_id else None
    approved_by = (approver.full_name or approver.name) if approver else None
    policy = next((p for p in service.policies(session) if p.severity == incident.severity), None)
    if draft.state == "draft":
        recipients = [CustomerOut(service=c.service, name=c.name, email=c.email)
                      for c in service.customers_of(session, incident)]
    else:
        recipients = [CustomerOut.model_validate(r) for r in draft.recipients or []]
    return DraftOut(incident=incident.ref, id=draft.id, state=draft.state, summary=draft.summary, impact=draft.impact,
                    root_cause=draft.root_cause, remediation=draft.remediation, prevention=draft.prevention,
                    written_by=draft.written_by, approved_by=approved_by,
                    approval=policy.approval.value if policy else None, override_private=draft.override_private,
                    recipients=recipients, created_at=draft.created_at, updated_at=draft.updated_at,
                    sent_at=draft.sent_at)


def _incident_of(session: Session, draft: CustomerEmailDraft) -> Incident:
    incident = session.get(Incident, draft.incident_id)
    assert incident is not None  # the draft's foreign key
    return incident


def _public_url(request: Request) -> str:
    return str(getattr(request.app.state.channels, "public_url", "")).rstrip("/")


@router.get(_PATH, response_model=DraftOut, summary="The incident's customer email: the open draft, else the last")
def show(ref: str, db: DB, actor: CurrentActor) -> DraftOut:
    with db.unit_of_work(write=False) as session:
        incident, draft = service.find(session, actor, ref)
        if draft is None:
            raise NotFound(f"{incident.ref} has no customer email; draft one first")
        return draft_out(session, incident, draft)


@router.post(_PATH, response_model=DraftOut, summary="Write the customer email's draft (commander, "
             "communications lead or admin)")
def draft(ref: str, body: DraftIn, db: DB, actor: CurrentActor, now: Now) -> DraftOut:
    with db.unit_of_work() as session:
        written = service.save_draft(session, actor, ref, body.model_dump(), now())
        return draft_out(session, _incident_of(session, written), written)


@router.get(f"{_PATH}/preview", response_model=PreviewsOut, summary="The draft as each customer would receive it")
def preview(ref: str, request: Request, db: DB, actor: CurrentActor, now: Now) -> PreviewsOut:
    with db.unit_of_work(write=False) as session:
        incident, found, shown = service.preview(session, actor, ref, now(), public_url=_public_url(request))
        return PreviewsOut(incident=incident.ref, draft=found.id, previews=[
            PreviewOut(name=p.customer.name, email=p.customer.email, subject=p.subject, text=p.text,
                       fell_back=p.fell_back) for p in shown])


@router.post(f"{_PATH}/approve", response_model=DraftOut, summary="Approve the draft, which sends it: one mail "
             "per customer (a second person, unless the severity's policy lets one person send)")
def approve(ref: str, request: Request, db: DB, actor: CurrentActor, now: Now,
            body: ApproveIn | None = None) -> DraftOut:
    override = body.override_private if body else False
    with db.unit_of_work() as session:
        sent = service.approve(session, actor, ref, now(), override_private=override, public_url=_public_url(request))
        return draft_out(session, _incident_of(session, sent), sent)


@router.post(f"{_PATH}/discard", response_model=DraftOut, summary="Discard the open draft")
def discard(ref: str, db: DB, actor: CurrentActor, now: Now, body: DiscardIn | None = None) -> DraftOut:
    with db.unit_of_work() as session:
        dropped = service.discard(session, actor, ref, now(), body.reason if body else "")
        return draft_out(session, _incident_of(session, dropped), dropped)
