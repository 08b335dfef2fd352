"""Schedules across DST changes: the documented gap and fold rules in zones that change at midnight
or by 30 minutes, and properties over many zones with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from firebell.core.schedules import (
    OVERRIDE,
    Layer,
    Override,
    Restriction,
    Schedule,
    Shift,
    ShiftLength,
    Unit,
    final_shifts,
    gaps,
    handoffs,
    layer_shifts,
    local_instant,
    next_change_after,
    on_call_at,
)

HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)

# Both hemispheres, both directions of change, changes at midnight (Havana, Santiago, Beirut,
# Asuncion until 2024, Cairo), across midnight (Nuuk: 23:00 Saturday is skipped), 30-minute changes
# (Lord Howe), negative DST (Dublin, Casablanca), odd offsets, and zones without DST.
ZONES = (
    "Europe/Stockholm", "Europe/London", "Europe/Dublin", "America/New_York", "America/Los_Angeles",
    "America/St_Johns", "America/Havana", "America/Santiago", "America/Asuncion", "America/Nuuk",
    "America/Scoresbysund", "Asia/Beirut", "Africa/Cairo", "Asia/Gaza", "Africa/Casablanca",
    "Australia/Lord_Howe", "Australia/Sydney", "Pacific/Auckland", "Pacific/Chatham", "Asia/Kolkata",
    "Asia/Kathmandu", "Asia/Tehran", "America/Sao_Paulo", "UTC",
)
FIRST_DAY, LAST_DAY = date(2023, 6, 1), date(2027, 6, 1)


def daily(zone: str, start: datetime, handoff: time, people: tuple[str, ...] = ("ann", "bo")) -> Schedule:
    return Schedule(zone, (Layer("daily", people, start, ShiftLength.days(1), handoff),))


def local(zone: str, when: datetime) -> str:
    return when.astimezone(ZoneInfo(zone)).isoformat()


# -- the documented rules, by example ----------------------------------------------------------

# (zone, day, hand-off time, the local instant that hand-off happens at)
SKIPPED = [
    ("Europe/Stockholm", date(2026, 3, 29), time(2, 30), "2026-03-29T03:30:00+02:00"),
    ("America/Havana", date(2026, 3, 8), time(0, 0), "2026-03-08T01:00:00-04:00"),
    ("America/Havana", date(2026, 3, 8), time(0, 30), "2026-03-08T01:30:00-04:00"),
    ("America/Santiago", date(2026, 9, 6), time(0, 0), "2026-09-06T01:00:00-03:00"),
    ("Asia/Beirut", date(2026, 3, 29), time(0, 0), "2026-03-29T01:00:00+03:00"),
    ("America/Asuncion", date(2024, 10, 6), time(0, 15), "2024-10-06T01:15:00-03:00"),
    ("Africa/Cairo", date(2026, 4, 24), time(0, 0), "2026-04-24T01:00:00+03:00"),
    ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 15), "2026-10-04T02:45:00+11:00"),
]
# (zone, day, hand-off time, the first occurrence)
TWICE = [
    ("Europe/Stockholm", date(2026, 10, 25), time(2, 30), "2026-10-25T02:30:00+02:00"),
    ("America/Havana", date(2026, 11, 1), time(0, 0), "2026-11-01T00:00:00-04:00"),
    ("America/Santiago", date(2026, 4, 4), time(23, 30), "2026-04-04T23:30:00-03:00"),
    ("Asia/Beirut", date(2026, 10, 24), time(23, 0), "2026-10-24T23:00:00+03:00"),
    ("America/Asuncion", date(2024, 3, 23), time(23, 45), "2024-03-23T23:45:00-03:00"),
    ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), "2026-04-05T01:45:00+11:00"),
]


@pytest.mark.parametrize(("zone", "day", "handoff", "expected"), SKIPPED)
def test_skipped_handoff_moves_forward_by_the_jump(zone: str, day: date, handoff: time, expected: str) -> None:
    start = local_instant(ZoneInfo(zone), day - timedelta(days=3), handoff)
    schedule = daily(zone, start, handoff)
    found = handoffs(schedule.layers[0], zone, start, start + timedelta(days=6))
    assert local(zone, found[3]) == expected
    # The shift into the jump lasts 24 real hours; the one after it gives the jump back and ends at
    # the configured wall time again.
    tz = ZoneInfo(zone)
    jump = found[3].astimezone(tz).utcoffset() - found[2].astimezone(tz).utcoffset()  # type: ignore[operator]
    assert jump > timedelta(0)
    assert found[3] - found[2] == 24 * HOUR
    assert found[4] - found[3] == 24 * HOUR - jump
    assert found[4].astimezone(tz).time() == handoff
    assert on_call_at(schedule, found[3] - timedelta(seconds=1)) == "ann"
    assert on_call_at(schedule, found[3]) == "bo"


@pytest.mark.parametrize(("zone", "day", "handoff", "expected"), TWICE)
def test_twice_shown_handoff_takes_the_first_occurrence(zone: str, day: date, handoff: time, expected: str) -> None:
    start = local_instant(ZoneInfo(zone), day - timedelta(days=3), handoff)
    schedule = daily(zone, start, handoff)
    found = handoffs(schedule.layers[0], zone, start, start + timedelta(days=6))
    assert local(zone, found[3]) == expected
    assert found[4] - found[3] > 24 * HOUR  # the repeated wall-clock time lands in the day after
    shifts = final_shifts(schedule, start, start + timedelta(days=6))
    assert [s.start for s in shifts] == found


def test_layer_can_start_on_a_skipped_handoff_that_crosses_midnight() -> None:
    # Nuuk skips 23:00-23:59 on Saturday 28 March 2026: the 23:30 hand-off happens at 00:30 on Sunday.
    nuuk = ZoneInfo("America/Nuuk")
    start = local_instant(nuuk, date(2026, 3, 28), time(23, 30))
    assert start.astimezone(nuuk).isoformat() == "2026-03-29T00:30:00-01:00"
    schedule = daily("America/Nuuk", start, time(23, 30))
    found = handoffs(schedule.layers[0], nuuk, start, start + timedelta(days=1))
    assert [local("America/Nuuk", h) for h in found] == ["2026-03-29T00:30:00-01:00", "2026-03-29T23:30:00-01:00"]


def test_restriction_window_opening_in_a_skipped_hour_opens_when_clocks_resume() -> None:
    # Havana's clocks go from 00:00 to 01:00 on 8 March 2026: a 00:00-08:00 window is 7 real hours.
    early = Restriction((6,), time(0), time(8))
    start = local_instant(ZoneInfo("America/Havana"), date(2026, 3, 2), time(9))
    layer = Layer("early", ("ann",), start, ShiftLength.weeks(1), restrictions=(early,))
    [sunday] = layer_shifts(layer, "America/Havana", start, start + timedelta(days=7))
    assert local("America/Havana", sunday.start) == "2026-03-08T01:00:00-04:00"
    assert sunday.end - sunday.start == 7 * HOUR


def test_a_skipped_calendar_day_skips_that_days_turn() -> None:
    # Samoa skipped 30 December 2011 entirely; its 09:00 hand-off is the same instant as the 31st's.
    apia = "Pacific/Apia"
    start = local_instant(ZoneInfo(apia), date(2011, 12, 28), time(9))
    schedule = daily(apia, start, time(9), ("ann", "bo", "cy"))
    shifts = final_shifts(schedule, start, start + timedelta(days=3))
    assert [s.user for s in shifts] == ["ann", "bo", "ann"]  # cy's 30 December never happened
    assert gaps(schedule, start, start + timedelta(days=3)) == []


# -- properties -------------------------------------------------------------------------------


@cache
def _change_days(zone: str) -> tuple[date, ...]:
    """Days on which the zone's UTC offset changes, in the test range (found by daily sampling)."""
    tz, days = ZoneInfo(zone), []
    day = FIRST_DAY
    before = datetime.combine(day, time(12), tzinfo=UTC).astimezone(tz).utcoffset()
    while day < LAST_DAY:
        day += timedelta(days=1)
        now = datetime.combine(day, time(12), tzinfo=UTC).astimezone(tz).utcoffset()
        if now != before:
            days.append(day)
        before = now
    return tuple(days) or (FIRST_DAY,)


