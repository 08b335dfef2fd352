"""The console's pure decisions: timeline views and the impact ticked criteria describe."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.severity import Criterion, SeverityLevel, assess, signals_of
from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.views import TimelineView, arrange, kinds_shown, shows

LEVELS = [SeverityLevel("P1", 0), SeverityLevel("P2", 1), SeverityLevel("P3", 2), SeverityLevel("P4", 3)]
criteria = st.lists(st.one_of(
    st.builds(lambda n, s, f: Criterion(name=f"f{n}", severity=s, flag=f), st.integers(0, 99),
              st.sampled_from(["P1", "P2", "P3"]), st.sampled_from(["outage", "breach", "slow"])),
    st.builds(lambda n, s, lo, width, excl: Criterion(name=f"m{n}", severity=s, metric="error_rate",
                                                      above=lo if excl else None, min=None if excl else lo,
                                                      max=lo + width),
              st.integers(100, 199), st.sampled_from(["P1", "P2", "P3"]), st.floats(0, 100), st.floats(0.1, 50),
              st.booleans())), min_size=1, max_size=8, unique_by=lambda c: c.name)


@given(criteria, st.data())
def test_every_ticked_criterion_is_reached_and_the_suggestion_is_at_least_as_severe(
        all_criteria: list[Criterion], data: st.DataObject) -> None:
    ticked = data.draw(st.lists(st.sampled_from(all_criteria), unique_by=lambda c: c.name))
    flags, metrics = signals_of(ticked)
    for c in ticked:
        assert c.reached(flags, metrics)
    result = assess(LEVELS, all_criteria, flags, metrics)
    rank = {level.key: level.rank for level in LEVELS}
    assert all(result.level.rank <= rank[c.severity] for c in ticked)


@given(criteria, st.data())
def test_ticking_more_never_lowers_the_suggestion(all_criteria: list[Criterion], data: st.DataObject) -> None:
    more = data.draw(st.lists(st.sampled_from(all_criteria), unique_by=lambda c: c.name))
    fewer = more[: data.draw(st.integers(0, len(more)))]
    assert (assess(LEVELS, all_criteria, *signals_of(more)).level.rank
            <= assess(LEVELS, all_criteria, *signals_of(fewer)).level.rank)


@given(st.lists(st.sampled_from(list(EventKind))), st.sampled_from(list(TimelineView)), st.booleans())
def test_a_view_keeps_order_and_only_its_kinds(kinds: list[EventKind], view: TimelineView, newest: bool) -> None:
    events = list(enumerate(kinds))
    shown = arrange(events, view, newest_first=newest, kind_of=lambda e: e[1].value)
    ids = [i for i, _ in shown]
    assert ids == sorted(ids, reverse=newest)
    assert {i for i, k in events if shows(view, k.value)} == set(ids)
    allowed = kinds_shown(view)
    assert all(allowed is None or k.value in allowed for _, k in shown)
    if view is TimelineView.EVERYTHING:
        assert len(shown) == len(events)
