"""Instants that come from outside (API parameters, payload timestamps), kept inside a range every
part of Firebell can compute with.

Python's datetime stops at years 1 and 9999, so `9999-12-31T23:59:59-23:59` is a valid string whose
UTC value does not exist, and adding a schedule window or a maintenance duration to an instant near
either end overflows. Accepting only years 1900 to 8999 leaves about a thousand years on each side for
such arithmetic, and no one pages about the eighteenth century.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # exclusive
_RANGE = "between 1900-01-01 and 8999-12-31 (UTC)"
ZONE_EXAMPLE = "e.g. 2026-11-23T09:00:00Z or 2026-11-23T10:00:00+01:00"


def checked_instant(value: datetime) -> datetime:
    """`value` in UTC when it has a zone and lies in [EARLIEST, LATEST); else ValueError saying why."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no time zone offset; give one, {ZONE_EXAMPLE}")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # the offset pushes it past year 1 or 9999
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(f"{value.isoformat()} is out of range; times must be {_RANGE}")
    return utc


def shifted(at: datetime, delta: timedelta) -> datetime:
    """`at + delta`, or ValueError when that leaves the accepted range (or datetime's own)."""
    try:
        moved = at + delta
    except OverflowError:
        moved = None
    if moved is None or not EARLIEST <= moved < LATEST:
        raise ValueError(f"{at.isoformat()} moved by {delta} is out of range; times must be {_RANGE}")
    return moved
