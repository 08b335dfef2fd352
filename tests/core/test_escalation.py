"""Escalation ladders and triggers: the runbooks' ladders step as written, and each trigger fires
once at the right moment."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.errors import Invalid
from firebell.core.escalation import (
    IncidentFacts,
    Level,
    Policy,
    Position,
    Snapshot,
    Target,
    Trigger,
    due_triggers,
    fire,
    first_position,
    jump_to,
    next_trigger_at,
    position_after,
    snapshot_from_json,
    snapshot_to_json,
)

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)

# OPS1 P1: Primary (5 min) -> Secondary (5 min) -> CTO (pager) -> CEO SMS
OPS1_P1 = Policy(name="ep-prod-p1", levels=(
    Level((Target("schedule", "primary"),), 5 * MIN),
    Level((Target("schedule", "secondary"),), 5 * MIN),
    Level((Target("role", "cto"),), 5 * MIN),
    Level((Target("role", "ceo"),), 5 * MIN),
))


def run_ladder(policy: Policy, start: datetime) -> list[tuple[datetime, tuple[str, ...]]]:
    """Fire every step as if nobody acknowledges: (due time, targets) in order."""
    out = []
    position: Position | None = first_position(policy)
    due = start
    while position is not None:
        step = fire(policy, position, due)
        out.append((due, tuple(t.label() for t in step.targets)))
        position, due = step.next_position, step.next_due_at or due
    return out


def test_ops1_p1_ladder_pages_primary_then_every_five_minutes_up_to_the_ceo() -> None:
    assert run_ladder(OPS1_P1, T0) == [
        (T0, ("schedule:primary",)), (T0 + 5 * MIN, ("schedule:secondary",)),
        (T0 + 10 * MIN, ("role:cto",)), (T0 + 15 * MIN, ("role:ceo",))]


def test_a_repeating_ladder_starts_again_from_the_first_level() -> None:
    policy = Policy("twice", (Level((Target("user", "alice"),), 10 * MIN), Level((Target("user", "bob"),), 10 * MIN)),
                    repeat=1)
    steps = run_ladder(policy, T0)
    assert [s[1][0] for s in steps] == ["user:alice", "user:bob", "user:alice", "user:bob"]
    assert steps[-1][0] == T0 + 30 * MIN


def test_a_late_engine_does_not_push_the_ladder_back() -> None:
    step = fire(OPS1_P1, Position(0, 0), due_at=T0)  # the engine ran it 40 s late; due time counts
    assert step.next_due_at == T0 + 5 * MIN


def test_manual_escalation_names_levels_as_people_do_and_refuses_missing_ones() -> None:
    assert jump_to(OPS1_P1, 3, loop=0) == Position(2, 0)
    with pytest.raises(Invalid, match="levels 1 to 4"):
        jump_to(OPS1_P1, 5, loop=0)


@given(levels=st.integers(1, 6), repeat=st.integers(0, 3), delays=st.lists(st.integers(0, 3600), min_size=6,
                                                                              max_size=6))
def test_every_ladder_visits_each_level_of_each_loop_once_in_order_and_ends(levels: int, repeat: int,
                                                                            delays: list[int]) -> None:
    policy = Policy("p", tuple(Level((Target("user", f"u{i}"),), timedelta(seconds=delays[i]))
                               for i in range(levels)), repeat=repeat)
    steps = run_ladder(policy, T0)
    assert len(steps) == levels * (repeat + 1)
    assert [s[1][0] for s in steps] == [f"user:u{i}" for _ in range(repeat + 1) for i in range(levels)]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(steps))
    last = Position(levels - 1, repeat)
    assert position_after(policy, last) is None


# TenSafe escalation matrix
TENSAFE = (
    Trigger("p1-unacked-15m", "unacknowledged_for", (Target("schedule", "secondary"),), after=15 * MIN,
            severities=("P1",)),
    Trigger("p1-no-progress-30m", "no_update_for", (Target("role", "engineering-manager"),), after=30 * MIN,
            severities=("P1",)),
    Trigger("p1-open-1h", "open_for", (Target("role", "vp-engineering"),), after=60 * MIN, severities=("P1",)),
    Trigger("p1-open-2h", "open_for", (Target("role", "cto"),), after=120 * MIN, severities=("P1",)),
    Trigger("data-breach", "tag", (Target("role", "security-lead"), Target("role", "legal")), tag="data-breach"),
)


def facts(**changes: object) -> IncidentFacts:
    base: dict[str, object] = {"severity": "P1", "status": "triggered", "declared_at": T0, "acknowledged_at": None,
                               "last_update_at": None, "tags": frozenset()}
    return IncidentFacts(**(base | changes))  # type: ignore[arg-type]


def names(triggers: list[Trigger]) -> list[str]:
    return [t.name for t in triggers]


def test_tensafe_matrix_fires_each_trigger_at_its_time() -> None:
    f = facts()
    assert names(due_triggers(TENSAFE, f, [], T0 + 14 * MIN)) == []
    assert names(due_triggers(TENSAFE, f, [], T0 + 15 * MIN)) == ["p1-unacked-15m"]
    assert names(due_triggers(TENSAFE, f, ["p1-unacked-15m"], T0 + 61 * MIN)) == ["p1-no-progress-30m", "p1-open-1h"]


def test_acknowledging_stops_the_unacknowledged_trigger_but_not_the_duration_ones() -> None:
    acked = facts(status="acknowledged", acknowledged_at=T0 + 2 * MIN)
    assert names(due_triggers(TENSAFE, acked, [], T0 + 65 * MIN)) == ["p1-no-progress-30m", "p1-open-1h"]


def test_a_status_update_restarts_the_no_progress_clock() -> None:
    updated = facts(last_update_at=T0 + 25 * MIN)
    assert "p1-no-progress-30m" not in names(due_triggers(TENSAFE, updated, ["p1-unacked-15m"], T0 + 50 * MIN))
    assert next_trigger_at(TENSAFE, updated, ["p1-unacked-15m"]) == T0 + 55 * MIN


def test_a_tag_fires_at_once_for_any_severity_and_only_once() -> None:
    tagged = facts(severity="P3", tags=frozenset({"data-breach"}))
    assert names(due_triggers(TENSAFE, tagged, [], T0)) == ["data-breach"]
    assert names(due_triggers(TENSAFE, tagged, ["data-breach"], T0 + 300 * MIN)) == []


def test_nothing_fires_for_a_resolved_incident_or_another_severity() -> None:
    assert due_triggers(TENSAFE, facts(status="resolved"), [], T0 + 300 * MIN) == []
    assert names(due_triggers(TENSAFE, facts(severity="P2"), [], T0 + 300 * MIN)) == []


def test_the_frozen_snapshot_round_trips_through_json() -> None:
    snapshot = Snapshot(policy=OPS1_P1, triggers=TENSAFE)
    assert snapshot_from_json(snapshot_to_json(snapshot)) == snapshot
    with pytest.raises(Invalid, match="target kind"):
        snapshot_from_json({"name": "x", "levels": [{"targets": [{"kind": "pigeon", "name": "a"}], "delay_s": 1}]})


def test_after_an_engine_outage_the_next_level_gets_its_full_delay_not_an_instant_page() -> None:
    half_hour_late = T0 + 30 * MIN
    step = fire(OPS1_P1, Position(0, 0), due_at=T0, now=half_hour_late)
    assert step.next_due_at == half_hour_late + 5 * MIN
    assert fire(OPS1_P1, Position(0, 0), due_at=T0, now=T0 + MIN).next_due_at == T0 + 5 * MIN
