"""The escalation state machine: every status is reachable from a new (active) escalation, only a
reopen leaves stopped, the ladder's timer runs exactly in active and manual, and what the engine
does with a due step is always a move the table allows."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.escalation_states import (
    LADDER_RUNS,
    TRANSITIONS,
    Event,
    IllegalTransition,
    Status,
    after_firing,
    allows,
    ladder_fires,
    next_status,
    statuses_allowing,
)
from tests.core.state_tables import reachable

INCIDENT_STATUSES = ("triggered", "acknowledged")


@pytest.mark.parametrize(("status", "event"), list(itertools.product(Status, Event)))
def test_every_pair_is_either_a_move_or_refused(status: Status, event: Event) -> None:
    if (status, event) in TRANSITIONS:
        assert allows(status, event) and status in statuses_allowing(event)
        assert next_status(status, event) is TRANSITIONS[(status, event)]
    else:
        assert not allows(status, event) and status not in statuses_allowing(event)
        with pytest.raises(IllegalTransition):
            next_status(status, event)


def test_every_status_is_reachable_from_a_new_escalation() -> None:
    assert reachable(TRANSITIONS, Status.ACTIVE) == set(Status)


def test_a_resolved_incidents_escalation_stops_from_anywhere_and_only_a_reopen_restarts_it() -> None:
    assert all(next_status(s, Event.RESOLVED) is Status.STOPPED for s in Status)
    assert [event for (source, event), target in TRANSITIONS.items()
            if source is Status.STOPPED and target is not Status.STOPPED] == [Event.REOPENED]
    assert Status.STOPPED not in statuses_allowing(Event.TRIGGERS_CHANGED)
    assert Status.STOPPED not in statuses_allowing(Event.PAGE_NOW)


@given(st.lists(st.tuples(st.sampled_from(list(Event)), st.sampled_from(INCIDENT_STATUSES)), max_size=40))
def test_the_engine_only_ever_makes_moves_the_table_allows(steps: list[tuple[Event, str]]) -> None:
    """Random walks mixing people's events with the engine's due steps: whenever the ladder has a
    timer, the engine's decision (stop, or fire and go on / run out / stop) is allowed from there."""
    status = Status.ACTIVE
    for event, incident in steps:
        if status in LADDER_RUNS:  # the timer falls due: what the engine does
            if not ladder_fires(status, incident):
                assert status is Status.ACTIVE and incident == "acknowledged"
                engine = Event.ACKNOWLEDGED
            else:
                engine = after_firing(incident, has_next_level=event is not Event.LADDER_RAN_OUT)
            assert allows(status, engine), f"the engine's {engine} from {status}"
            status = next_status(status, engine)
        if allows(status, event) and event in (Event.RESOLVED, Event.PAGE_NOW, Event.REOPENED,
                                               Event.TRIGGERS_CHANGED):
            status = next_status(status, event)


def test_a_person_asking_pages_even_after_an_acknowledgement() -> None:
    assert ladder_fires(Status.MANUAL, "acknowledged")
    assert not ladder_fires(Status.ACTIVE, "acknowledged")
    assert after_firing("acknowledged", has_next_level=True) is Event.ACKNOWLEDGED
    assert after_firing("triggered", has_next_level=False) is Event.LADDER_RAN_OUT
