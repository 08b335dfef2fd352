"""The customer email's rules: every (state, action) pair, any sequence of actions, four eyes, the
severity's policy, the private-incident override and who a mail goes to."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.customer_email import (
    FINAL,
    TRANSITIONS,
    Approval,
    Customer,
    DraftAction,
    DraftState,
    Policy,
    allowed_actions,
    approver_refusal,
    check_audience,
    drafter_refusal,
    next_state,
    policy_for,
    recipients_for,
)
from firebell.core.errors import Conflict
from tests.core.state_tables import reachable

ALLOWED = {
    (DraftState.DRAFT, DraftAction.EDIT): DraftState.DRAFT,
    (DraftState.DRAFT, DraftAction.APPROVE): DraftState.APPROVED,
    (DraftState.DRAFT, DraftAction.DISCARD): DraftState.DISCARDED,
    (DraftState.APPROVED, DraftAction.SEND): DraftState.SENT,
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(DraftState, DraftAction)))
def test_every_transition(state: DraftState, action: DraftAction) -> None:
    if (state, action) in ALLOWED:
        assert next_state(state, action) is ALLOWED[(state, action)]
        assert action in allowed_actions(state)
    else:
        with pytest.raises(Conflict) as refused:
            next_state(state, action, what="INC-3's customer email")
        assert refused.value.message.startswith("INC-3's customer email ")
        assert action not in allowed_actions(state)


def test_a_draft_reaches_sent_only_through_approval() -> None:
    assert reachable(TRANSITIONS, DraftState.DRAFT) == set(DraftState)
    without_approval = {k: v for k, v in TRANSITIONS.items() if k[1] is not DraftAction.APPROVE}
    assert DraftState.SENT not in reachable(without_approval, DraftState.DRAFT)
    assert all(not allowed_actions(state) for state in FINAL)


@given(st.lists(st.sampled_from(list(DraftAction)), max_size=30))
def test_any_sequence_sends_at_most_once_and_only_after_approval(actions: list[DraftAction]) -> None:
    state, approved, sent = DraftState.DRAFT, False, 0
    for action in actions:
        try:
            new = next_state(state, action)
        except Conflict:
            continue
        approved = approved or new is DraftState.APPROVED
        if new is DraftState.SENT:
            assert approved
            sent += 1
        if state in FINAL:
            pytest.fail(f"left the final state {state}")
        state = new
    assert sent <= 1


@given(st.sampled_from(["u1", "u2"]), st.sampled_from(["u1", "u2"]), st.sampled_from(list(Approval)))
def test_the_writer_approves_alone_only_where_the_policy_says_so(writer: str, approver: str,
                                                                  approval: Approval) -> None:
    refusal = approver_refusal(Policy("P1", approval), writer_id=writer, approver_id=approver)
    assert (refusal is not None) == (approval is Approval.SECOND_PERSON and writer == approver)


def test_who_writes_to_customers() -> None:
    assert drafter_refusal(is_admin=True, roles_held=[]) is None
    assert drafter_refusal(is_admin=False, roles_held=["commander"]) is None
    assert drafter_refusal(is_admin=False, roles_held=["communications_lead", "scribe"]) is None
    assert "commander or communications lead" in str(drafter_refusal(is_admin=False, roles_held=["technical_lead"],
                                                                     ref="INC-3"))


def test_only_listed_severities_email_customers() -> None:
    policies = [Policy("P1"), Policy("P2", Approval.SINGLE_PERSON)]
    assert policy_for("P2", policies).approval is Approval.SINGLE_PERSON
    assert Policy("P1").approval is Approval.SECOND_PERSON  # the default
    with pytest.raises(Conflict, match="INC-4 is P3: customers are emailed only for P1, P2"):
        policy_for("P3", policies, ref="INC-4")
    with pytest.raises(Conflict, match=r"customers\.severities is empty"):
        policy_for("P1", [])


def test_a_private_incident_needs_the_override() -> None:
    check_audience(private=False, override_private=False)
    check_audience(private=True, override_private=True)
    with pytest.raises(Conflict, match="INC-9 is private"):
        check_audience(private=True, override_private=False, ref="INC-9")


def test_recipients_follow_the_services_once_per_address() -> None:
    acme = Customer("api", "Acme Corp", "ops@acme.example")
    acme_db = Customer("database", "Acme", "OPS@acme.example")
    initech = Customer("database", "Initech", "dba@initech.example")
    other = Customer("auth", "Umbrella", "sec@umbrella.example")
    assert recipients_for(["api", "database"], [initech, acme_db, acme, other]) == [acme, initech]
    assert recipients_for(["database"], [initech, acme_db, acme]) == [initech, acme_db]
    assert recipients_for([], [acme]) == []
