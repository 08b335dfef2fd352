"""The customer email of an incident (TenSafe "Customer Email Template (P1 Only)"): drafted by the
commander or communications lead from the `customer_email` template with the report's fields, previewed
per customer, approved by a second person (or by its writer where the severity's policy allows), then
sent one mail per customer through the outbox (messages/send.py). The rules are core/customer_email.py's;
this module loads the facts, writes the draft and its timeline events in the caller's transaction.

The API, the CLI (through the API) and the console all call these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.core import customer_email as rules
from firebell.core.access import can_act
from firebell.core.customer_email import Customer, DraftAction, DraftState, Policy
from firebell.core.timeline.messages import (
    CustomerEmailApproved,
    CustomerEmailDiscarded,
    CustomerEmailDrafted,
    CustomerEmailSent,
)
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.incidents import queries, timeline
from firebell.incidents import service as incidents
from firebell.incidents.models import Incident, IncidentService, RoleAssignment
from firebell.messages import context, render
from firebell.messages.customer_models import CustomerEmailDraft, CustomerEmailPolicy, CustomerRecipient
from firebell.messages.send import Audience, send
from firebell.org.models import Service

PURPOSE = "customer_email"
FIELDS = ("summary", "impact", "root_cause", "remediation", "prevention")
MAX_FIELD = 10_000


@dataclass(frozen=True)
class Preview:
    """The email one customer would receive."""

    customer: Customer
    subject: str
    text: str
    fell_back: list[str] = field(default_factory=list)  # parts of a configured template that failed


# --- reading the facts ---------------------------------------------------------------------------

def policies(session: Session) -> list[Policy]:
    return [Policy(row.severity, rules.Approval(row.approval))
            for row in session.scalars(select(CustomerEmailPolicy).order_by(CustomerEmailPolicy.severity))]


def _service_names(session: Session, incident: Incident) -> list[str]:
    return list(session.scalars(select(Service.name).join(IncidentService, IncidentService.service_id == Service.id)
                                .where(IncidentService.incident_id == incident.id).order_by(Service.name)))


def customers_of(session: Session, incident: Incident) -> list[Customer]:
    configured = [Customer(row.service, row.customer, row.email) for row in session.scalars(
        select(CustomerRecipient).order_by(CustomerRecipient.service, CustomerRecipient.customer))]
    return rules.recipients_for(_service_names(session, incident), configured)


def latest(session: Session, incident: Incident) -> CustomerEmailDraft | None:
    """The incident's open draft, else its most recent sent or discarded one."""
    found = list(session.scalars(select(CustomerEmailDraft).where(CustomerEmailDraft.incident_id == incident.id)
                                 .order_by(CustomerEmailDraft.created_at.desc(), CustomerEmailDraft.id.desc())))
    return next((d for d in found if d.state == DraftState.DRAFT), found[0] if found else None)


def _open_draft(session: Session, incident: Incident) -> CustomerEmailDraft:
    draft = latest(session, incident)
    if draft is None:
        raise NotFound(f"{incident.ref} has no customer email; draft one first")
    if draft.state != DraftState.DRAFT:
        rules.next_state(DraftState(draft.state), DraftAction.APPROVE, what=f"{incident.ref}'s customer email")
    return draft


def _check_writer(session: Session, actor: Actor, incident: Incident) -> None:
    held = session.scalars(select(RoleAssignment.role).where(RoleAssignment.incident_id == incident.id,
                                                             RoleAssignment.user_id == actor.user_id))
    refusal = rules.drafter_refusal(is_admin=actor.is_admin, roles_held=list(held), ref=incident.ref)
    if refusal:
        raise Forbidden(refusal)


@dataclass(frozen=True)
class Allowed:
    """What one person may do with the incident's customer email now, and why not (for the console)."""

    write: bool
    approve: bool
    why_not: str  # why they may not approve, "" when they may or there is nothing to approve


def allowed(session: Session, actor: Actor, incident: Incident, draft: CustomerEmailDraft | None) -> Allowed:
    if not can_act(actor.principal, queries.facts(incident)):
        return Allowed(False, False, "your access to this incident is view-only")
    try:
        policy = rules.policy_for(incident.severity, policies(session), ref=incident.ref)
    except Conflict as exc:
        return Allowed(False, False, exc.message)
    held = [r.role for r in incident.roles if r.user_id == actor.user_id]
    write = rules.drafter_refusal(is_admin=actor.is_admin, roles_held=held) is None
    if draft is None or draft.state != DraftState.DRAFT:
        return Allowed(write, False, "")
    why_not = rules.approver_refusal(policy, writer_id=draft.written_by_id, approver_id=actor.user_id) or ""
    return Allowed(write, not why_not, why_not)


# --- the use cases -------------------------------------------------------------------------------

def find(session: Session, actor: Actor, ref: str) -> tuple[Incident, CustomerEmailDraft | None]:
    incident = queries.find(session, actor, ref)
    return incident, latest(session, incident)


def prefilled(incident: Incident) -> dict[str, str]:
    """A new draft's words before anyone writes: what the incident already says."""
    return {"summary": incident.summary or incident.title, "impact": incident.impact or "", "root_cause": "",
            "remediation": "", "prevention": ""}


