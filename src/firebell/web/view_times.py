"""Instants as people read them on a page: "4m 10s ago" beside the exact UTC time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from firebell.core.durations import humanize


@dataclass(frozen=True)
class Shown:
    relative: str  # "4m 10s ago", "in 1h 05m"
    exact: str  # "2026-11-23 03:04 UTC"
    iso: str  # for <time datetime=...>


def shown(at: datetime | None, now: datetime) -> Shown | None:
    if at is None:
        return None
    delta = now - at
    relative = f"{humanize(delta)} ago" if delta.total_seconds() >= 0 else f"in {humanize(-delta)}"
    return Shown(relative=relative, exact=f"{at:%Y-%m-%d %H:%M} UTC", iso=at.isoformat())
