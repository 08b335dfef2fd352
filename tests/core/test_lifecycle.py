"""Every (status, action) pair: allowed ones land where they should, the rest are refused with a reason."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.errors import Conflict, Invalid
from firebell.core.lifecycle import Action, Status, allowed_actions, check_stage, next_status, stage_after

ALLOWED = {
    (Status.TRIGGERED, Action.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.TRIGGERED, Action.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Action.RESOLVE): Status.RESOLVED,
    (Status.RESOLVED, Action.REOPEN): Status.TRIGGERED,
}
STAGES = ["detect", "acknowledge", "contain", "communicate", "eradicate", "recover", "review"]


@pytest.mark.parametrize(("status", "action"), list(itertools.product(Status, Action)))
def test_every_transition(status: Status, action: Action) -> None:
    if (status, action) in ALLOWED:
        assert next_status(status, action) is ALLOWED[(status, action)]
        assert action in allowed_actions(status)
    else:
        with pytest.raises(Conflict) as refused:
            next_status(status, action, ref="INC-3")
        assert refused.value.message.startswith("INC-3 ")
        assert action not in allowed_actions(status)


def test_refusals_explain_themselves() -> None:
    with pytest.raises(Conflict, match="INC-1 is already resolved"):
        next_status(Status.RESOLVED, Action.RESOLVE, ref="INC-1")
    with pytest.raises(Conflict, match="reopen it before acknowledging"):
        next_status(Status.RESOLVED, Action.ACKNOWLEDGE, ref="INC-1")


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_action_sequence_keeps_timestamps_consistent(actions: list[Action]) -> None:
    """Walk random action sequences: the machine never reaches a status it has no way out of, and
    a resolved incident is only ever left by an explicit reopen."""
    status = Status.TRIGGERED
    for action in actions:
        try:
            new = next_status(status, action)
        except Conflict:
            continue
        if status is Status.RESOLVED:
            assert action is Action.REOPEN
        status = new
        assert allowed_actions(status), f"{status} is a dead end"


def test_stage_changes() -> None:
    assert check_stage(STAGES, "detect", "contain") == "contain"
    assert check_stage(STAGES, "recover", "contain") == "contain"  # going back is allowed
    with pytest.raises(Conflict, match="already in stage contain"):
        check_stage(STAGES, "contain", "contain")
    with pytest.raises(Invalid, match="unknown lifecycle stage 'mitigate'"):
        check_stage(STAGES, "contain", "mitigate")


def test_status_changes_move_the_stage_forward_only() -> None:
    assert stage_after(Action.ACKNOWLEDGE, STAGES, "detect") == "acknowledge"
    assert stage_after(Action.ACKNOWLEDGE, STAGES, "contain") is None  # already past it
    assert stage_after(Action.RESOLVE, STAGES, "contain") == "recover"
    assert stage_after(Action.RESOLVE, STAGES, "review") is None
    assert stage_after(Action.REOPEN, STAGES, "review") is None
    assert stage_after(Action.ACKNOWLEDGE, ["triage", "fix"], "triage") is None  # custom stages
