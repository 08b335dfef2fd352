"""What a schedule page draws: shifts as bars over whole local days, placed in percent of the window,
so the template can draw them as SVG (attributes, not inline styles: the CSP allows no inline style)
without a script. Days start at local midnight in the schedule's zone, so a DST day is 23 or 25
hours wide and a 09:00 hand-off sits at 09:00 on every day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from firebell.core.durations import humanize
from firebell.core.schedules import OVERRIDE, Shift, local_instant

PALETTE = 8  # person colours in oncall.css: .p0 ... .p7


def local(instant: datetime, zone: ZoneInfo, *, zone_name: bool = False) -> str:
    """How a page shows an instant: wall-clock time in the schedule's zone."""
    return instant.astimezone(zone).strftime("%a %d %b %H:%M" + (" %Z" if zone_name else ""))


def local_input(instant: datetime, zone: ZoneInfo) -> str:
    """The value of an <input type=datetime-local> in the schedule's zone."""
    return instant.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def from_local_input(value: str, zone: ZoneInfo) -> datetime:
    """An <input type=datetime-local> value read as wall-clock time in `zone`: a time clocks skip
    moves forward by the jump, a twice-shown one is its first showing (as hand-offs are).
    ValueError when it is not a date and time."""
    wall = datetime.fromisoformat(value.strip())
    if wall.tzinfo is not None:
        raise ValueError("give a local date and time, without an offset")
    return local_instant(zone, wall.date(), wall.time())


def zone_now(instant: datetime, zone: ZoneInfo) -> str:
    """The zone's abbreviation and offset at `instant`: "CET, UTC+01:00"."""
    local_time = instant.astimezone(zone)
    offset = local_time.strftime("%z")
    return f"{local_time:%Z}, UTC{offset[:3]}:{offset[3:]}"


def span(start: datetime, end: datetime) -> str:
    return humanize(end - start)


@dataclass(frozen=True)
class Day:
    left: float
    width: float
    label: str  # "Mon 23"
    weekend: bool
    today: bool


@dataclass(frozen=True)
class Bar:
    left: float
    width: float
    label: str  # the person, or "no one" for a gap
    title: str  # the tooltip and accessible name: who, from, to
    kind: str  # "shift", "override" or "gap"
    colour: str  # a palette class, "" for a gap

    @property
    def labelled(self) -> bool:
        """Whether the bar is wide enough to hold its label (a clipped "ali" still says who; a
        clipped "no" does not, and the hatching already says "no one")."""
        return self.width >= (5.0 if self.kind == "gap" else 1.5)


@dataclass(frozen=True)
class Row:
    name: str
    bars: list[Bar]
    final: bool = False


@dataclass(frozen=True)
class Timeline:
    days: list[Day]
    rows: list[Row]
    now: float | None  # where the now line goes, if the window holds now
    start: datetime
    end: datetime


def window(zone: ZoneInfo, now: datetime, days: int) -> tuple[datetime, datetime]:
    """`days` whole local days from the start of today in `zone`."""
    today = now.astimezone(zone).date()
    return local_instant(zone, today, time(0)), local_instant(zone, today + timedelta(days=days), time(0))


def colours(names: list[str]) -> dict[str, str]:
    """A colour class per person, in order of first appearance (distinct for up to eight people)."""
    found: dict[str, str] = {}
    for name in names:
        found.setdefault(name, f"p{len(found) % PALETTE}")
    return found


def timeline(zone: ZoneInfo, now: datetime, days: int, layers: list[tuple[str, list[Shift]]],
             final: list[Shift], gaps: list[tuple[datetime, datetime]]) -> Timeline:
    lo, hi = window(zone, now, days)
    total = (hi - lo).total_seconds()

    def at(instant: datetime) -> float:
        return round(max(0.0, min(100.0, (instant - lo).total_seconds() / total * 100)), 3)

    def bar(start: datetime, end: datetime, label: str, kind: str, colour: str) -> Bar:
        left = at(start)
        return Bar(left, round(at(end) - left, 3), label,
                   f"{label}: {local(start, zone)} to {local(end, zone, zone_name=True)}", kind, colour)

    palette = colours([s.user for _, shifts in layers for s in shifts] + [s.user for s in final])
    rows = [Row(name, [bar(s.start, s.end, s.user, "shift", palette[s.user]) for s in shifts])
            for name, shifts in layers]
    overrides = [s for s in final if s.source == OVERRIDE]
    if overrides:
        rows.append(Row("Overrides", [bar(s.start, s.end, s.user, "override", palette[s.user]) for s in overrides]))
    final_bars = [bar(s.start, s.end, s.user, "override" if s.source == OVERRIDE else "shift", palette[s.user])
                  for s in final] + [bar(a, b, "no one", "gap", "") for a, b in gaps]
    rows.append(Row("On call", sorted(final_bars, key=lambda b: b.left), final=True))
    today = now.astimezone(zone).date()
    day_list = []
    for k in range(days):
        day: date = today + timedelta(days=k)
        start, end = local_instant(zone, day, time(0)), local_instant(zone, day + timedelta(days=1), time(0))
        day_list.append(Day(at(start), round(at(end) - at(start), 3), day.strftime("%a %d"), day.weekday() >= 5,
                            day == today))
    return Timeline(day_list, rows, at(now) if lo <= now < hi else None, lo, hi)
