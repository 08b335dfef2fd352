"""The customer email's rules (TenSafe "Customer Email Template (P1 Only)"): which severities may send
it, who may write it, who may approve it, and the state machine of a draft.

    draft --edit--> draft --approve--> approved --send--> sent
    draft --discard--> discarded

A draft is approved and sent in one transaction (messages/customer_email.py), so `approved` is seen
only inside it; it is a state of its own so that an approval and its sending stay two recorded facts.
Sent and discarded are final: a second email for the same incident is a new draft.

Four eyes: under the `second_person` policy (the default) whoever wrote the draft's words last cannot
approve them. A private incident's email needs an explicit override, which the approval records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from firebell.core.errors import Conflict

# The incident roles that write to customers (config's incident_roles, defaults.py): TenSafe's
# Communications Lead, and the commander who answers for the incident. Admins may too.
DRAFTING_ROLES = ("commander", "communications_lead")


class DraftState(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"
    DISCARDED = "discarded"


class DraftAction(StrEnum):
    EDIT = "edit"
    APPROVE = "approve"
    SEND = "send"
    DISCARD = "discard"


class Approval(StrEnum):
    SECOND_PERSON = "second_person"  # someone other than its writer approves it
    SINGLE_PERSON = "single_person"  # its writer may send it alone


# (from state, action) -> to state. Anything absent is refused.
TRANSITIONS: dict[tuple[DraftState, DraftAction], DraftState] = {
    (DraftState.DRAFT, DraftAction.EDIT): DraftState.DRAFT,
    (DraftState.DRAFT, DraftAction.APPROVE): DraftState.APPROVED,
    (DraftState.DRAFT, DraftAction.DISCARD): DraftState.DISCARDED,
    (DraftState.APPROVED, DraftAction.SEND): DraftState.SENT,
}
FINAL = frozenset({DraftState.SENT, DraftState.DISCARDED})

_REFUSALS: dict[DraftState, str] = {
    DraftState.APPROVED: "is approved and being sent",
    DraftState.SENT: "was already sent; draft a new one to say more",
    DraftState.DISCARDED: "was discarded; draft a new one",
}


def next_state(state: DraftState, action: DraftAction, *, what: str = "the customer email") -> DraftState:
    """The state after `action`, or Conflict saying why the draft's state refuses it."""
    target = TRANSITIONS.get((state, action))
    if target is None:
        if state is DraftState.DRAFT:
            raise Conflict(f"{what} is a draft: approve it before it is sent")
        raise Conflict(f"{what} {_REFUSALS[state]}")
    return target


def allowed_actions(state: DraftState) -> list[DraftAction]:
    return [action for (source, action) in TRANSITIONS if source == state]


@dataclass(frozen=True)
class Policy:
    """One severity's rule from the config tree's `customers.severities`."""

    severity: str
    approval: Approval = Approval.SECOND_PERSON


def policy_for(severity: str, policies: Iterable[Policy], *, ref: str = "the incident") -> Policy:
    """The severity's policy; Conflict when customers are never emailed about that severity."""
    found = {p.severity: p for p in policies}
    if severity in found:
        return found[severity]
    allowed = ", ".join(sorted(found)) or "no severity (customers.severities is empty)"
    raise Conflict(f"{ref} is {severity}: customers are emailed only for {allowed}")


def drafter_refusal(*, is_admin: bool, roles_held: Iterable[str], ref: str = "the incident") -> str | None:
    """Why this person may not write the customer email (None: they may). Only the incident's
    commander or communications lead, or an admin, writes to customers. (A refusal of who someone
    is, which the shell answers as forbidden.)"""
    if is_admin or set(roles_held) & set(DRAFTING_ROLES):
        return None
    return f"only {ref}'s commander or communications lead (or an admin) writes the customer email"


def approver_refusal(policy: Policy, *, writer_id: str, approver_id: str) -> str | None:
    """Why this person may not approve the draft (None: they may). Under `second_person` the
    approver is not the one who wrote the draft's words last."""
    if policy.approval is Approval.SECOND_PERSON and writer_id == approver_id:
        return (f"a second person must approve the customer email of a {policy.severity} incident; you wrote "
                "this draft, so someone else with access to the incident approves it")
    return None


def check_audience(*, private: bool, override_private: bool, ref: str = "the incident") -> None:
    """A private incident (a breach under investigation, say) is never told to customers by accident."""
    if private and not override_private:
        raise Conflict(f"{ref} is private: its customer email goes only with the explicit override "
                       "(override_private), which is recorded")


@dataclass(frozen=True)
class Customer:
    """A recipient from `customers.recipients`: the name after "Dear", and where the mail goes."""

    service: str
    name: str
    email: str


def recipients_for(services: Sequence[str], customers: Iterable[Customer]) -> list[Customer]:
    """The customers of the incident's services, one per address (the first service that names it
    wins), in the order of the services then as configured."""
    by_service: dict[str, list[Customer]] = {}
    for customer in customers:
        by_service.setdefault(customer.service, []).append(customer)
    out: list[Customer] = []
    seen: set[str] = set()
    for service in services:
        for customer in by_service.get(service, []):
            if customer.email.lower() not in seen:
                seen.add(customer.email.lower())
                out.append(customer)
    return out
