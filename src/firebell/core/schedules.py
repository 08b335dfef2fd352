"""On-call schedules: layers stacked in order, overrides on top, flattened into who is on call when.

Later layers are higher and win wherever they cover someone; where a layer covers no one (outside
its restrictions, or in the "off" steps of its pattern) the layers below show through. Overrides
win over every layer; where overrides overlap, the later one in the tuple wins, so appending an
override makes it take precedence. One person is on call at a time; run a primary and a secondary
as two schedules. The rotation rules (wall-clock hand-offs, DST gaps and folds, hour-based shifts, on/off
patterns) are in firebell.core.rotations.

Every instant given may be in any zone but must be aware; every instant returned is UTC.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from math import lcm
from operator import itemgetter
from zoneinfo import ZoneInfo

from firebell.core.rotations import (
    BUSINESS_HOURS,
    FRIDAY,
    MONDAY,
    SATURDAY,
    SUNDAY,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    WEEKDAYS,
    WEEKEND,
    WEEKENDS,
    Layer,
    Piece,
    Restriction,
    Rotation,
    Shift,
    ShiftLength,
    Unit,
    as_utc,
    coverage,
    handoffs,
    layer_shifts,
    local_instant,
    rotation,
    user_at,
    window,
    zone_of,
)

__all__ = [
    "BUSINESS_HOURS",
    "FRIDAY",
    "MONDAY",
    "OVERRIDE",
    "SATURDAY",
    "SUNDAY",
    "THURSDAY",
    "TUESDAY",
    "WEDNESDAY",
    "WEEKDAYS",
    "WEEKEND",
    "WEEKENDS",
    "Change",
    "Layer",
    "Override",
    "Restriction",
    "Schedule",
    "Shift",
    "ShiftLength",
    "Unit",
    "final_shifts",
    "gaps",
    "handoffs",
    "holds",
    "layer_shifts",
    "local_instant",
    "next_change_after",
    "on_call_at",
    "swap",
    "swap_refusal",
]

OVERRIDE = "override"  # the source of shifts that come from overrides

_FIRST_LOOK = timedelta(days=2)
_LONGEST_LOOK = timedelta(days=366)
_HOUR = timedelta(hours=1)
_WEEK_HOURS = 168
_WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Override:
    """`user` is on call over [start, end), over every layer."""

    user: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.user, str) or not self.user:
            raise ValueError("an override needs a user")
        start, end = as_utc(self.start, "override start"), as_utc(self.end, "override end")
        if end <= start:
            raise ValueError(f"an override must end after it starts ({start.isoformat()} to {end.isoformat()})")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True)
class Schedule:
    timezone: str  # IANA name; hand-offs and restrictions are wall-clock times here
    layers: tuple[Layer, ...] = ()  # lowest first
    overrides: tuple[Override, ...] = ()  # later ones win where they overlap
    # Derived once, so that a question costs no zone lookup and no validation.
    zone: ZoneInfo = field(init=False, repr=False, compare=False)
    rotations: tuple[Rotation, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = zone_of(self.timezone)
        layers, overrides = tuple(self.layers), tuple(self.overrides)
        names = [layer.name for layer in layers]
        if len(set(names)) != len(names) or OVERRIDE in names:
            raise ValueError(f"layer names must be unique and not {OVERRIDE!r}, got {names}")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "overrides", overrides)
        object.__setattr__(self, "zone", zone)
        object.__setattr__(self, "rotations", tuple(rotation(layer, zone) for layer in layers))


@dataclass(frozen=True)
class Change:
    """From `at` on, `user` is on call (None: no one), by way of `source` (a layer or "override")."""

    at: datetime
    user: str | None
    source: str | None


def swap(first: Shift, second: Shift) -> tuple[Override, Override]:
    """Two people trade shifts: `second.user` covers `first`, and `first.user` covers `second`."""
    return Override(second.user, first.start, first.end), Override(first.user, second.start, second.end)


def holds(schedule: Schedule, user: str, start: datetime, end: datetime) -> bool:
    """Whether `user` is on call over all of [start, end), which is not empty."""
    lo, hi = window(start, end)
    cursor = lo
    for shift in final_shifts(schedule, lo, hi):
        if shift.user != user or shift.start > cursor:
            return False
        cursor = shift.end
    return lo < hi and cursor == hi


def swap_refusal(schedule: Schedule, first: Shift, second: Shift) -> str | None:
    """Why `first` and `second` cannot be traded as `swap` would, or None when they can: two people,
    each on call (as the schedule stands) over the whole of their own shift, the shifts apart. A trade
    of anything else would put someone on call in a stretch nobody gave them."""
    if first.user == second.user:
        return f"both shifts are {first.user}'s: a swap trades shifts between two people"
    if first.start < second.end and second.start < first.end:
        return "the two shifts overlap: a swap trades two separate shifts"
    for shift in (first, second):
        if not holds(schedule, shift.user, shift.start, shift.end):
            return (f"{shift.user} is not on call for all of {_local(schedule, shift.start)} to "
                    f"{_local(schedule, shift.end)}, so that shift is not theirs to trade")
    return None


def _local(schedule: Schedule, instant: datetime) -> str:
    return as_utc(instant, "instant").astimezone(schedule.zone).strftime("%a %d %b %H:%M %Z")


def _override_pieces(overrides: tuple[Override, ...], lo: datetime, hi: datetime) -> list[Piece]:
    """The overrides inside [lo, hi) with the later one winning: sorted, disjoint."""
    taken: list[Piece] = []
    for override in reversed(overrides):
        start, end = max(override.start, lo), min(override.end, hi)
        if start >= end:
            continue
        free: list[Piece] = []
        k = max(bisect_right(taken, start, key=itemgetter(0)) - 1, 0)
        cursor = start
        while k < len(taken) and taken[k][0] < end:
            if taken[k][1] > cursor:
                if taken[k][0] > cursor:
                    free.append((cursor, taken[k][0], override.user))
                cursor = taken[k][1]
            k += 1
        if cursor < end:
            free.append((cursor, end, override.user))
        for piece in free:
            insort(taken, piece, key=itemgetter(0))
    merged: list[Piece] = []
    for piece in taken:
        if merged and merged[-1][1] == piece[0] and merged[-1][2] == piece[2]:
            merged[-1] = (merged[-1][0], piece[1], piece[2])
        else:
            merged.append(piece)
    return merged


def _stack(sources: list[list[Piece]], names: list[str]) -> list[tuple[datetime, datetime, str, str]]:
    """Flatten sorted, disjoint sources, the last one highest: who wins each stretch of time."""
    present = [k for k, pieces in enumerate(sources) if pieces]
    if len(present) == 1:  # nothing to resolve: a lone source is already flat and merged
        name = names[present[0]]
        return [(start, end, user, name) for start, end, user in sources[present[0]]]
    cuts = sorted({t for pieces in sources for start, end, _ in pieces for t in (start, end)})
    heads = [0] * len(sources)
    order = present[::-1]
    out: list[tuple[datetime, datetime, str, str]] = []
    for start, end in pairwise(cuts):
        for k in order:
            pieces, i = sources[k], heads[k]
            while i < len(pieces) and pieces[i][1] <= start:
                i += 1
            heads[k] = i
            if i < len(pieces) and pieces[i][0] <= start:  # no cut inside (start, end): covers all of it
                user, name = pieces[i][2], names[k]
                last = out[-1] if out else None
                if last is not None and last[1] == start and last[2] == user and last[3] == name:
                    out[-1] = (last[0], end, user, name)
                else:
                    out.append((start, end, user, name))
                break
    return out


def final_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call over [start, end), cut to the window: sorted, never overlapping, neighbours
    of the same user from the same source merged. Time with no one on call has no shift."""
    lo, hi = window(start, end)
    if lo == hi:
        return []
    sources = [coverage(rot, lo, hi) for rot in schedule.rotations]
    sources.append(_override_pieces(schedule.overrides, lo, hi))
    names = [layer.name for layer in schedule.layers] + [OVERRIDE]
    return [Shift(user, s, e, name) for s, e, user, name in _stack(sources, names)]


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches of [start, end) with no one on call."""
    lo, hi = window(start, end)
    holes: list[tuple[datetime, datetime]] = []
    cursor = lo
    for shift in final_shifts(schedule, lo, hi):
        if shift.start > cursor:
            holes.append((cursor, shift.start))
        cursor = shift.end
    if cursor < hi:
        holes.append((cursor, hi))
    return holes


def _on_call(schedule: Schedule, instant: datetime) -> tuple[str, str] | None:
    for override in reversed(schedule.overrides):
        if override.start <= instant < override.end:
            return override.user, OVERRIDE
    for rot in reversed(schedule.rotations):
        user = user_at(rot, instant)
        if user is not None:
            return user, rot.layer.name
    return None


def on_call_at(schedule: Schedule, instant: datetime) -> str | None:
    """Who is on call at `instant`; None when no one is."""
    found = _on_call(schedule, as_utc(instant, "instant"))
    return found[0] if found is not None else None


def _look_ahead(schedule: Schedule, instant: datetime) -> timedelta:
    """How far ahead a change can first happen: past the last override and the last layer start,
    once the whole stack has come round (and a week more, for hand-offs that DST moves).

    The stack repeats when every layer's turn (each participant's, with its on/off pattern) and the
    week its restrictions follow come round together: their least common multiple, not the longest
    of them (a daily on/off pattern restricted to Mondays covers someone every other week). Capped
    at a year, past which "no change" is as good an answer as any."""
    settled = max([instant] + [o.end for o in schedule.overrides] + [r.anchor for r in schedule.rotations])
    period_hours = 1
    for rot in schedule.rotations:
        unit_hours = rot.step_days * 24 if rot.step_days else round(rot.step / _HOUR)
        turn = unit_hours * rot.units_per_turn * len(rot.layer.participants)
        period_hours = lcm(period_hours, turn, _WEEK_HOURS if rot.layer.restrictions else 1)
    # A calendar day is at most 25 hours long in any zone that has DST.
    period = min(timedelta(hours=period_hours * 25 / 24), _LONGEST_LOOK)
    return settled - instant + period + _WEEK


def next_change_after(schedule: Schedule, instant: datetime) -> Change | None:
    """The first moment after `instant` at which someone else (or no one) goes on call.

    None when the same person, or no one, stays on call for good: nothing changes within one full
    cycle of every layer after the last override and the last layer start, and it all repeats.
    """
    now = as_utc(instant, "instant")
    found = _on_call(schedule, now)
    current = found[0] if found is not None else None
    limit = _look_ahead(schedule, now)
    ahead = min(_FIRST_LOOK, limit)
    while True:
        cursor, horizon = now, now + ahead
        for shift in final_shifts(schedule, now, horizon):
            if shift.start > cursor and current is not None:
                return Change(cursor, None, None)
            if shift.user != current:
                return Change(shift.start, shift.user, shift.source)
            cursor = shift.end
        if cursor < horizon and current is not None:
            return Change(cursor, None, None)
        if ahead >= limit:
            return None
        ahead = min(ahead * 4, limit)