PEOPLE = ("ann", "bo", "cy", "di", "ed")
Case = tuple[Schedule, datetime, datetime]  # a schedule and a window [lo, hi)


@st.composite
def wall_times(draw: st.DrawFn) -> time:
    # Midnight and the small hours are where DST changes happen, so they are drawn more often.
    hour = draw(st.one_of(st.sampled_from([0, 1, 2, 3, 23]), st.integers(0, 23)))
    return time(hour, draw(st.sampled_from([0, 15, 30, 45])))


@st.composite
def restrictions(draw: st.DrawFn) -> Restriction:
    days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
    return Restriction(tuple(days), draw(wall_times()), draw(wall_times()))


@st.composite
def layers(
    draw: st.DrawFn, zone: str, name: str, *, plain: bool = False, calendar: bool = False, near: date | None = None
) -> Layer:
    unit = draw(st.sampled_from([Unit.DAYS, Unit.WEEKS] if calendar else list(Unit)))
    count = draw(st.integers(1, {Unit.HOURS: 36, Unit.DAYS: 4, Unit.WEEKS: 2}[unit]))
    handoff = draw(wall_times())
    latest = near if near is not None else LAST_DAY
    first_day = latest - timedelta(days=draw(st.integers(1, 800)))
    start = local_instant(ZoneInfo(zone), first_day, handoff)
    people = tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1 if not calendar else 2, max_size=5)))
    pattern: tuple[tuple[int, bool], ...] = ()
    rules: tuple[Restriction, ...] = ()
    if not plain:
        steps = draw(st.lists(st.tuples(st.integers(1, 4), st.booleans()), max_size=3))
        pattern = tuple(steps) if any(on for _, on in steps) else ()
        rules = tuple(draw(st.lists(restrictions(), max_size=2)))
    return Layer(name, people, start, ShiftLength(count, unit), handoff, pattern, rules)


