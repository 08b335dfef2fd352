"""The outbox's state machine: final states stay final, every state is reachable from pending, and
what the sender decides after an attempt or a crash is always a move the table allows."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.outbox_states import (
    FINAL,
    TRANSITIONS,
    Event,
    IllegalTransition,
    State,
    after_attempt,
    after_interruption,
    allows,
    may_still_reach,
    needless,
    next_state,
)
from tests.core.state_tables import reachable

MAX_ATTEMPTS = 8


@pytest.mark.parametrize(("state", "event"), list(itertools.product(State, Event)))
def test_every_pair_is_either_a_move_or_refused(state: State, event: Event) -> None:
    if (state, event) in TRANSITIONS:
        assert allows(state, event)
        assert next_state(state, event) is TRANSITIONS[(state, event)]
    else:
        assert not allows(state, event)
        with pytest.raises(IllegalTransition):
            next_state(state, event)


@given(st.lists(st.sampled_from(list(Event)), max_size=40))
def test_no_event_leaves_a_final_state(events: list[Event]) -> None:
    state = State.PENDING
    for event in events:
        if not allows(state, event):
            continue
        before, state = state, next_state(state, event)
        assert before not in FINAL, f"{event} left the final state {before}"
    assert may_still_reach(state) == (state not in FINAL)


def test_every_state_is_reachable_from_pending() -> None:
    assert reachable(TRANSITIONS, State.PENDING) == set(State)


def test_only_the_final_states_are_dead_ends() -> None:
    ways_out = {source for source, _event in TRANSITIONS}
    assert set(State) - ways_out == FINAL


@given(ok=st.booleans(), retryable=st.booleans(), attempt=st.integers(1, 20))
def test_an_attempts_outcome_is_a_move_from_sending(ok: bool, retryable: bool, attempt: int) -> None:
    event = after_attempt(ok, retryable, attempt, MAX_ATTEMPTS)
    assert allows(State.SENDING, event)
    if attempt >= MAX_ATTEMPTS or (not ok and not retryable):
        assert next_state(State.SENDING, event) in (State.SENT, State.FAILED), "a page retried past its attempts"


@given(st.lists(st.sampled_from(["crash", "temporary", "permanent", "ok"]), min_size=1, max_size=30),
       st.booleans())
def test_the_sender_after_a_crash_does_what_the_table_allows_and_resends_once_at_most(
        outcomes: list[str], keyed: bool) -> None:
    """Drive one row through claims whose attempt crashes, fails or succeeds, as the sender does:
    each move is allowed by the table, a crash is resent blindly at most once (and never on a
    channel whose receiver cannot drop a repeat), and attempts never pass their limit."""
    state, attempts, uncertain, resent = State.PENDING, 0, False, 0
    for outcome in outcomes:
        if state is not State.PENDING:
            break
        state, attempts = next_state(state, Event.CLAIM), attempts + 1
        if outcome == "crash":
            event = after_interruption(keyed, uncertain)
            if event is Event.RESEND_UNCERTAIN:
                uncertain, resent = True, resent + 1
        else:
            event = after_attempt(outcome == "ok", outcome == "temporary", attempts, MAX_ATTEMPTS)
        assert allows(state, event), f"{event} from {state}"
        state = next_state(state, event)
    assert resent <= (1 if keyed else 0)
    assert attempts <= MAX_ATTEMPTS


def test_a_page_is_needless_once_the_incident_no_longer_waits_for_it() -> None:
    assert needless("page", False, "acknowledged") and needless("trigger", True, "acknowledged")
    assert not needless("trigger", False, "acknowledged") and not needless("manual", False, "acknowledged")
    assert all(needless(kind, False, "resolved") for kind in ("page", "trigger", "manual", "admin"))
    assert not any(needless(kind, True, "triggered") for kind in ("page", "trigger", "manual", "admin"))
    # A chat message tells about the incident: "resolved" is sent to a resolved incident by definition.
    assert not any(needless("chat", follow_up, status) for follow_up in (False, True)
                   for status in ("triggered", "acknowledged", "resolved"))
