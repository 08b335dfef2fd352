"""Swaps: two people trade shifts, and only shifts that are theirs. Examples, then properties over the
same DST-heavy scenarios as test_schedules_dst.py."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from firebell.core.schedules import (
    Layer,
    Schedule,
    Shift,
    ShiftLength,
    final_shifts,
    holds,
    layer_shifts,
    on_call_at,
    swap,
    swap_refusal,
)
from tests.core.test_schedules import sthlm
from tests.core.test_schedules_dst import PROPERTY, TICK, Case, scenarios

DAILY = Layer("primary", ("ann", "bo", "cy"), sthlm(2026, 6, 1, 9), ShiftLength.days(1))
TZ = "Europe/Stockholm"


def _days() -> tuple[Schedule, list[Shift]]:
    schedule = Schedule(TZ, (DAILY,))
    return schedule, layer_shifts(DAILY, TZ, sthlm(2026, 6, 1, 9), sthlm(2026, 6, 4, 9))


def test_two_peoples_own_shifts_can_be_traded() -> None:
    schedule, (ann, bo, _) = _days()
    assert swap_refusal(schedule, ann, bo) is None
    half = Shift("ann", ann.start, ann.start + timedelta(hours=6), "")  # part of a shift is theirs too
    assert swap_refusal(schedule, half, bo) is None


def test_a_shift_that_is_not_the_named_persons_is_refused_in_local_time() -> None:
    schedule, (ann, bo, cy) = _days()
    wrong = Shift("ann", bo.start, bo.end, "")
    reason = swap_refusal(schedule, wrong, cy)
    assert reason is not None and "ann is not on call for all of Tue 02 Jun 09:00 CEST" in reason
    longer = Shift("ann", ann.start, ann.end + timedelta(hours=1), "")  # reaches into bo's day
    assert swap_refusal(schedule, longer, cy) is not None
    assert "two people" in (swap_refusal(schedule, ann, Shift("ann", cy.start, cy.end, "")) or "")
    overlapping = Shift("bo", ann.end - timedelta(hours=1), bo.end, "")
    assert "overlap" in (swap_refusal(schedule, ann, overlapping) or "")


def test_no_one_holds_a_gap() -> None:
    schedule = Schedule(TZ, (DAILY,))
    before = sthlm(2026, 5, 31, 9)  # the layer starts on 1 June
    assert not holds(schedule, "ann", before, sthlm(2026, 6, 1, 10))
    assert holds(schedule, "ann", sthlm(2026, 6, 1, 9), sthlm(2026, 6, 2, 9))
    assert not holds(schedule, "ann", sthlm(2026, 6, 1, 9), sthlm(2026, 6, 1, 9))  # nothing is not a shift


def _instants(shift: Shift, fractions: list[float]) -> list[datetime]:
    return [min(shift.start + (shift.end - shift.start) * f, shift.end - TICK) for f in fractions]


@PROPERTY
@given(scenarios(), st.data(), st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=4))
def test_a_swap_puts_each_on_the_others_shift_and_changes_nothing_else(case: Case, data: st.DataObject,
                                                                       at: list[float]) -> None:
    schedule, lo, hi = case
    shifts = final_shifts(schedule, lo, hi)
    assume(len({s.user for s in shifts}) >= 2)
    first = data.draw(st.sampled_from(shifts))
    second = data.draw(st.sampled_from([s for s in shifts if s.user != first.user]))
    assert swap_refusal(schedule, first, second) is None
    traded = Schedule(schedule.timezone, schedule.layers, schedule.overrides + swap(first, second))
    for instant in _instants(first, at):
        assert on_call_at(traded, instant) == second.user
    for instant in _instants(second, at):
        assert on_call_at(traded, instant) == first.user
    for other in shifts:
        if other not in (first, second):
            assert all(on_call_at(traded, i) == other.user for i in _instants(other, at))


@PROPERTY
@given(scenarios(), st.data())
def test_a_shift_reaching_past_its_persons_time_is_refused(case: Case, data: st.DataObject) -> None:
    schedule, lo, hi = case
    shifts = final_shifts(schedule, lo, hi)
    assume(len({s.user for s in shifts}) >= 2)
    mine = data.draw(st.sampled_from(shifts))
    theirs = data.draw(st.sampled_from([s for s in shifts if s.user != mine.user]))
    # Stretch `mine` one minute into whatever follows it (someone else, or no one), unless the next
    # stretch is `theirs` (then the refusal would be for the overlap, which is also right).
    stretched = Shift(mine.user, mine.start, mine.end + timedelta(minutes=1), "")
    assume(not holds(schedule, mine.user, mine.end, stretched.end))
    assert swap_refusal(schedule, stretched, theirs) is not None
    assert holds(schedule, mine.user, mine.start, mine.end)
