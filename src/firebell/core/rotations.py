"""On-call rotations: one layer of a schedule, on its own, before layers and overrides are stacked.

Rules, as on-call engineers know them from PagerDuty, Grafana OnCall and GoAlert:

* Day- and week-based shifts hand off at a wall-clock time in the schedule's zone and advance by
  calendar days there. A weekly Monday 09:00 Europe/Stockholm rotation hands off at 09:00 local on
  both sides of a DST change, so that week lasts 167 or 169 real hours.
* Hour-based shifts advance by elapsed hours from the first hand-off. An hour of duty is an hour of
  work whatever the clocks do, and lengths that do not divide a day (5 h, 36 h) have no wall-clock
  time to keep anyway. So after a DST change a 12 h rotation's hand-offs show one hour later (or
  earlier) on the wall. To pin 12 h shifts to the clock, use two 1-day layers restricted to
  09:00-21:00 and 21:00-09:00.
* A wall time that happens twice (clocks going back) means its first occurrence. One that never
  happens (clocks jumping over it) is read with the UTC offset in force before the jump, so it lands
  later by the size of the jump: 02:30 on the day Stockholm jumps from 02:00 to 03:00 is 03:30 CEST,
  00:00 on the day Havana jumps from 00:00 to 01:00 is 01:00, 02:15 on the day Lord Howe jumps 30
  minutes is 02:45. That is PEP 495's fold=0 reading: the shift running into the jump still lasts
  its usual real time (24 h for a daily one), the next one gives the jump back, and the hand-off
  after that is at the configured time again. No hand-off is lost or doubled, unless a whole
  calendar day is skipped (Samoa, 30 December 2011): that day's turn then lasts no time at all.
* An on/off pattern is one participant's turn: participant k works the "on" steps of turn k and
  during the "off" steps the layer covers no one, so lower layers show through (as with a
  restriction); the next participant takes the next turn. The off days are a hole that another
  layer fills, as with a restricted layer in those tools, rather than someone else's silent extra
  shift.
* Restrictions are weekday and time-of-day windows in the schedule's zone. Outside them the layer
  covers no one; the rotation keeps turning underneath, as in PagerDuty.
* One person per layer at a time. Several people on call at once are several schedules (a primary
  and a secondary), which is how escalation policies page them.

Shift k is found by arithmetic (the index of the unit containing an instant), never by walking
from the layer's start, so a rotation that began years ago costs the same as a new one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import accumulate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WEEKDAYS = (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY)
WEEKEND = (SATURDAY, SUNDAY)

_ONE_DAY = timedelta(days=1)

Span = tuple[datetime, datetime]
Piece = tuple[datetime, datetime, str]  # start, end, user


def as_utc(value: datetime, what: str) -> datetime:
    """`value` in UTC. Naive datetimes are refused: which instant they mean depends on a zone."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