@st.composite
def windows(draw: st.DrawFn, zone: str, max_days: int = 40) -> tuple[datetime, datetime]:
    """A window in the test range, half the time within days of one of the zone's DST changes."""
    if draw(st.booleans()):
        around = draw(st.sampled_from(_change_days(zone)))
        start = datetime.combine(around, time(0), tzinfo=UTC) + timedelta(minutes=draw(st.integers(-4320, 1440)))
    else:
        start = datetime.combine(FIRST_DAY, time(0), tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 1_900_000)))
    return start, start + timedelta(minutes=draw(st.integers(1, max_days * 1440)))


@st.composite
def scenarios(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(ZONES))
    lo, hi = draw(windows(zone))
    count = draw(st.integers(1, 3))
    stack = tuple(draw(layers(zone, f"layer-{k}", near=hi.date())) for k in range(count))
    overrides = []
    for _ in range(draw(st.integers(0, 4))):
        start = lo + timedelta(minutes=draw(st.integers(-600, int((hi - lo) / timedelta(minutes=1)))))
        end = start + timedelta(minutes=draw(st.integers(1, 3 * 1440)))
        overrides.append(Override(draw(st.sampled_from((*PEOPLE, "sub"))), start, end))
    return Schedule(zone, stack, tuple(overrides)), lo, hi


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _covered(shifts: list[Shift], instant: datetime) -> Shift | None:
    return next((s for s in shifts if s.start <= instant < s.end), None)


@PROPERTY
@given(scenarios())
def test_final_shifts_are_sorted_disjoint_merged_and_cover_every_layer(case: Case) -> None:
    schedule, lo, hi = case
    shifts = final_shifts(schedule, lo, hi)
    for shift in shifts:
        assert lo <= shift.start < shift.end <= hi
        assert shift.start.tzinfo is UTC
    for before, after in pairwise(shifts):
        assert before.end <= after.start
        assert not (before.end == after.start and (before.user, before.source) == (after.user, after.source))
    # No hole inside any layer's own coverage: wherever a layer has someone on, someone is on.
    holes = gaps(schedule, lo, hi)
    for layer in schedule.layers:
        for piece in layer_shifts(layer, schedule.timezone, lo, hi):
            assert all(end <= piece.start or start >= piece.end for start, end in holes)


@PROPERTY
@given(st.data())
def test_a_single_round_the_clock_layer_leaves_no_gaps(data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    lo, hi = data.draw(windows(zone, max_days=120))
    layer = data.draw(layers(zone, "only", plain=True, near=lo.date()))
    schedule = Schedule(zone, (layer,))
    assert gaps(schedule, lo, hi) == ([(lo, min(layer.start, hi))] if lo < layer.start else [])
    # Every participant gets turns, in order.
    users = [s.user for s in final_shifts(schedule, min(max(lo, layer.start), hi), hi)]
    people = layer.participants
    if len(set(people)) == len(people) and len(users) > 1:
        first = people.index(users[0])
        assert users == [people[(first + k) % len(people)] for k in range(len(users))]


@PROPERTY
@given(scenarios(), st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8))
def test_on_call_at_agrees_with_the_final_shifts(case: Case, at: list[float]) -> None:
    schedule, lo, hi = case
    shifts = final_shifts(schedule, lo, hi)
    instants = [min(lo + (hi - lo) * f, hi - TICK) for f in at]
    instants += [s.start for s in shifts] + [s.end - TICK for s in shifts]
    for instant in instants:
        covering = _covered(shifts, instant)
        assert on_call_at(schedule, instant) == (covering.user if covering else None), instant


