"""Severity assessment: the runbook's criteria, and monotonicity for any criteria at all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.errors import Invalid
from firebell.core.severity import Criterion, SeverityLevel, assess

LEVELS = [SeverityLevel(key=f"P{i + 1}", rank=i, name=n) for i, n in enumerate(["Critical", "High", "Medium", "Low"])]
TENSAFE = [
    Criterion("full-outage", "P1", flag="full_outage"),
    Criterion("data-loss", "P1", flag="data_loss"),
    Criterion("security-breach", "P1", flag="security_breach"),
    Criterion("pii-exposure", "P1", flag="pii_exposure"),
    Criterion("error-rate-high", "P2", metric="error_rate", above=10),
    Criterion("latency-severe", "P2", metric="latency_multiple", above=5),
    Criterion("users-many", "P2", metric="users_affected", above=25),
    Criterion("major-feature", "P2", flag="major_feature_unavailable"),
    Criterion("error-rate-elevated", "P3", metric="error_rate", min=1, max=10),
    Criterion("latency-degraded", "P3", metric="latency_multiple", min=2, max=5),
    Criterion("users-some", "P3", metric="users_affected", above=0, max=25),
    Criterion("feature-unavailable", "P3", flag="feature_unavailable"),
    Criterion("cosmetic", "P4", flag="cosmetic"),
]


def names(result_matched: list[Criterion]) -> set[str]:
    return {c.name for c in result_matched}


def test_issue_example() -> None:
    result = assess(LEVELS, TENSAFE, [], {"error_rate": 12, "latency_multiple": 3, "users_affected": 30})
    assert result.level.key == "P2"
    assert names(result.matched) == {"error-rate-high", "latency-degraded", "users-many"}


def test_flag_wins_over_numbers() -> None:
    result = assess(LEVELS, TENSAFE, ["pii_exposure"], {"error_rate": 2})
    assert result.level.key == "P1"
    assert names(result.matched) == {"pii-exposure", "error-rate-elevated"}


def test_band_edges() -> None:
    assert assess(LEVELS, TENSAFE, [], {"error_rate": 10}).level.key == "P3"  # 1-10% band includes 10
    assert assess(LEVELS, TENSAFE, [], {"error_rate": 10.01}).level.key == "P2"
    assert assess(LEVELS, TENSAFE, [], {"error_rate": 0.5}).level.key == "P4"
    assert assess(LEVELS, TENSAFE, [], {"users_affected": 25}).level.key == "P3"


def test_nothing_matched_suggests_least_severe() -> None:
    result = assess(LEVELS, TENSAFE, [], {})
    assert result.level.key == "P4" and result.matched == [] and "no criterion" in result.reason


def test_typos_are_refused_not_ignored() -> None:
    with pytest.raises(Invalid, match=r"unknown impact signal.*errror_rate"):
        assess(LEVELS, TENSAFE, [], {"errror_rate": 50})
    with pytest.raises(Invalid, match="full_outgae"):
        assess(LEVELS, TENSAFE, ["full_outgae"], {})


def test_value_past_every_band_still_reports_what_decided() -> None:
    only_band = [Criterion("elevated", "P3", metric="error_rate", min=1, max=10)]
    result = assess(LEVELS, only_band, [], {"error_rate": 50})
    assert result.level.key == "P3"  # more impact than the band never lowers the suggestion
    assert names(result.matched) == {"elevated"}


metric_names = st.sampled_from(["error_rate", "latency_multiple", "users_affected"])
flag_names = st.sampled_from(["full_outage", "data_loss", "cosmetic", "feature_unavailable"])
bounds = st.floats(min_value=0, max_value=100, allow_nan=False)


@st.composite
def criteria_lists(draw: st.DrawFn) -> list[Criterion]:
    out = []
    for i in range(draw(st.integers(1, 8))):
        sev = draw(st.sampled_from([lv.key for lv in LEVELS]))
        if draw(st.booleans()):
            out.append(Criterion(f"c{i}", sev, flag=draw(flag_names)))
        else:
            low = draw(bounds)
            high = draw(st.one_of(st.none(), st.floats(min_value=low, max_value=200, allow_nan=False)))
            if draw(st.booleans()):
                out.append(Criterion(f"c{i}", sev, metric=draw(metric_names), min=low, max=high))
            else:
                out.append(Criterion(f"c{i}", sev, metric=draw(metric_names), above=low, max=high))
    return out


@st.composite
def impact_and_more(draw: st.DrawFn) -> tuple[set[str], dict[str, float], set[str], dict[str, float]]:
    flags = set(draw(st.lists(flag_names, max_size=4)))
    metrics = draw(st.dictionaries(metric_names, bounds, max_size=3))
    more_flags = flags | set(draw(st.lists(flag_names, max_size=4)))
    more_metrics = dict(metrics)
    for name in draw(st.lists(metric_names, max_size=3)):
        more_metrics[name] = more_metrics.get(name, 0.0) + draw(st.floats(0, 100, allow_nan=False))
    return flags, metrics, more_flags, more_metrics


@given(criteria_lists(), impact_and_more())
def test_more_impact_never_lowers_severity(criteria: list[Criterion], impacts: tuple) -> None:  # type: ignore[type-arg]
    flags, metrics, more_flags, more_metrics = impacts
    known_flags = {c.flag for c in criteria if c.flag}
    known_metrics = {c.metric for c in criteria if c.metric}
    flags, more_flags = flags & known_flags, more_flags & known_flags
    metrics = {k: v for k, v in metrics.items() if k in known_metrics}
    more_metrics = {k: v for k, v in more_metrics.items() if k in known_metrics}
    before = assess(LEVELS, criteria, flags, metrics).level
    after = assess(LEVELS, criteria, more_flags, more_metrics).level
    assert after.rank <= before.rank


@given(criteria_lists(), impact_and_more())
def test_suggestion_is_explained_by_a_matched_criterion(criteria: list[Criterion], impacts: tuple) -> None:  # type: ignore[type-arg]
    flags, metrics, _, _ = impacts
    flags = flags & {c.flag for c in criteria if c.flag}
    metrics = {k: v for k, v in metrics.items() if k in {c.metric for c in criteria if c.metric}}
    result = assess(LEVELS, criteria, flags, metrics)
    reached = [c for c in criteria if c.reached(frozenset(flags), metrics)]
    if reached:
        rank = {lv.key: lv.rank for lv in LEVELS}
        assert result.level.rank == min(rank[c.severity] for c in reached)
        assert result.level.key in {c.severity for c in result.matched}
        assert all(c in reached for c in result.matched)
    else:
        assert result.level.key == "P4" and result.matched == []


def test_exceeded_higher_band_is_still_shown_when_it_decides() -> None:
    odd = [Criterion("bad-band", "P2", metric="error_rate", min=1, max=10),
           Criterion("open-band", "P3", metric="error_rate", min=5)]
    result = assess(LEVELS, odd, [], {"error_rate": 12})
    assert result.level.key == "P2"
    assert names(result.matched) == {"open-band", "bad-band"}