def zone_of(name: str | ZoneInfo) -> ZoneInfo:
    """The IANA zone called `name`; ValueError when there is none."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone, such as Europe/Stockholm") from exc


def _wall(value: time, what: str) -> time:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ValueError(f"{what} must be a time of day without a zone (the schedule's zone applies), got {value!r}")
    return value.replace(fold=0) if value.fold else value


def local_instant(zone: ZoneInfo, day: date, wall: time) -> datetime:
    """The UTC instant at which clocks in `zone` show `wall` on `day`.

    Twice-shown wall times take the first occurrence; never-shown ones move forward by the jump.
    """
    if wall.fold:
        wall = wall.replace(fold=0)  # the first occurrence, whatever the caller's time says
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


class Unit(StrEnum):
    HOURS = "hours"  # elapsed time
    DAYS = "days"  # calendar days in the schedule's zone
    WEEKS = "weeks"  # seven calendar days


@dataclass(frozen=True)
class ShiftLength:
    count: int
    unit: Unit

    def __post_init__(self) -> None:
        if not isinstance(self.count, int) or isinstance(self.count, bool) or self.count < 1:
            raise ValueError(f"a shift lasts a whole number of {self.unit} >= 1, got {self.count!r}")
        object.__setattr__(self, "unit", Unit(self.unit))

    @classmethod
    def hours(cls, count: int) -> ShiftLength:
        return cls(count, Unit.HOURS)

    @classmethod
    def days(cls, count: int) -> ShiftLength:
        return cls(count, Unit.DAYS)

    @classmethod
    def weeks(cls, count: int) -> ShiftLength:
        return cls(count, Unit.WEEKS)


@dataclass(frozen=True)
class Restriction:
    """On each of `days` (0 = Monday; the day the window opens), from `start` to `end` local time.

    `end` at or before `start` runs past midnight to `end` the next day, so 00:00-00:00 is the whole
    day and 22:00-06:00 a night.
    """

    days: tuple[int, ...]
    start: time
    end: time

    def __post_init__(self) -> None:
        days = tuple(sorted(set(self.days)))
        if not days or any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
            raise ValueError(f"restriction days are weekdays 0 (Monday) to 6 (Sunday), got {self.days!r}")
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "start", _wall(self.start, "restriction start"))
        object.__setattr__(self, "end", _wall(self.end, "restriction end"))


BUSINESS_HOURS = Restriction(WEEKDAYS, time(9), time(17))
WEEKENDS = Restriction(WEEKEND, time(0), time(0))


@dataclass(frozen=True)
class Layer:
    """A rotation. `start` is the first hand-off; `handoff` (default: `start`'s wall time in the
    schedule's zone) is the wall-clock time of every day- or week-based hand-off. `pattern` is a
    turn as (count, on) steps in `shift_length` units, e.g. ((4, True), (3, False)) with 1-day
    shifts; empty means one shift per turn, always on."""

    name: str
    participants: tuple[str, ...]
    start: datetime
    shift_length: ShiftLength = ShiftLength(1, Unit.WEEKS)
    handoff: time | None = None
    pattern: tuple[tuple[int, bool], ...] = ()
    restrictions: tuple[Restriction, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a layer needs a name")
        participants = tuple(self.participants)
        if not participants or not all(isinstance(p, str) and p for p in participants):
            raise ValueError(f"layer {self.name!r} needs at least one participant, each a user name")
        object.__setattr__(self, "participants", participants)
        object.__setattr__(self, "start", as_utc(self.start, f"layer {self.name!r} start"))
        if self.handoff is not None:
            object.__setattr__(self, "handoff", _wall(self.handoff, f"layer {self.name!r} handoff"))
        pattern = tuple((count, bool(on)) for count, on in self.pattern)
        if any(not isinstance(c, int) or isinstance(c, bool) or c < 1 for c, _ in pattern):
            raise ValueError(f"layer {self.name!r}: pattern steps last a whole number of shifts >= 1")
        if pattern and not any(on for _, on in pattern):
            raise ValueError(f"layer {self.name!r}: a pattern with no 'on' step covers no one")
        object.__setattr__(self, "pattern", pattern)
        object.__setattr__(self, "restrictions", tuple(self.restrictions))


@dataclass(frozen=True)
class Shift:
    user: str
    start: datetime
    end: datetime
    source: str  # the layer's name, or "override"


@dataclass(frozen=True)
class Rotation:
    """A layer placed in a zone: everything needed to find shift k without walking to it."""

    layer: Layer
    zone: ZoneInfo
    first_day: date
    handoff: time
    anchor: datetime  # the first hand-off, UTC
    step_days: int  # calendar days per unit; 0 for hour-based layers
    step: timedelta  # elapsed time per unit, for hour-based layers
    units_per_turn: int
    step_ends: tuple[int, ...]  # cumulative ends of the pattern steps, in units
    step_on: tuple[bool, ...]
    on_runs: tuple[tuple[int, int], ...]  # [first, end) units of each run of "on" steps in a turn

    def boundary(self, unit: int) -> datetime:
        """Where unit `unit` starts (unit 0 at the anchor; negative units precede the layer)."""
        if self.step_days:
            return local_instant(self.zone, self.first_day + timedelta(days=unit * self.step_days), self.handoff)
        return self.anchor + unit * self.step

    def unit_at(self, instant: datetime) -> int:
        """The unit j with boundary(j) <= instant < boundary(j + 1)."""
        if not self.step_days:
            return (instant - self.anchor) // self.step
        days = (instant.astimezone(self.zone).date() - self.first_day).days
        unit = days // self.step_days
        # The local date is right to within a day: the hand-off time of that day may still be ahead.
        while self.boundary(unit) > instant:
            unit -= 1
        while self.boundary(unit + 1) <= instant:
            unit += 1
        return unit


def rotation(layer: Layer, zone: ZoneInfo) -> Rotation:
    """Place `layer` in `zone`. ValueError when `start` is not a hand-off at `handoff` there."""
    local_start = layer.start.astimezone(zone)
    handoff = layer.handoff if layer.handoff is not None else local_start.time().replace(fold=0)
    first_day = local_start.date()
    if local_instant(zone, first_day, handoff) != layer.start:
        # A hand-off time skipped by a jump that crosses midnight lands on the next local date.
        first_day -= _ONE_DAY
        if local_instant(zone, first_day, handoff) != layer.start:
            shown = local_instant(zone, local_start.date(), handoff).astimezone(zone)
            raise ValueError(
                f"layer {layer.name!r}: start {local_start.isoformat()} is not a hand-off; "
                f"the hand-off at {handoff.isoformat()} in {zone.key} that day is {shown.isoformat()}"
            )
    length = layer.shift_length
    if length.unit is Unit.HOURS:
        step_days, step = 0, timedelta(hours=length.count)
    else:
        step_days, step = length.count * (7 if length.unit is Unit.WEEKS else 1), timedelta(0)
    steps = layer.pattern or ((1, True),)
    step_ends = tuple(accumulate(count for count, _ in steps))
    runs: list[tuple[int, int]] = []
    for (count, on), end in zip(steps, step_ends, strict=True):
        if on and runs and runs[-1][1] == end - count:
            runs[-1] = (runs[-1][0], end)
        elif on:
            runs.append((end - count, end))
    return Rotation(
        layer=layer, zone=zone, first_day=first_day, handoff=handoff, anchor=layer.start, step_days=step_days,
        step=step, units_per_turn=step_ends[-1], step_ends=step_ends, step_on=tuple(on for _, on in steps),
        on_runs=tuple(runs),
    )


def restricted_at(restrictions: tuple[Restriction, ...], zone: ZoneInfo, instant: datetime) -> bool:
    """Whether `instant` falls inside one of the windows (True when there are none)."""
    if not restrictions:
        return True
    today = instant.astimezone(zone).date()
    # A window opens at most a day (plus a DST jump) before it closes, so it opened in the last 3 days.
    for day in (today - 2 * _ONE_DAY, today - _ONE_DAY, today):
        weekday = day.weekday()
        for window in restrictions:
            if weekday in window.days:
                start = local_instant(zone, day, window.start)
                end = local_instant(zone, day + _ONE_DAY if window.end <= window.start else day, window.end)
                if start <= instant < end:
                    return True
    return False


def restriction_windows(
    restrictions: tuple[Restriction, ...], zone: ZoneInfo, lo: datetime, hi: datetime
) -> list[Span]:
    """The windows' union inside [lo, hi), sorted and disjoint."""
    spans: list[Span] = []
    day, last = lo.astimezone(zone).date() - 2 * _ONE_DAY, hi.astimezone(zone).date()
    while day <= last:
        weekday = day.weekday()
        for window in restrictions:
            if weekday in window.days:
                start = local_instant(zone, day, window.start)
                end = local_instant(zone, day + _ONE_DAY if window.end <= window.start else day, window.end)
                start, end = max(start, lo), min(end, hi)
                if start < end:  # a window squeezed to nothing by a jump covers nothing
                    spans.append((start, end))
        day += _ONE_DAY
    spans.sort()
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _intersect(pieces: list[Piece], spans: list[Span]) -> list[Piece]:
    out: list[Piece] = []
    i = j = 0
    while i < len(pieces) and j < len(spans):
        start, end, user = pieces[i]
        start, end = max(start, spans[j][0]), min(end, spans[j][1])
        if start < end:
            out.append((start, end, user))
        if pieces[i][1] < spans[j][1]:
            i += 1
        else:
            j += 1
    return out


def user_at(rot: Rotation, instant: datetime) -> str | None:
    """Who this layer puts on call at `instant` (None: the layer covers no one there)."""
    if instant < rot.anchor:
        return None
    turn, unit_in_turn = divmod(rot.unit_at(instant), rot.units_per_turn)
    if not rot.step_on[bisect_right(rot.step_ends, unit_in_turn)]:
        return None
    if not restricted_at(rot.layer.restrictions, rot.zone, instant):
        return None
    participants = rot.layer.participants
    return participants[turn % len(participants)]


def _boundaries(rot: Rotation) -> Callable[[int], datetime]:
    seen: dict[int, datetime] = {}

    def boundary(unit: int) -> datetime:
        found = seen.get(unit)
        if found is None:
            found = seen[unit] = rot.boundary(unit)
        return found

    return boundary


def coverage(rot: Rotation, lo: datetime, hi: datetime) -> list[Piece]:
    """The layer's on-call pieces inside [lo, hi): sorted, disjoint, same-user neighbours merged."""
    lo = max(lo, rot.anchor)
    if lo >= hi:
        return []
    boundary = _boundaries(rot)
    participants, per_turn = rot.layer.participants, rot.units_per_turn
    turn = rot.unit_at(lo) // per_turn
    out: list[Piece] = []
    while boundary(turn * per_turn) < hi:
        user = participants[turn % len(participants)]
        for first, end in rot.on_runs:
            start = boundary(turn * per_turn + first)
            if start >= hi:
                break
            stop = boundary(turn * per_turn + end)
            start, stop = max(start, lo), min(stop, hi)
            if start >= stop:
                continue
            if out and out[-1][1] == start and out[-1][2] == user:
                out[-1] = (out[-1][0], stop, user)
            else:
                out.append((start, stop, user))
        turn += 1
    if rot.layer.restrictions:
        out = _intersect(out, restriction_windows(rot.layer.restrictions, rot.zone, lo, hi))
    return out


def window(start: datetime, end: datetime) -> Span:
    lo, hi = as_utc(start, "start"), as_utc(end, "end")
    if hi < lo:
        raise ValueError(f"the window ends ({hi.isoformat()}) before it starts ({lo.isoformat()})")
    return lo, hi


def layer_shifts(layer: Layer, tz: str | ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """The layer's own shifts over [start, end), cut to the window, after its pattern and restrictions."""
    lo, hi = window(start, end)
    rot = rotation(layer, zone_of(tz))
    return [Shift(user, s, e, layer.name) for s, e, user in coverage(rot, lo, hi)]


def handoffs(layer: Layer, tz: str | ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The instants in [start, end) at which a turn begins and the next participant takes over."""
    lo, hi = window(start, end)
    rot = rotation(layer, zone_of(tz))
    lo = max(lo, rot.anchor)
    if lo >= hi:
        return []
    boundary = _boundaries(rot)
    turn = rot.unit_at(lo) // rot.units_per_turn
    out: list[datetime] = []
    while (at := boundary(turn * rot.units_per_turn)) < hi:
        if at >= lo and (not out or at > out[-1]):  # a turn squeezed to nothing by a jump hands off nothing
            out.append(at)
        turn += 1
    return out
