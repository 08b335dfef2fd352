"""The Slack fallback decision: out only after failing for the configured time, back at the first
success, and only for what Slack has not shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.chat_fallback import EVENT_GRACE, failing_since_after, goes_to_fallback, slack_is_out

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe's clocks change: UTC does not care
offsets = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2))
afters = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2))


@given(st.lists(st.booleans(), min_size=1, max_size=30), st.lists(offsets, min_size=30, max_size=30))
def test_failing_since_is_the_first_failure_after_the_last_success(outcomes: list[bool],
                                                                    gaps: list[timedelta]) -> None:
    since, now, first_failure = None, T0, None
    for ok, gap in zip(outcomes, gaps, strict=False):
        now += gap
        since = failing_since_after(since, ok, now)
        first_failure = None if ok else (first_failure or now)
        assert since == first_failure


@given(offsets, offsets, afters)
def test_out_exactly_when_failing_for_at_least_after_and_never_without_a_failure(
        failed_at: timedelta, later: timedelta, after: timedelta) -> None:
    since, now = T0 + failed_at, T0 + failed_at + later
    assert slack_is_out(since, now, after) == (later >= after)
    assert not slack_is_out(None, now, after)
    if slack_is_out(since, now, after):  # stays out while nothing succeeds
        assert slack_is_out(since, now + timedelta(minutes=1), after)
    assert not slack_is_out(failing_since_after(since, True, now), now, after), "one success brings Slack back"


@given(offsets, offsets, offsets, afters)
def test_only_events_slack_has_not_shown_go_to_the_fallback(failed_at: timedelta, event_at: timedelta,
                                                            later: timedelta, after: timedelta) -> None:
    since, event, now = T0 + failed_at, T0 + event_at, T0 + failed_at + later
    decided = goes_to_fallback(event, since, now, after)
    assert decided == (slack_is_out(since, now, after) and event >= since - EVENT_GRACE)
    assert not goes_to_fallback(event, None, now, after)


def test_five_minutes_of_failures_before_the_fallback() -> None:
    after = timedelta(minutes=5)
    assert not goes_to_fallback(T0, T0, T0 + timedelta(minutes=4, seconds=59), after)
    assert goes_to_fallback(T0, T0, T0 + after, after)
    assert goes_to_fallback(T0 - timedelta(seconds=30), T0, T0 + after, after), "the change that failed"
    assert not goes_to_fallback(T0 - timedelta(minutes=2), T0, T0 + after, after), "Slack showed that one"
