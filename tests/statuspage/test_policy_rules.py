"""The severity policy's pure rules (core/statuspage/policy.py), with instants given, never read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.statuspage.policy import (
    Publish,
    SeverityPolicy,
    auto_open_due,
    policies,
    policy_from,
    resolution_publishes,
)
from firebell.core.statuspage.rollup import ComponentStatus, Impact

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe's clocks go forward: ages are UTC spans
OPS1 = policies([
    {"severity": "P1", "auto_open": "immediately", "publish": "immediately", "component_status": "major_outage"},
    {"severity": "P2", "auto_open": "after 1h", "publish": "draft", "component_status": "partial_outage"},
    {"severity": "P3", "auto_open": "manual", "publish": "draft", "component_status": "degraded_performance"},
])
ages = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3))
flags = st.booleans()


def test_the_stored_form_reads_back() -> None:
    assert OPS1["P1"] == SeverityPolicy("P1", timedelta(0), Publish.IMMEDIATELY, ComponentStatus.MAJOR_OUTAGE)
    assert OPS1["P2"].auto_open_after == timedelta(hours=1) and OPS1["P2"].impact is Impact.MAJOR
    assert OPS1["P3"].auto_open_after is None
    assert policy_from({"severity": "P4", "auto_open": "after 1h30m"}).auto_open_after == timedelta(minutes=90)


def test_ops1_timing() -> None:
    due = {age: auto_open_due(OPS1["P2"], T0, T0 + age, resolved=False, already_public=False)
           for age in (timedelta(minutes=59), timedelta(minutes=59, seconds=59), timedelta(hours=1))}
    assert due == {timedelta(minutes=59): False, timedelta(minutes=59, seconds=59): False, timedelta(hours=1): True}
    assert auto_open_due(OPS1["P1"], T0, T0, resolved=False, already_public=False)
    assert not auto_open_due(OPS1["P3"], T0, T0 + timedelta(days=30), resolved=False, already_public=False)
    assert not auto_open_due(None, T0, T0 + timedelta(days=30), resolved=False, already_public=False)


@given(st.sampled_from(["P1", "P2", "P3"]), ages, flags, flags, flags, flags)
def test_never_for_private_drill_resolved_or_already_public(severity: str, age: timedelta, resolved: bool,
                                                            public: bool, private: bool, drill: bool) -> None:
    due = auto_open_due(OPS1[severity], T0, T0 + age, resolved=resolved, already_public=public, private=private,
                        drill=drill)
    if resolved or public or private or drill:
        assert not due


@given(st.sampled_from(["P1", "P2"]), ages, ages)
def test_once_due_it_stays_due(severity: str, age: timedelta, more: timedelta) -> None:
    """Time only makes it more due: a pass that is late (an engine down for a while) still opens it."""
    if auto_open_due(OPS1[severity], T0, T0 + age, resolved=False, already_public=False):
        assert auto_open_due(OPS1[severity], T0, T0 + age + more, resolved=False, already_public=False)


def test_resolution_publishes_per_policy() -> None:
    assert resolution_publishes(OPS1["P1"])
    assert not resolution_publishes(OPS1["P2"]) and not resolution_publishes(None)
