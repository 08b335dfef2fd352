"""The 90-day bars and uptime percentage of a component, from its status changes.

The rule (docs/status-page.md, "Uptime"):
- A component's status holds from one change to the next (the last until `now`). Before its first
  change (its creation) there is no data.
- The window is the last `days` calendar days in the page's time zone, today included: day buckets
  start at local midnight, so a day is 23 or 25 hours across a DST change.
- A day's `worst` is the worst status held for any time that day, maintenance left aside; a day
  with data only under maintenance is `under_maintenance`; a day with no data is `operational`.
  `maintenance` says whether the component was under maintenance at any time that day.
- Uptime counts only the time with data that was not under maintenance: maintenance is shown apart
  and never counts against uptime. Downtime weighs `major_outage` fully and `partial_outage` half;
  `degraded_performance` is slow but up. percent = 100 x (1 - downtime / counted time), to two
  decimals; None when no counted time at all.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from firebell.core.statuspage.rollup import COMPONENT_BADNESS, ComponentStatus

DAYS = 90
DOWNTIME_WEIGHT: dict[ComponentStatus, float] = {
    ComponentStatus.OPERATIONAL: 0.0, ComponentStatus.DEGRADED_PERFORMANCE: 0.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.5, ComponentStatus.MAJOR_OUTAGE: 1.0,
}


@dataclass(frozen=True)
class StatusChange:
    at: datetime  # aware
    status: ComponentStatus


@dataclass(frozen=True)
class Day:
    date: date
    worst: ComponentStatus
    maintenance: bool


@dataclass(frozen=True)
class Uptime:
    percent: float | None
    days: tuple[Day, ...]


def day_starts(zone: tzinfo, now: datetime, days: int = DAYS) -> list[datetime]:
    """The UTC instants at which each of the `days` local days begins, then the next day's start."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    return [datetime.combine(first + timedelta(days=i), time(), tzinfo=zone).astimezone(UTC)
            for i in range(days + 1)]


def uptime(changes: Sequence[StatusChange], zone: tzinfo, now: datetime, days: int = DAYS) -> Uptime:
    starts = day_starts(zone, now, days)
    seen: list[set[ComponentStatus]] = [set() for _ in range(days)]
    counted = down = 0.0
    ordered = sorted(changes, key=lambda change: change.at)
    for index, change in enumerate(ordered):
        begin = max(change.at, starts[0])
        end = min(ordered[index + 1].at if index + 1 < len(ordered) else now, now)
        if end <= begin:
            continue
        day = bisect_right(starts, begin) - 1
        while day < days and starts[day] < end:
            if min(end, starts[day + 1]) > max(begin, starts[day]):
                seen[day].add(change.status)
            day += 1
        if change.status is not ComponentStatus.UNDER_MAINTENANCE:
            seconds = (end - begin).total_seconds()
            counted += seconds
            down += seconds * DOWNTIME_WEIGHT[change.status]
    first_day = starts[0].astimezone(zone).date()
    out = tuple(_day(first_day + timedelta(days=i), held) for i, held in enumerate(seen))
    percent = None if counted <= 0 else round(100.0 * (1.0 - down / counted), 2)
    return Uptime(percent, out)


def _day(on: date, held: set[ComponentStatus]) -> Day:
    maintenance = ComponentStatus.UNDER_MAINTENANCE in held
    trouble = held - {ComponentStatus.UNDER_MAINTENANCE}
    if trouble:
        worst = max(trouble, key=COMPONENT_BADNESS.__getitem__)
    else:
        worst = ComponentStatus.UNDER_MAINTENANCE if maintenance else ComponentStatus.OPERATIONAL
    return Day(on, worst, maintenance)