def save_draft(session: Session, actor: Actor, ref: str, words: Mapping[str, str | None], now: datetime) -> \
        CustomerEmailDraft:
    """Write the incident's draft (a new one, or the open one rewritten). Fields left out (None) keep
    what the draft has, or for a new draft what the incident says."""
    incident = incidents.for_change(session, actor, ref)  # locked: one open draft at a time
    _check_writer(session, actor, incident)
    rules.policy_for(incident.severity, policies(session), ref=incident.ref)
    for name, value in words.items():
        if name not in FIELDS:
            raise Invalid(f"unknown field {name!r}; the customer email has {', '.join(FIELDS)}")
        if value is not None and len(value) > MAX_FIELD:
            raise Invalid(f"{name}: at most {MAX_FIELD} characters")
    draft = latest(session, incident)
    revised = draft is not None and draft.state == DraftState.DRAFT
    if draft is None or not revised:
        draft = CustomerEmailDraft(incident_id=incident.id, state=DraftState.DRAFT.value, created_at=now,
                                   override_private=False, recipients=[], **prefilled(incident))
        session.add(draft)
    else:
        rules.next_state(DraftState(draft.state), DraftAction.EDIT)
    for name, value in words.items():
        if value is not None:
            setattr(draft, name, value.strip())
    draft.written_by_id = actor.user_id
    draft.written_by = actor.display_name or actor.user_name
    draft.updated_at = now
    session.flush()
    timeline.append(session, incident.id, CustomerEmailDrafted(
        draft=draft.id, recipients=len(customers_of(session, incident)), revised=revised), at=now, actor=actor)
    return draft


def _report(draft: CustomerEmailDraft) -> dict[str, str]:
    return {name: getattr(draft, name) or "" for name in FIELDS}


def _extra(draft: CustomerEmailDraft, customer: Customer) -> dict[str, Mapping[str, Any]]:
    return {"report": _report(draft), "recipient": {"name": customer.name, "email": customer.email}}


def _common(session: Session, incident: Incident, draft: CustomerEmailDraft, customers: list[Customer],
            now: datetime, public_url: str) -> dict[str, Any]:
    """One context for every customer (its incident's statements run once); only `recipient` differs."""
    return context.build(session, PURPOSE, incident, now, public_url=public_url, extra=_extra(draft, customers[0]))


def preview(session: Session, actor: Actor, ref: str, now: datetime, *, public_url: str = "") -> \
        tuple[Incident, CustomerEmailDraft, list[Preview]]:
    """The email as each customer would receive it, read-only: a configured template that fails is
    reported in the preview (`fell_back`) rather than recorded."""
    incident, draft = find(session, actor, ref)
    if draft is None:
        raise NotFound(f"{incident.ref} has no customer email; draft one first")
    found = render.overrides(session, PURPOSE, "email")
    shown = []
    customers = customers_of(session, incident)
    common = _common(session, incident, draft, customers, now, public_url) if customers else {}
    for customer in customers:
        values = common | {"recipient": _extra(draft, customer)["recipient"]}
        outcome = render.render(PURPOSE, "email", values, found, services=list(values["incident"]["services"]))
        shown.append(Preview(customer, outcome.rendered.subject, outcome.rendered.text,
                             [f"{part} ({source}): {error}" for part, source, error in outcome.fell_back]))
    return incident, draft, shown


def approve(session: Session, actor: Actor, ref: str, now: datetime, *, override_private: bool = False,
            public_url: str = "") -> CustomerEmailDraft:
    """Approve the open draft and send it: one mail per customer, queued in this transaction. Refused
    (nothing written) when the severity may not email customers, when the approver wrote the draft
    and the policy wants a second person, for a private incident without `override_private`, and when
    the incident's services have no customers."""
    incident = incidents.for_change(session, actor, ref)  # locked: one open draft at a time
    draft = _open_draft(session, incident)
    policy = rules.policy_for(incident.severity, policies(session), ref=incident.ref)
    refusal = rules.approver_refusal(policy, writer_id=draft.written_by_id, approver_id=actor.user_id)
    if refusal:
        raise Forbidden(refusal)
    rules.check_audience(private=incident.private, override_private=override_private, ref=incident.ref)
    customers = customers_of(session, incident)
    if not customers:
        raise Conflict(f"{incident.ref}'s services have no customers to email (config: customers.recipients)")
    draft.state = rules.next_state(DraftState(draft.state), DraftAction.APPROVE).value
    draft.approved_by_id, draft.approved_at = actor.user_id, now
    draft.override_private = incident.private and override_private
    timeline.append(session, incident.id, CustomerEmailApproved(
        draft=draft.id, approval=policy.approval.value, writer=draft.written_by,
        override_private=draft.override_private), at=now, actor=actor)
    common = _common(session, incident, draft, customers, now, public_url)  # inside the incident's lock: once
    for customer in customers:
        send(session, PURPOSE, incident, [Audience("email", customer.email, f"{customer.name} <{customer.email}>")],
             now, key=f"{PURPOSE}:{draft.id}", values=common | {"recipient": _extra(draft, customer)["recipient"]})
    draft.state = rules.next_state(DraftState(draft.state), DraftAction.SEND).value
    draft.sent_at, draft.updated_at = now, now
    draft.recipients = [{"service": c.service, "name": c.name, "email": c.email} for c in customers]
    timeline.append(session, incident.id, CustomerEmailSent(draft=draft.id, recipients=len(customers)), at=now,
                    actor=actor)
    return draft


def discard(session: Session, actor: Actor, ref: str, now: datetime, reason: str = "") -> CustomerEmailDraft:
    """Drop the open draft (those who may write it may drop it)."""
    incident = incidents.for_change(session, actor, ref)  # locked: one open draft at a time
    _check_writer(session, actor, incident)
    draft = _open_draft(session, incident)
    draft.state = rules.next_state(DraftState(draft.state), DraftAction.DISCARD).value
    draft.discarded_at, draft.updated_at = now, now
    timeline.append(session, incident.id, CustomerEmailDiscarded(draft=draft.id, reason=reason.strip()[:500]),
                    at=now, actor=actor)
    return draft
