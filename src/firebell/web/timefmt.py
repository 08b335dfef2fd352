"""Times as a responder reads them at a glance: "4m 10s", "12 min ago", "in 3 min"."""

from __future__ import annotations

from datetime import datetime


def span(seconds: float) -> str:
    """A duration, to the two largest units: 45s, 4m 10s, 2h 5m, 3d 4h."""
    s = int(abs(seconds))
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if s >= size:
            rest = (s % size) // sub_size
            return f"{s // size}{unit} {rest}{sub}" if rest else f"{s // size}{unit}"
    return f"{s}s"


def ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return ""
    seconds = (now - then).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    return f"in {span(seconds)}" if seconds < 0 else f"{span(seconds)} ago"


def stamp(at: datetime | None) -> str:
    """UTC to the second, as the timeline and the title attributes show it."""
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else ""


def clock(at: datetime | None) -> str:
    return at.strftime("%H:%M:%S") if at is not None else ""


HELPERS = {"span": span, "ago": ago, "stamp": stamp, "clock": clock}