@PROPERTY
@given(st.data())
def test_day_and_week_handoffs_show_the_configured_wall_clock_time(data: st.DataObject) -> None:
    zone = data.draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone)
    lo, hi = data.draw(windows(zone, max_days=120))
    layer = data.draw(layers(zone, "rota", calendar=True, near=lo.date()))
    assert layer.handoff is not None
    unit_days = layer.shift_length.count * (7 if layer.shift_length.unit is Unit.WEEKS else 1)
    turn_days = unit_days * max(1, sum(count for count, _ in layer.pattern))
    first_day = layer.start.astimezone(tz).date()
    found = handoffs(layer, zone, lo, hi)
    for at in found:
        shown = at.astimezone(tz)
        turns = round((shown.date() - first_day).days / turn_days)
        wall = datetime.combine(first_day + timedelta(days=turns * turn_days), layer.handoff)
        if _exists(tz, wall):
            # The configured wall time on the right day, and its first occurrence when there are two.
            assert shown.replace(tzinfo=None) == wall and shown.fold == 0, shown
        else:
            # Skipped by a jump forward: read with the offset in force before the jump.
            offset_before = (at - 6 * HOUR).astimezone(tz).utcoffset()
            assert offset_before is not None
            assert at == (wall - offset_before).replace(tzinfo=UTC), shown
    # Turns follow each other by whole calendar days, whatever the UTC length.
    steps = {(b.astimezone(tz).date() - a.astimezone(tz).date()).days for a, b in pairwise(found)}
    assert steps <= {turn_days - 1, turn_days, turn_days + 1}


def _exists(tz: ZoneInfo, wall: datetime) -> bool:
    for fold in (0, 1):
        back = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back == wall:
            return True
    return False


@PROPERTY
@given(scenarios(), st.floats(0, 1))
def test_a_window_split_in_two_gives_the_same_shifts(case: Case, cut: float) -> None:
    schedule, lo, hi = case
    mid = lo + (hi - lo) * cut
    joined = final_shifts(schedule, lo, mid) + final_shifts(schedule, mid, hi)
    merged: list[Shift] = []
    for shift in joined:
        last = merged[-1] if merged else None
        if last and last.end == shift.start and (last.user, last.source) == (shift.user, shift.source):
            merged[-1] = Shift(last.user, last.start, shift.end, last.source)
        else:
            merged.append(shift)
    assert merged == final_shifts(schedule, lo, hi)


@PROPERTY
@given(scenarios(), st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=5))
def test_overrides_win(case: Case, at: list[float]) -> None:
    schedule, lo, hi = case
    shifts = final_shifts(schedule, lo, hi)
    for k, override in enumerate(schedule.overrides):
        later = schedule.overrides[k + 1 :]
        for f in at:
            instant = min(override.start + (override.end - override.start) * f, override.end - TICK)
            if any(o.start <= instant < o.end for o in later):
                continue  # a later override wins there
            assert on_call_at(schedule, instant) == override.user
            if lo <= instant < hi:
                covering = _covered(shifts, instant)
                assert covering is not None and (covering.user, covering.source) == (override.user, OVERRIDE)


# Found by hypothesis: ann is on call on every other day (an on/off pattern), and only on Mondays (a
# restriction), so every other Monday; the look-ahead once stopped at the longest turn plus a week.
_EVERY_OTHER_MONDAY = (Schedule("Europe/Stockholm", (Layer(
    "layer-0", ("ann",), datetime(2023, 5, 29, 22, 0, tzinfo=UTC), ShiftLength(1, Unit.DAYS), time(0, 0),
    ((1, False), (1, True)), (Restriction((0,), time(0, 0), time(0, 0)),)),), ()),
    datetime(2023, 6, 1, tzinfo=UTC), datetime(2023, 6, 1, 0, 1, tzinfo=UTC))


@PROPERTY
@given(scenarios(), st.floats(0, 1, exclude_max=True))
@example(_EVERY_OTHER_MONDAY, 0.0)
def test_next_change_is_the_first_change_of_person(case: Case, at: float) -> None:
    schedule, lo, hi = case
    now = min(lo + (hi - lo) * at, hi - TICK)
    current = on_call_at(schedule, now)
    change = next_change_after(schedule, now)
    if change is None:
        later = final_shifts(schedule, now, now + timedelta(days=60))
        assert [s.user for s in later] == ([current] * len(later))
        assert (gaps(schedule, now, now + timedelta(days=60)) == []) == (current is not None)
        return
    assert change.at > now and change.user != current
    assert on_call_at(schedule, change.at) == change.user
    assert on_call_at(schedule, change.at - TICK) == current
    assert {s.user for s in final_shifts(schedule, now, change.at)} <= {current}
    if current is not None:
        assert gaps(schedule, now, change.at) == []
