"""Human durations in configuration: '90s', '5m', '2h', '1d', '1h30m', '2w'."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*(w|d|h|m|s)")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[wdhms]\s*)+$")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
# A century: longer than anything an incident tool times, far shorter than what overflows timedelta.
MAX_DURATION = timedelta(days=36525)


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as '5m' or '1h30m'. Raises ValueError with a readable reason."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit, such as 90s, 5m, 2h, 1d or 1h30m"
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text))
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{text[:40]!r} is too long; a duration can be at most 100 years (36525d)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest duration string that parses back to `delta` (whole seconds)."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + "".join(parts)


def humanize(delta: timedelta) -> str:
    """Coarse, readable duration for people: '4m 10s', '1h 05m', '2d 3h'."""
    seconds = int(abs(delta.total_seconds()))
    sign = "-" if delta.total_seconds() < 0 else ""
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"
