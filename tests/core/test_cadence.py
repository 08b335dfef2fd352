"""The status-update cadence: when the next update is due, reminders sent once each and at the
right moments, and the missed-updates KPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebell.core.cadence import (
    NO_CADENCE,
    CadenceState,
    Reminder,
    cadence_for,
    cadence_state,
    missed_updates,
    reminder_key,
)

DECLARED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
P1 = 15 * MIN
NOTHING_SENT: frozenset[str] = frozenset()


def state(now: datetime, last_update: datetime | None = None, sent: frozenset[str] = NOTHING_SENT,
          every: timedelta | None = P1, **kwargs: object) -> CadenceState:
    return cadence_state(DECLARED, last_update, every, now, sent, **kwargs)  # type: ignore[arg-type]


def test_p1_and_p2_promise_updates_every_15_and_30_minutes_p3_and_p4_none() -> None:
    assert [cadence_for(s) for s in ("P1", "P2", "P3", "P4")] == [15 * MIN, 30 * MIN, None, None]
    assert cadence_for("P3", {"P3": 60 * MIN}) == 60 * MIN


def test_the_first_update_is_due_a_cadence_after_declaration() -> None:
    result = state(DECLARED + 10 * MIN)
    assert (result.next_due, result.overdue_by, result.reminders) == (DECLARED + 15 * MIN, None, [])
    assert result.wake_at == DECLARED + 13 * MIN


def test_a_due_reminder_comes_two_minutes_before() -> None:
    assert state(DECLARED + 13 * MIN - timedelta(seconds=1)).reminders == []
    result = state(DECLARED + 13 * MIN)
    assert result.reminders == [Reminder("due", DECLARED + 15 * MIN, "due:2026-11-23T12:15:00Z")]
    assert result.wake_at == DECLARED + 20 * MIN


def test_a_reminder_recorded_as_sent_is_not_sent_again() -> None:
    sent = frozenset({"due:2026-11-23T12:15:00Z"})
    assert state(DECLARED + 14 * MIN, sent=sent).reminders == []


def test_past_due_it_is_overdue_but_nagged_only_after_the_grace() -> None:
    sent = frozenset({"due:2026-11-23T12:15:00Z"})
    result = state(DECLARED + 16 * MIN, sent=sent)
    assert (result.overdue_by, result.reminders) == (MIN, [])
    result = state(DECLARED + 20 * MIN, sent=sent)
    assert result.overdue_by == 5 * MIN
    assert result.reminders == [Reminder("overdue", DECLARED + 15 * MIN, "overdue:2026-11-23T12:15:00Z")]
    assert state(DECLARED + 15 * MIN, sent=sent).overdue_by is None  # at the due moment itself: on time


def test_posting_an_update_restarts_the_clock_from_the_update() -> None:
    result = state(DECLARED + 14 * MIN, last_update=DECLARED + 14 * MIN)
    assert (result.next_due, result.overdue_by, result.reminders) == (DECLARED + 29 * MIN, None, [])
    late = state(DECLARED + 25 * MIN, last_update=DECLARED + 24 * MIN, sent=frozenset({"overdue:2026-11-23T12:15:00Z"}))
    assert (late.next_due, late.overdue_by, late.reminders) == (DECLARED + 39 * MIN, None, [])


def test_a_forgotten_update_nags_once_per_period_not_once_ever() -> None:
    sent = {"due:2026-11-23T12:15:00Z", "overdue:2026-11-23T12:15:00Z"}
    assert state(DECLARED + 34 * MIN, sent=frozenset(sent)).reminders == []
    result = state(DECLARED + 35 * MIN, sent=frozenset(sent))
    assert result.next_due == DECLARED + 15 * MIN and result.overdue_by == 20 * MIN
    assert result.reminders == [Reminder("overdue", DECLARED + 30 * MIN, "overdue:2026-11-23T12:30:00Z")]


def test_an_engine_back_after_an_hour_sends_one_reminder_not_a_backlog() -> None:
    result = state(DECLARED + 80 * MIN)
    assert [r.key for r in result.reminders] == ["overdue:2026-11-23T13:15:00Z"]
    assert result.wake_at == DECLARED + 95 * MIN


def test_resolved_incidents_and_p3_have_no_cadence() -> None:
    assert state(DECLARED + 80 * MIN, resolved_at=DECLARED + 5 * MIN) == NO_CADENCE
    assert state(DECLARED + 80 * MIN, every=None) == NO_CADENCE


def test_lead_and_grace_are_configurable() -> None:
    result = state(DECLARED + 10 * MIN, lead=5 * MIN)
    assert [r.kind for r in result.reminders] == ["due"]
    assert [r.kind for r in state(DECLARED + 15 * MIN, grace=timedelta(0)).reminders] == ["overdue"]
    # A lead longer than the cadence reminds as soon as an update is posted, about the next one.
    short = state(DECLARED + 2 * MIN, last_update=DECLARED + 2 * MIN, every=MIN, lead=5 * MIN)
    assert [r.due_at for r in short.reminders] == [DECLARED + 3 * MIN]
    assert short.wake_at == DECLARED + 8 * MIN  # the next reminder is the overdue one


def test_keys_carry_sub_second_due_moments() -> None:
    assert reminder_key("due", DECLARED + timedelta(microseconds=5)) == "due:2026-11-23T12:00:00.000005Z"


def test_wrong_input_is_refused() -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        state(DECLARED, every=timedelta(0))
    with pytest.raises(ValueError, match="timezone-aware"):
        state(datetime(2026, 11, 23, 12, 0))
    with pytest.raises(ValueError, match="negative"):
        state(DECLARED, grace=-MIN)


def test_missed_updates_counts_due_moments_that_passed_without_an_update() -> None:
    updates = [DECLARED + 10 * MIN, DECLARED + 40 * MIN]  # 12:25 passes between them
    assert missed_updates(DECLARED, updates, None, P1, DECLARED + 40 * MIN) == 1
    assert missed_updates(DECLARED, updates, None, P1, DECLARED + 55 * MIN) == 1  # 12:55 is due, not yet past
    assert missed_updates(DECLARED, updates, None, P1, DECLARED + 56 * MIN) == 2
    assert missed_updates(DECLARED, updates, None, P1, DECLARED + 100 * MIN) == 4  # 12:55, 13:10, 13:25


def test_an_update_exactly_on_time_is_not_missed_one_a_second_late_is() -> None:
    on_time = [DECLARED + 15 * MIN, DECLARED + 30 * MIN]
    assert missed_updates(DECLARED, on_time, None, P1, DECLARED + 30 * MIN) == 0
    late = [DECLARED + 15 * MIN + timedelta(seconds=1)]
    assert missed_updates(DECLARED, late, None, P1, DECLARED + 20 * MIN) == 1


def test_resolution_stops_the_count() -> None:
    assert missed_updates(DECLARED, [], DECLARED + 20 * MIN, P1, DECLARED + 10 * 60 * MIN) == 1
    assert missed_updates(DECLARED, [], DECLARED + 15 * MIN, P1, DECLARED + 10 * 60 * MIN) == 0
    assert missed_updates(DECLARED, [], None, None, DECLARED + 10 * 60 * MIN) == 0


def test_notes_posted_after_resolution_do_not_rewrite_the_count() -> None:
    resolved = DECLARED + 20 * MIN  # 12:15 was missed
    assert missed_updates(DECLARED, [DECLARED + 60 * MIN], resolved, P1, DECLARED + 100 * MIN) == 1


def test_updates_not_yet_posted_at_now_do_not_count() -> None:
    assert missed_updates(DECLARED, [DECLARED + 14 * MIN], None, P1, DECLARED + 10 * MIN) == 0
    assert missed_updates(DECLARED, [DECLARED + 20 * MIN], None, P1, DECLARED + 16 * MIN) == 1


# -- properties ----------------------------------------------------------------------------------

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
cadences = st.integers(1, 60).map(lambda m: m * MIN)
seconds = st.integers(0, 6 * 3600).map(lambda s: timedelta(seconds=s))


@PROPERTY
@given(every=cadences, gaps=st.lists(st.floats(0, 1), max_size=20), tail=st.floats(0, 1))
def test_updates_at_intervals_no_longer_than_the_cadence_miss_nothing(
        every: timedelta, gaps: list[float], tail: float) -> None:
    times, t = [], DECLARED
    for fraction in gaps:
        t += every * fraction
        times.append(t)
    now = t + every * tail
    assert missed_updates(DECLARED, times, None, every, now) == 0
    assert state(now, times[-1] if times else None, every=every).overdue_by is None


@PROPERTY
@given(every=cadences, updates=st.lists(seconds, max_size=10), resolved=st.none() | seconds, a=seconds, b=seconds)
def test_missed_updates_never_goes_down_as_time_passes(
        every: timedelta, updates: list[timedelta], resolved: timedelta | None, a: timedelta, b: timedelta) -> None:
    times = [DECLARED + u for u in updates]
    resolved_at = None if resolved is None else DECLARED + resolved
    earlier, later = sorted((DECLARED + a, DECLARED + b))
    assert missed_updates(DECLARED, times, resolved_at, every, earlier) <= missed_updates(
        DECLARED, times, resolved_at, every, later)


@PROPERTY
@given(every=cadences, updates=st.lists(seconds, max_size=10), at=seconds)
def test_overdue_now_exactly_when_the_kpi_counts_a_miss_since_the_last_update(
        every: timedelta, updates: list[timedelta], at: timedelta) -> None:
    now = DECLARED + at
    posted = [DECLARED + u for u in updates if DECLARED + u <= now]
    last = max(posted, default=DECLARED)
    result = state(now, last if posted else None, every=every)
    assert result.next_due == last + every
    since_last = (missed_updates(DECLARED, posted, None, every, now)
                  - missed_updates(DECLARED, posted, None, every, last))
    assert (result.overdue_by is not None) == (since_last > 0)


@PROPERTY
@given(every=cadences, updates=st.lists(st.integers(1, 4 * 3600), max_size=6),
       ticks=st.lists(st.integers(0, 4 * 3600), min_size=1, max_size=60),
       lead=st.integers(0, 10).map(lambda m: m * MIN), grace=st.integers(0, 10).map(lambda m: m * MIN))
def test_an_engine_that_records_what_it_sent_never_sends_a_reminder_twice_nor_early(
        every: timedelta, updates: list[int], ticks: list[int], lead: timedelta, grace: timedelta) -> None:
    """The engine on an injected clock: it wakes at declaration, at every posted update, at
    arbitrary ticks and whenever the state asks to be woken, and records each reminder it sends."""
    posted = sorted(DECLARED + s * timedelta(seconds=1) for s in updates)
    end = DECLARED + timedelta(hours=4)
    wake = {DECLARED, *posted} | {DECLARED + s * timedelta(seconds=1) for s in ticks}
    sent: set[str] = set()
    while wake:
        now = min(wake)
        wake.discard(now)
        last = max((u for u in posted if u <= now), default=None)
        result = state(now, last, frozenset(sent), every=every, lead=lead, grace=grace)
        assert len(result.reminders) <= 1
        for reminder in result.reminders:
            assert reminder.key not in sent, f"{reminder.key} sent twice"
            sent.add(reminder.key)
            if reminder.kind == "due":
                assert reminder.due_at - lead <= now < reminder.due_at + grace
            else:
                assert now >= reminder.due_at + grace
        if result.wake_at is not None and result.wake_at <= end:
            assert result.wake_at > now
            wake.add(result.wake_at)
    # And nothing is missed: per stretch between updates, the "due" heads-up (unless an update
    # came first) and the overdue reminder of every period that passed without one.
    for k, (start, stop) in enumerate(zip([DECLARED, *posted], [*posted, end], strict=True)):
        last_stretch = k == len(posted)

        def within(moment: datetime, start: datetime = start, stop: datetime = stop,
                   last_stretch: bool = last_stretch) -> bool:
            return moment <= stop if last_stretch else moment < stop

        due = start + every
        heads_up = max(due - lead, start)
        if within(heads_up) and heads_up < due + grace:
            assert reminder_key("due", due) in sent
        while within(due + grace):
            assert reminder_key("overdue", due) in sent, f"no overdue reminder for {due}"
            due += every
