"""SLA clock maths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.sla import Targets, sla_clock

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
P1 = Targets(acknowledge_within=timedelta(minutes=5), recover_within=timedelta(minutes=30))


def test_open_incident_counts_down() -> None:
    clock = sla_clock(targets=P1, declared_at=T0, acknowledged_at=None, resolved_at=None,
                      now=T0 + timedelta(minutes=3))
    assert clock.acknowledge is not None and clock.recover is not None
    assert clock.acknowledge.due_at == T0 + timedelta(minutes=5)
    assert clock.acknowledge.time_left == timedelta(minutes=2)
    assert clock.recover.time_left == timedelta(minutes=27)
    assert not clock.breached


def test_unacknowledged_past_target_is_breached() -> None:
    clock = sla_clock(targets=P1, declared_at=T0, acknowledged_at=None, resolved_at=None,
                      now=T0 + timedelta(minutes=5, seconds=1))
    assert clock.acknowledge is not None and clock.acknowledge.breached
    assert clock.acknowledge.time_left == -timedelta(seconds=1)
    assert clock.breached


def test_met_deadline_freezes_at_the_milestone() -> None:
    ack = T0 + timedelta(minutes=4)
    for later in (timedelta(minutes=10), timedelta(days=3)):
        clock = sla_clock(targets=P1, declared_at=T0, acknowledged_at=ack, resolved_at=None, now=T0 + later)
        assert clock.acknowledge is not None
        assert clock.acknowledge.met_at == ack
        assert clock.acknowledge.time_left == timedelta(minutes=1)
        assert not clock.acknowledge.breached


def test_late_acknowledgement_stays_breached() -> None:
    clock = sla_clock(targets=P1, declared_at=T0, acknowledged_at=T0 + timedelta(minutes=7), resolved_at=None,
                      now=T0 + timedelta(minutes=8))
    assert clock.acknowledge is not None and clock.acknowledge.breached
    assert clock.recover is not None and not clock.recover.breached


def test_resolving_without_ack_counts_as_the_response() -> None:
    clock = sla_clock(targets=P1, declared_at=T0, acknowledged_at=None, resolved_at=T0 + timedelta(minutes=2),
                      now=T0 + timedelta(hours=1))
    assert clock.acknowledge is not None and clock.acknowledge.met_at == T0 + timedelta(minutes=2)
    assert not clock.breached


def test_no_target_means_no_deadline() -> None:
    clock = sla_clock(targets=Targets(None, None), declared_at=T0, acknowledged_at=None, resolved_at=None,
                      now=T0 + timedelta(days=30))
    assert clock.acknowledge is None and clock.recover is None and not clock.breached


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_breach_is_exactly_past_due(ack_target_s: int, elapsed_s: int) -> None:
    targets = Targets(timedelta(seconds=ack_target_s), None)
    clock = sla_clock(targets=targets, declared_at=T0, acknowledged_at=None, resolved_at=None,
                      now=T0 + timedelta(seconds=elapsed_s))
    assert clock.acknowledge is not None
    assert clock.acknowledge.breached == (elapsed_s > ack_target_s)
    assert clock.acknowledge.time_left == timedelta(seconds=ack_target_s - elapsed_s)
