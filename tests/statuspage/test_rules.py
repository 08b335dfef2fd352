"""The pure rules: roll-up, state machines, uptime buckets (core/statuspage/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.errors import Conflict, Invalid
from firebell.core.statuspage.policy import Publish, SeverityPolicy, auto_open_due
from firebell.core.statuspage.rollup import (
    COMPONENT_BADNESS,
    ComponentStatus,
    Impact,
    Indicator,
    description,
    indicator,
    indicator_rank,
    worst,
)
from firebell.core.statuspage.states import (
    REACH,
    IncidentStatus,
    MaintenanceStatus,
    due_maintenance,
    new_window,
    next_incident_status,
    next_maintenance_status,
    window_in_reach,
)
from firebell.core.statuspage.uptime import StatusChange, uptime

statuses = st.sampled_from(list(ComponentStatus))
impacts = st.sampled_from(list(Impact))
_IMPACT_ORDER = list(Impact)


@given(st.lists(statuses, max_size=8), st.lists(impacts, max_size=4), st.booleans(),
       st.integers(0, 8), statuses, st.integers(0, 4), impacts)
def test_a_worse_component_or_incident_never_improves_the_indicator(
        components: list[ComponentStatus], incidents: list[Impact], maintenance: bool, at: int,
        worse: ComponentStatus, impact_at: int, worse_impact: Impact) -> None:
    before = indicator(components, incidents, maintenance_active=maintenance)
    if components and COMPONENT_BADNESS[worse] >= COMPONENT_BADNESS[components[at % len(components)]]:
        changed = [*components]
        changed[at % len(components)] = worse
        assert indicator_rank(indicator(changed, incidents, maintenance_active=maintenance)) >= indicator_rank(before)
    # a new component or incident, or a worse incident, never improves it either
    assert indicator_rank(indicator([*components, worse], incidents, maintenance_active=maintenance)) >= \
        indicator_rank(before)
    assert indicator_rank(indicator(components, [*incidents, worse_impact], maintenance_active=maintenance)) >= \
        indicator_rank(before)
    if incidents and _IMPACT_ORDER.index(worse_impact) >= _IMPACT_ORDER.index(incidents[impact_at % len(incidents)]):
        changed_impacts = [*incidents]
        changed_impacts[impact_at % len(incidents)] = worse_impact
        assert indicator_rank(indicator(components, changed_impacts, maintenance_active=maintenance)) >= \
            indicator_rank(before)


def test_the_roll_up_rule_as_written() -> None:
    op, dg, po, mo, um = list(ComponentStatus)
    assert indicator([op, op], []) is Indicator.NONE and description(Indicator.NONE) == "All Systems Operational"
    assert indicator([op, dg], []) is Indicator.MINOR
    assert indicator([po, dg], []) is Indicator.MAJOR
    assert indicator([mo, op], []) is Indicator.CRITICAL
    assert indicator([op], [Impact.CRITICAL]) is Indicator.CRITICAL  # an incident with all components up
    assert indicator([um, op], []) is Indicator.MAINTENANCE
    assert indicator([op], [], maintenance_active=True) is Indicator.MAINTENANCE
    assert indicator([um, dg], []) is Indicator.MINOR  # trouble during a maintenance shows as trouble
    assert description(Indicator.MAINTENANCE) == "Service Under Maintenance"
    assert worst([op, po, dg]) is po and worst([]) is op and worst([op, um]) is um


def test_public_incident_moves() -> None:
    inv, ide, mon, res, pm = list(IncidentStatus)
    assert next_incident_status(inv, mon) is mon and next_incident_status(mon, inv) is inv
    assert next_incident_status(ide, res) is res and next_incident_status(res, pm) is pm
    assert next_incident_status(res, inv) is inv  # reopened
    for bad in ((inv, pm), (pm, inv), (pm, res)):
        with pytest.raises(Conflict):
            next_incident_status(*bad)
    sch, run, ver, done = list(MaintenanceStatus)
    assert next_maintenance_status(sch, run) is run and next_maintenance_status(ver, run) is run
    with pytest.raises(Conflict):
        next_maintenance_status(done, run)
    with pytest.raises(Conflict):
        next_maintenance_status(run, sch)


T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@given(st.integers(-120, 240), st.integers(1, 300))
def test_the_clock_moves_a_maintenance_on_time(offset: int, length: int) -> None:
    start, end = T0, T0 + timedelta(minutes=length)
    now = T0 + timedelta(minutes=offset)
    moved = due_maintenance(MaintenanceStatus.SCHEDULED, start, end, now)
    expected = None if now < start else MaintenanceStatus.COMPLETED if now >= end else MaintenanceStatus.IN_PROGRESS
    assert moved == expected
    assert due_maintenance(MaintenanceStatus.IN_PROGRESS, start, end, now) == \
        (MaintenanceStatus.COMPLETED if now >= end else None)
    assert due_maintenance(MaintenanceStatus.SCHEDULED, start, end, now, auto_start=False) is None


@given(st.sampled_from(list(MaintenanceStatus)), st.integers(-300, 300), st.integers(-300, 300),
       st.integers(-300, 300))
def test_a_reschedule_never_yields_a_window_in_the_past_or_backwards(status: MaintenanceStatus, current: int,
                                                                    starts: int, ends: int) -> None:
    """Whatever is asked, a window taken ends after it starts and after now; a scheduled one starts where
    it was or from now on; a begun one keeps its start; a completed one is never moved."""
    now, at = T0, (lambda minutes: T0 + timedelta(minutes=minutes))
    try:
        taken = new_window(status, at(current), at(starts), at(ends), now)
    except Conflict:
        assert status is MaintenanceStatus.COMPLETED
        return
    except Invalid:
        expected_start = at(starts) if status is MaintenanceStatus.SCHEDULED else at(current)
        assert at(ends) <= expected_start or at(ends) <= now or (
            status is MaintenanceStatus.SCHEDULED and starts != current and at(starts) < now)
        return
    assert status is not MaintenanceStatus.COMPLETED
    start, end = taken
    assert end == at(ends) and end > start and end > now
    if status is MaintenanceStatus.SCHEDULED:
        assert start == at(starts) and (start >= now or starts == current)
    else:
        assert start == at(current)


def test_auto_open_timing() -> None:
    p1 = SeverityPolicy("P1", timedelta(0), Publish.IMMEDIATELY, ComponentStatus.MAJOR_OUTAGE)
    p2 = SeverityPolicy("P2", timedelta(hours=1), Publish.IMMEDIATELY, ComponentStatus.PARTIAL_OUTAGE)
    assert auto_open_due(p1, T0, T0, resolved=False, already_public=False)
    assert not auto_open_due(p2, T0, T0 + timedelta(minutes=59), resolved=False, already_public=False)
    assert auto_open_due(p2, T0, T0 + timedelta(hours=1), resolved=False, already_public=False)
    assert not auto_open_due(p2, T0, T0 + timedelta(hours=2), resolved=True, already_public=False)
    assert not auto_open_due(p1, T0, T0, resolved=False, already_public=True)
    assert p1.impact is Impact.CRITICAL


ZONES = st.sampled_from(["Europe/Stockholm", "America/New_York", "Australia/Lord_Howe", "Etc/UTC"])
NOW = datetime(2026, 11, 2, 12, 30, tzinfo=UTC)  # 90 days back crosses the autumn DST changes
changes = st.lists(st.tuples(st.integers(0, 100 * 24 * 60), statuses), min_size=1, max_size=12)


def _changes(raw: list[tuple[int, ComponentStatus]]) -> list[StatusChange]:
    return [StatusChange(NOW - timedelta(minutes=m), s) for m, s in raw]


@given(changes, ZONES)
def test_ninety_days_oldest_first_in_the_page_zone(raw: list[tuple[int, ComponentStatus]], zone: str) -> None:
    found = uptime(_changes(raw), ZoneInfo(zone), NOW)
    assert len(found.days) == 90
    assert found.days[-1].date == NOW.astimezone(ZoneInfo(zone)).date()
    assert all(b.date - a.date == timedelta(days=1) for a, b in zip(found.days, found.days[1:], strict=False))
    assert found.percent is None or 0.0 <= found.percent <= 100.0


@given(changes, ZONES, st.integers(0, 11))
def test_maintenance_never_counts_against_uptime(raw: list[tuple[int, ComponentStatus]], zone: str, at: int) -> None:
    """Turning an outage into maintenance never lowers uptime (that time no longer counts); turning any
    period into a major outage never raises it."""
    base = uptime(_changes(raw), ZoneInfo(zone), NOW).percent
    index = at % len(raw)
    as_maintenance = [*raw]
    as_maintenance[index] = (raw[index][0], ComponentStatus.UNDER_MAINTENANCE)
    maintained = uptime(_changes(as_maintenance), ZoneInfo(zone), NOW).percent
    if base is not None and maintained is not None and raw[index][1] is ComponentStatus.MAJOR_OUTAGE:
        assert maintained >= base - 1e-9
    as_outage = [*raw]
    as_outage[index] = (raw[index][0], ComponentStatus.MAJOR_OUTAGE)
    outage = uptime(_changes(as_outage), ZoneInfo(zone), NOW).percent
    if base is not None and outage is not None:
        assert outage <= base + 1e-9


def test_a_day_shows_its_worst_and_maintenance_apart() -> None:
    zone = ZoneInfo("Europe/Stockholm")
    day = datetime(2026, 11, 1, 0, 0, tzinfo=zone)  # a local day
    found = uptime([StatusChange(day - timedelta(days=3), ComponentStatus.OPERATIONAL),
                    StatusChange(day + timedelta(hours=2), ComponentStatus.PARTIAL_OUTAGE),
                    StatusChange(day + timedelta(hours=3), ComponentStatus.OPERATIONAL),
                    StatusChange(day + timedelta(hours=25), ComponentStatus.UNDER_MAINTENANCE),
                    StatusChange(day + timedelta(hours=26), ComponentStatus.OPERATIONAL)], zone, NOW)
    by_date = {d.date.isoformat(): d for d in found.days}
    assert by_date["2026-11-01"].worst is ComponentStatus.PARTIAL_OUTAGE and not by_date["2026-11-01"].maintenance
    assert by_date["2026-11-02"].worst is ComponentStatus.OPERATIONAL and by_date["2026-11-02"].maintenance
    assert by_date["2026-10-20"].worst is ComponentStatus.OPERATIONAL  # before any data
    # one hour of partial outage (half down) in the counted time; the maintenance hour is not counted
    counted = (NOW - (day - timedelta(days=3))).total_seconds() - 3600
    assert found.percent == round(100 * (1 - 1800 / counted), 2)
    assert uptime([], zone, NOW).percent is None


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
       st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=400)), ZONES)
def test_a_window_in_reach_can_be_shown_in_any_zone(starts: datetime, length: timedelta, zone: str) -> None:
    """What window_in_reach takes is near now, and every page can show it in its zone (a window in
    year 9999 was taken and made every page that shows it a 500)."""
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    ends = min(starts + length, datetime(9999, 12, 30, tzinfo=UTC))
    try:
        window_in_reach(starts, ends, now)
    except Invalid:
        assert starts < now - REACH or ends > now + REACH
        return
    assert now - REACH <= starts and ends <= now + REACH
    for at in (starts, ends):
        assert (at.astimezone(ZoneInfo(zone)) + timedelta(days=366)).year < 9999  # room for what a page adds
