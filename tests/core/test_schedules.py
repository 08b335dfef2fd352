"""On-call schedules: rotations, restrictions, overrides and swaps as on-call engineers use them.

DST rules and the property tests are in test_schedules_dst.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from firebell.core.schedules import (
    BUSINESS_HOURS,
    OVERRIDE,
    Change,
    Layer,
    Override,
    Restriction,
    Schedule,
    ShiftLength,
    final_shifts,
    gaps,
    handoffs,
    layer_shifts,
    next_change_after,
    on_call_at,
    swap,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOUR = timedelta(hours=1)


def sthlm(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=STOCKHOLM)


def utc_of(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """The UTC instant of a Stockholm wall time, as the API returns it."""
    return sthlm(y, m, d, h, mi).astimezone(UTC)


def weekly(name: str, people: tuple[str, ...], start: datetime, restrictions: tuple[Restriction, ...] = ()) -> Layer:
    return Layer(name, people, start, ShiftLength.weeks(1), time(9), restrictions=restrictions)


def test_weekly_monday_0900_rotation_keeps_local_time_across_both_2026_dst_changes() -> None:
    layer = weekly("primary", ("ann", "bo", "cy"), sthlm(2026, 3, 16, 9))
    schedule = Schedule("Europe/Stockholm", (layer,))
    shifts = final_shifts(schedule, sthlm(2026, 3, 16, 9), sthlm(2026, 11, 2, 9))
    assert len(shifts) == 33
    for shift in shifts:
        local = shift.start.astimezone(STOCKHOLM)
        assert (local.weekday(), local.time()) == (0, time(9)), local
        assert shift.end.astimezone(STOCKHOLM).time() == time(9)
    hours = {shift.start.astimezone(STOCKHOLM).date(): (shift.end - shift.start) / HOUR for shift in shifts}
    assert hours[date(2026, 3, 23)] == 167  # clocks jump forward on 29 March
    assert hours[date(2026, 10, 19)] == 169  # and back on 25 October
    assert {h for d, h in hours.items() if d not in (date(2026, 3, 23), date(2026, 10, 19))} == {168}
    # The hand-off on 30 March is at 09:00 CEST, 07:00 UTC: an hour earlier in UTC than the week before.
    assert on_call_at(schedule, sthlm(2026, 3, 30, 8, 59)) == "bo"
    assert on_call_at(schedule, sthlm(2026, 3, 30, 9)) == "cy"
    assert on_call_at(schedule, datetime(2026, 3, 30, 7, tzinfo=UTC)) == "cy"
    assert on_call_at(schedule, sthlm(2026, 10, 26, 8, 59)) == "bo"  # week 31 since 16 March: 31 % 3 == 1
    assert on_call_at(schedule, sthlm(2026, 10, 26, 9)) == "cy"


def test_tensafe_odd_and_even_weeks_primary_and_secondary() -> None:
    # Runbook: "Odd weeks: Engineer A primary / B secondary; even weeks: B primary / C secondary".
    # Two schedules (one person on call per schedule), weekly from Monday 09:00 of ISO week 1 of 2026.
    first_monday = sthlm(2025, 12, 29, 9)
    primary = Schedule("Europe/Stockholm", (weekly("primary", ("engineer-a", "engineer-b"), first_monday),))
    secondary = Schedule("Europe/Stockholm", (weekly("secondary", ("engineer-b", "engineer-c"), first_monday),))
    for week in range(1, 54):
        wednesday_noon = datetime.combine(date.fromisocalendar(2026, week, 3), time(12), tzinfo=STOCKHOLM)
        odd = week % 2 == 1
        assert on_call_at(primary, wednesday_noon) == ("engineer-a" if odd else "engineer-b"), week
        assert on_call_at(secondary, wednesday_noon) == ("engineer-b" if odd else "engineer-c"), week
    # 2026 has 53 ISO weeks, so week 1 of 2027 follows odd week 53: a rotation keeps alternating and
    # puts B on, where the runbook's parity says A. The runbook needs an override that week.
    first_week_2027 = sthlm(2027, 1, 6, 12)
    assert on_call_at(primary, first_week_2027) == "engineer-b"
    # Monday before the 09:00 hand-off still belongs to last week's pair.
    assert on_call_at(primary, sthlm(2026, 1, 5, 8)) == "engineer-a"
    assert on_call_at(primary, sthlm(2026, 1, 5, 9)) == "engineer-b"


def _business_over_nights() -> Schedule:
    nights = Layer("round-the-clock", ("nina", "nils"), sthlm(2026, 6, 1, 9), ShiftLength.days(7), time(9))
    office = weekly("office", ("olle", "oda"), sthlm(2026, 6, 1, 9), restrictions=(BUSINESS_HOURS,))
    return Schedule("Europe/Stockholm", (nights, office))


def test_business_hours_layer_with_the_24x7_layer_showing_through_outside_them() -> None:
    schedule = _business_over_nights()
    assert on_call_at(schedule, sthlm(2026, 6, 2, 10)) == "olle"  # Tuesday morning
    assert on_call_at(schedule, sthlm(2026, 6, 2, 17)) == "nina"  # 17:00 is the end of business hours
    assert on_call_at(schedule, sthlm(2026, 6, 3, 3)) == "nina"  # night
    assert on_call_at(schedule, sthlm(2026, 6, 6, 12)) == "nina"  # Saturday
    assert on_call_at(schedule, sthlm(2026, 6, 9, 12)) == "oda"  # next week, next office person
    week = final_shifts(schedule, sthlm(2026, 6, 1, 9), sthlm(2026, 6, 8, 9))
    assert gaps(schedule, sthlm(2026, 6, 1, 9), sthlm(2026, 6, 8, 9)) == []
    office = [s for s in week if s.source == "office"]
    assert [(s.start.astimezone(STOCKHOLM).hour, s.end.astimezone(STOCKHOLM).hour) for s in office] == [(9, 17)] * 5
    assert [s.source for s in week[:3]] == ["office", "round-the-clock", "office"]
    assert week[-1].source == "round-the-clock" and week[-1].end == sthlm(2026, 6, 8, 9)


def test_restricted_layer_alone_leaves_nights_and_weekends_uncovered() -> None:
    office = weekly("office", ("olle",), sthlm(2026, 6, 1, 9), restrictions=(BUSINESS_HOURS,))
    schedule = Schedule("Europe/Stockholm", (office,))
    holes = gaps(schedule, sthlm(2026, 6, 1), sthlm(2026, 6, 8))
    assert holes[0] == (utc_of(2026, 6, 1), utc_of(2026, 6, 1, 9))
    assert holes[1] == (utc_of(2026, 6, 1, 17), utc_of(2026, 6, 2, 9))
    assert holes[-1] == (utc_of(2026, 6, 5, 17), utc_of(2026, 6, 8))
    assert len(holes) == 6
    uncovered = sum((end - start for start, end in holes), timedelta(0))
    assert uncovered == timedelta(days=7) - 5 * 8 * HOUR
    assert on_call_at(schedule, sthlm(2026, 6, 3, 22)) is None


def test_night_restriction_runs_past_midnight() -> None:
    night = Restriction((0, 1, 2, 3, 4, 5, 6), time(22), time(6))
    layer = Layer("nights", ("nova",), sthlm(2026, 6, 1, 9), ShiftLength.days(1), restrictions=(night,))
    schedule = Schedule("Europe/Stockholm", (layer,))
    assert on_call_at(schedule, sthlm(2026, 6, 2, 23)) == "nova"
    assert on_call_at(schedule, sthlm(2026, 6, 3, 5, 59)) == "nova"
    assert on_call_at(schedule, sthlm(2026, 6, 3, 6)) is None
    shifts = final_shifts(schedule, sthlm(2026, 6, 2, 12), sthlm(2026, 6, 4, 12))
    assert [(s.start, s.end) for s in shifts] == [
        (utc_of(2026, 6, 2, 22), utc_of(2026, 6, 3, 6)),
        (utc_of(2026, 6, 3, 22), utc_of(2026, 6, 4, 6)),
    ]


def test_override_puts_someone_on_over_the_layer() -> None:
    layer = weekly("primary", ("ann", "bo"), sthlm(2026, 6, 1, 9))
    cover = Override("dentist-cover", sthlm(2026, 6, 3, 13), sthlm(2026, 6, 3, 15))
    schedule = Schedule("Europe/Stockholm", (layer,), (cover,))
    assert on_call_at(schedule, sthlm(2026, 6, 3, 14)) == "dentist-cover"
    assert on_call_at(schedule, sthlm(2026, 6, 3, 15)) == "ann"
    shifts = final_shifts(schedule, sthlm(2026, 6, 1, 9), sthlm(2026, 6, 8, 9))
    assert [(s.user, s.source) for s in shifts] == [("ann", "primary"), ("dentist-cover", OVERRIDE), ("ann", "primary")]
    assert shifts[1].start == cover.start and shifts[1].end == cover.end


def test_later_override_wins_where_overrides_overlap() -> None:
    layer = weekly("primary", ("ann",), sthlm(2026, 6, 1, 9))
    long = Override("bo", sthlm(2026, 6, 2, 8), sthlm(2026, 6, 2, 20))
    short = Override("cy", sthlm(2026, 6, 2, 12), sthlm(2026, 6, 2, 13))
    schedule = Schedule("Europe/Stockholm", (layer,), (long, short))
    shifts = final_shifts(schedule, sthlm(2026, 6, 2), sthlm(2026, 6, 3))
    assert [s.user for s in shifts] == ["ann", "bo", "cy", "bo", "ann"]
    reversed_order = Schedule("Europe/Stockholm", (layer,), (short, long))
    assert on_call_at(reversed_order, sthlm(2026, 6, 2, 12, 30)) == "bo"


def test_swap_trades_two_shifts() -> None:
    layer = Layer("primary", ("ann", "bo"), sthlm(2026, 6, 1, 9), ShiftLength.days(1))
    tz = "Europe/Stockholm"
    monday, tuesday = layer_shifts(layer, tz, sthlm(2026, 6, 1, 9), sthlm(2026, 6, 3, 9))
    assert (monday.user, tuesday.user) == ("ann", "bo")
    schedule = Schedule(tz, (layer,), swap(monday, tuesday))
    assert on_call_at(schedule, sthlm(2026, 6, 1, 12)) == "bo"
    assert on_call_at(schedule, sthlm(2026, 6, 2, 12)) == "ann"
    assert on_call_at(schedule, sthlm(2026, 6, 3, 12)) == "ann"  # the rotation itself is untouched
    assert [s.user for s in final_shifts(schedule, sthlm(2026, 6, 1, 9), sthlm(2026, 6, 3, 9))] == ["bo", "ann"]


def test_four_on_three_off_pattern_leaves_the_off_days_to_the_layer_below() -> None:
    crews = Layer("crews", ("ann", "bo"), sthlm(2026, 1, 5, 9), ShiftLength.days(1), pattern=((4, True), (3, False)))
    alone = Schedule("Europe/Stockholm", (crews,))
    shifts = final_shifts(alone, sthlm(2026, 1, 5, 9), sthlm(2026, 1, 26, 9))
    assert [(s.user, s.start, s.end) for s in shifts] == [
        ("ann", utc_of(2026, 1, 5, 9), utc_of(2026, 1, 9, 9)),
        ("bo", utc_of(2026, 1, 12, 9), utc_of(2026, 1, 16, 9)),
        ("ann", utc_of(2026, 1, 19, 9), utc_of(2026, 1, 23, 9)),
    ]
    assert len(gaps(alone, sthlm(2026, 1, 5, 9), sthlm(2026, 1, 26, 9))) == 3
    backstop = Layer("backstop", ("lead",), sthlm(2026, 1, 5, 9), ShiftLength.weeks(1))
    covered = Schedule("Europe/Stockholm", (backstop, crews))
    assert on_call_at(covered, sthlm(2026, 1, 10, 12)) == "lead"
    assert on_call_at(covered, sthlm(2026, 1, 13, 12)) == "bo"
    assert gaps(covered, sthlm(2026, 1, 5, 9), sthlm(2026, 1, 26, 9)) == []
    assert handoffs(crews, "Europe/Stockholm", sthlm(2026, 1, 5, 9), sthlm(2026, 1, 26, 9)) == [
        utc_of(2026, 1, d, 9) for d in (5, 12, 19)
    ]


def test_twelve_hour_shifts_count_elapsed_hours_across_dst() -> None:
    layer = Layer("12h", ("day", "night"), sthlm(2026, 3, 27, 9), ShiftLength.hours(12), time(9))
    shifts = layer_shifts(layer, STOCKHOLM, sthlm(2026, 3, 27, 9), sthlm(2026, 3, 31, 9))
    assert {s.end - s.start for s in shifts[:-1]} == {12 * HOUR}
    local = [s.start.astimezone(STOCKHOLM).strftime("%d %H:%M") for s in shifts]
    assert local[:6] == ["27 09:00", "27 21:00", "28 09:00", "28 21:00", "29 10:00", "29 22:00"]


def test_rotation_started_years_ago_is_found_by_arithmetic() -> None:
    layer = Layer("daily", ("ann", "bo", "cy", "di"), sthlm(2019, 2, 4, 9), ShiftLength.days(1))
    schedule = Schedule("Europe/Stockholm", (layer,))
    for day in (date(2019, 2, 5), date(2021, 3, 28), date(2026, 10, 25), date(2031, 7, 1)):
        index = (day - date(2019, 2, 4)).days
        noon = datetime.combine(day, time(12), tzinfo=STOCKHOLM)
        assert on_call_at(schedule, noon) == layer.participants[index % 4]
        assert on_call_at(schedule, noon.replace(hour=8)) == layer.participants[(index - 1) % 4]


def test_no_one_before_the_layer_starts() -> None:
    schedule = Schedule("Europe/Stockholm", (weekly("primary", ("ann",), sthlm(2026, 6, 1, 9)),))
    assert on_call_at(schedule, sthlm(2026, 6, 1, 8, 59)) is None
    assert final_shifts(schedule, sthlm(2026, 5, 1), sthlm(2026, 6, 1, 9)) == []
    assert gaps(schedule, sthlm(2026, 5, 31), sthlm(2026, 6, 2)) == [
        (utc_of(2026, 5, 31), utc_of(2026, 6, 1, 9))
    ]


def test_next_change_says_who_is_next_and_when() -> None:
    schedule = _business_over_nights()
    tuesday_night = sthlm(2026, 6, 2, 20)
    assert next_change_after(schedule, tuesday_night) == Change(utc_of(2026, 6, 3, 9), "olle", "office")
    assert next_change_after(schedule, sthlm(2026, 6, 3, 9)) == Change(
        utc_of(2026, 6, 3, 17), "nina", "round-the-clock"
    )
    # Over the weekend nina stays on; on Monday 09:00 nils takes the 24x7 layer, but the office layer
    # starts then too and wins, so the next person paged is oda.
    friday_evening = sthlm(2026, 6, 5, 17)
    assert next_change_after(schedule, friday_evening) == Change(utc_of(2026, 6, 8, 9), "oda", "office")
    assert next_change_after(schedule, sthlm(2026, 6, 8, 9)) == Change(
        utc_of(2026, 6, 8, 17), "nils", "round-the-clock"
    )


def test_next_change_to_no_one_and_never() -> None:
    office_hours = weekly("office", ("olle",), sthlm(2026, 6, 1, 9), restrictions=(BUSINESS_HOURS,))
    office = Schedule("Europe/Stockholm", (office_hours,))
    assert next_change_after(office, sthlm(2026, 6, 5, 16)) == Change(utc_of(2026, 6, 5, 17), None, None)
    assert next_change_after(office, sthlm(2026, 6, 6, 12)) == Change(utc_of(2026, 6, 8, 9), "olle", "office")
    solo = Schedule("Europe/Stockholm", (weekly("solo", ("sam", "sam"), sthlm(2026, 6, 1, 9)),))
    assert next_change_after(solo, sthlm(2026, 7, 1)) is None
    covered = Schedule("Europe/Stockholm", solo.layers, (Override("kim", sthlm(2027, 2, 1), sthlm(2027, 2, 2)),))
    assert next_change_after(covered, sthlm(2026, 7, 1)) == Change(utc_of(2027, 2, 1), "kim", OVERRIDE)
    assert next_change_after(covered, sthlm(2027, 2, 1, 12)) == Change(utc_of(2027, 2, 2), "sam", "solo")
    assert next_change_after(covered, sthlm(2027, 2, 3)) is None
    empty = Schedule("UTC")
    assert next_change_after(empty, sthlm(2026, 7, 1)) is None


def test_times_must_be_timezone_aware_and_zones_real() -> None:
    naive = datetime(2026, 6, 1, 9)
    layer = weekly("primary", ("ann",), sthlm(2026, 6, 1, 9))
    schedule = Schedule("Europe/Stockholm", (layer,))
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call_at(schedule, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        final_shifts(schedule, naive, sthlm(2026, 6, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        Layer("primary", ("ann",), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        Override("ann", naive, sthlm(2026, 6, 2))
    with pytest.raises(ValueError, match="IANA"):
        Schedule("Europe/Stockholmm", (layer,))
    with pytest.raises(ValueError, match="ends"):
        final_shifts(schedule, sthlm(2026, 6, 2), sthlm(2026, 6, 1))
    # Any zone is accepted for input; output is always UTC.
    shifts = final_shifts(schedule, sthlm(2026, 6, 1, 9), sthlm(2026, 6, 2))
    assert shifts[0].start.tzinfo is UTC and shifts[0].start == sthlm(2026, 6, 1, 9)


def test_layer_definitions_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="not a hand-off"):
        Schedule("Europe/Stockholm", (weekly("primary", ("ann",), sthlm(2026, 6, 1, 10)),))
    with pytest.raises(ValueError, match="participant"):
        weekly("primary", (), sthlm(2026, 6, 1, 9))
    with pytest.raises(ValueError, match="unique"):
        Schedule("UTC", (weekly("a", ("x",), sthlm(2026, 6, 1, 9)), weekly("a", ("y",), sthlm(2026, 6, 1, 9))))
    with pytest.raises(ValueError, match="covers no one"):
        Layer("p", ("x",), sthlm(2026, 6, 1, 9), ShiftLength.days(1), pattern=((3, False),))
    with pytest.raises(ValueError, match=">= 1"):
        ShiftLength.hours(0)
    with pytest.raises(ValueError, match="weekdays"):
        Restriction((7,), time(9), time(17))
    with pytest.raises(ValueError, match="end after"):
        Override("ann", sthlm(2026, 6, 2), sthlm(2026, 6, 2))
