"""A stakeholder update's shape, and who hears about an incident.

An update (TenSafe "Incident Update", OPS1 8.1) says where the incident stands in one of four words,
what we know, what we are doing, and when the next update comes; free text may follow. The next
update is promised by whoever writes it; left out, it is the severity's cadence from now (P1 15 min),
and a severity without a cadence promises no time.

A stakeholder list (`stakeholders:` in the config tree) applies to an incident when every condition it
names holds: its severity is listed, its owning team is listed, one of its services is listed. A list
with no conditions hears about every incident. Private incidents reach no list and no stakeholder
channel at all; the caller checks that first, since it is not a matter of conditions.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from firebell.core.durations import parse_duration

STATUSES: tuple[str, ...] = ("Investigating", "Identified", "Monitoring", "Resolved")
DEFAULT_STATUS = "Investigating"
# How far ahead an update can promise the next: a day is longer than any runbook's cadence, and a
# typo such as "30d" is refused rather than silencing the promise for a month.
MAX_NEXT_UPDATE = timedelta(hours=24)


def update_status(given: str, previous: str = "") -> str:
    """The status word as written in messages. Empty: the previous update's, else Investigating.
    Raises ValueError naming the four for anything else."""
    word = given.strip().rstrip(":").strip()
    if not word:
        return previous if previous in STATUSES else DEFAULT_STATUS
    for status in STATUSES:
        if status.lower() == word.lower():
            return status
    raise ValueError(f"unknown update status {word[:40]!r}; one of {', '.join(STATUSES)}")


def next_update_at(now: datetime, cadence: timedelta | None, *, after: str = "",
                   at: datetime | None = None) -> datetime | None:
    """When the next update is promised: `at`, or `after` ("30m") from now, or the cadence from now;
    None when none is given and the severity has no cadence. Raises ValueError for a time not in the
    next 24 hours."""
    if at is not None and after.strip():
        raise ValueError("give the next update as a time or as a wait, not both")
    if after.strip():
        at = now + parse_duration(after.strip())
    if at is None:
        return now + cadence if cadence else None
    if at.tzinfo is None:
        raise ValueError("the next update's time needs its zone, such as 2026-12-07T14:30:00Z")
    if at <= now:
        raise ValueError("the next update must be later than now")
    if at - now > MAX_NEXT_UPDATE:
        raise ValueError("the next update must be within 24 hours")
    return at


@dataclass(frozen=True)
class When:
    """A stakeholder list's conditions; an empty one matches everything."""

    severities: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()


def list_applies(when: When, *, severity: str, team: str | None, services: Collection[str]) -> bool:
    """Whether a list with conditions `when` hears about an incident of this severity, team and services."""
    if when.severities and severity not in when.severities:
        return False
    if when.teams and team not in when.teams:
        return False
    return not when.services or bool(when.services & set(services))
