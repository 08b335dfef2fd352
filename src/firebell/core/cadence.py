"""The status-update cadence of an open incident: when the next update is due, the reminders the
engine should send about it, and how many updates an incident missed (a KPI).

The promise to stakeholders is "you hear from us every 15 minutes" (P1) or every 30 (P2); P3 and
P4 promise nothing. The clock starts at declaration and restarts from every posted update, so
the next update is due `every` after the last one, or when that update promised the next
(`promised`, core/stakeholder_updates.py: "next update in 30 min"). Resolving ends the cadence.

Reminders, each sent once, keyed by the due moment they are about so the engine can record what
it sent and never send one twice (a restart, two workers):

* "due" fires `lead` (2 min) before the update is due: time to write two sentences, not so early
  that the update it prompts is stale by the time it is due. Key "due:2026-11-23T12:15:00Z".
* "overdue" fires `grace` (5 min) after the due moment. Posting takes a minute or two, so a
  reminder at the due moment itself would mostly nag someone who is typing; five minutes still
  catches a 15-minute P1 cadence before stakeholders have waited 20. Key "overdue:...".
* While nobody posts, the promise keeps being broken: the update is owed again every `every`
  after the missed due moment, and each such period gets its own "overdue" reminder (keyed by the
  period's due moment), so a forgotten update nags once per period rather than once ever.
* Only the latest reminder is returned: an engine back after an hour's outage sends one
  "overdue", not a backlog, and never a "due soon" for a moment already past its grace.

All arithmetic is elapsed time, so DST changes do not matter here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from firebell.core.rotations import as_utc

ReminderKind = Literal["due", "overdue"]

DEFAULT_CADENCE: Mapping[str, timedelta] = {"P1": timedelta(minutes=15), "P2": timedelta(minutes=30)}
DEFAULT_LEAD = timedelta(minutes=2)
DEFAULT_GRACE = timedelta(minutes=5)

_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Reminder:
    kind: ReminderKind
    due_at: datetime  # the due moment it is about (for "overdue": the period's due moment)
    key: str  # "due:2026-11-23T12:15:00Z"; record it as sent


@dataclass(frozen=True)
class CadenceState:
    next_due: datetime | None  # when the next update is (or was) due; None: no cadence
    overdue_by: timedelta | None  # how long past next_due, once past it
    reminders: list[Reminder]  # to send now: at most one, none already sent
    wake_at: datetime | None  # when a reminder not yet sent next becomes due (the engine's wake-up)


NO_CADENCE = CadenceState(next_due=None, overdue_by=None, reminders=[], wake_at=None)


def cadence_for(severity: str, mapping: Mapping[str, timedelta | None] | None = None) -> timedelta | None:
    """How often an incident of `severity` promises an update; None: it promises none."""
    table = DEFAULT_CADENCE if mapping is None else mapping
    return table.get(severity)


def reminder_key(kind: ReminderKind, due_at: datetime) -> str:
    """"due:2026-11-23T12:15:00Z": what the engine records as sent; microseconds only when there are some."""
    at = as_utc(due_at, "due_at")
    text = at.replace(tzinfo=None).isoformat(timespec="microseconds" if at.microsecond else "seconds")
    return f"{kind}:{text}Z"


def _positive(every: timedelta) -> timedelta:
    if not isinstance(every, timedelta) or every <= timedelta(0):
        raise ValueError(f"an update cadence must be longer than zero, got {every!r}")
    return every


def _not_negative(span: timedelta, what: str) -> timedelta:
    if not isinstance(span, timedelta) or span < timedelta(0):
        raise ValueError(f"{what} cannot be negative, got {span!r}")
    return span


def cadence_state(
    declared_at: datetime,
    last_update_at: datetime | None,
    every: timedelta | None,
    now: datetime,
    reminders_sent: frozenset[str],
    *,
    resolved_at: datetime | None = None,
    promised: datetime | None = None,
    lead: timedelta = DEFAULT_LEAD,
    grace: timedelta = DEFAULT_GRACE,
) -> CadenceState:
    """Where the incident's update cadence stands at `now`, and which reminder to send. `promised`:
    when the last update said the next comes (it replaces `every` for that one due moment)."""
    if every is None or resolved_at is not None:
        return NO_CADENCE
    period = _positive(every)
    lead, grace = _not_negative(lead, "lead"), _not_negative(grace, "grace")
    current = as_utc(now, "now")
    anchor = as_utc(declared_at, "declared_at")
    if last_update_at is not None:
        anchor = max(anchor, as_utc(last_update_at, "last_update_at"))
    due = as_utc(promised, "promised") if promised is not None else anchor + period
    overdue_by = current - due if current > due else None

    due_fires_at = due - lead  # with a lead longer than the cadence: as soon as the update is posted
    due_key = reminder_key("due", due)
    first_overdue_at = due + grace

    reminders: list[Reminder] = []
    if current >= first_overdue_at:
        periods_missed = (current - first_overdue_at) // period
        owed = due + periods_missed * period
        key = reminder_key("overdue", owed)
        if key not in reminders_sent:
            reminders.append(Reminder("overdue", owed, key))
        next_overdue = periods_missed + 1
    else:
        if current >= due_fires_at and due_key not in reminders_sent:
            reminders.append(Reminder("due", due, due_key))
        next_overdue = 0

    wake: list[datetime] = []
    if current < due_fires_at and due_key not in reminders_sent:
        wake.append(due_fires_at)
    # The next overdue reminder not yet sent; the sent set is finite, so this ends.
    while reminder_key("overdue", due + next_overdue * period) in reminders_sent:
        next_overdue += 1
    wake.append(first_overdue_at + next_overdue * period)
    return CadenceState(next_due=due, overdue_by=overdue_by, reminders=reminders, wake_at=min(wake))


def _missed_between(start: datetime, end: datetime, every: timedelta) -> int:
    """Due moments start + k * every (k >= 1) strictly before `end`: an update at the due moment is on time."""
    if end <= start:
        return 0
    return (end - start - _TICK) // every


def missed_updates(
    declared_at: datetime,
    update_times: Iterable[datetime],
    resolved_at: datetime | None,
    every: timedelta | None,
    now: datetime,
) -> int:
    """How many due moments passed without an update, from declaration until resolution (or
    `now`, if earlier). Each update restarts the clock; a due moment passes once it is behind us,
    so one second late is one missed update: the KPI measures the promise, not the reminders."""
    if every is None:
        return 0
    period = _positive(every)
    start = as_utc(declared_at, "declared_at")
    end = as_utc(now, "now")
    if resolved_at is not None:
        end = min(end, as_utc(resolved_at, "resolved_at"))
    updates = sorted(t for t in (as_utc(u, "update time") for u in update_times) if start < t <= end)
    missed, anchor = 0, start
    for update in updates:
        missed += _missed_between(anchor, update, period)
        anchor = update
    return missed + _missed_between(anchor, end, period)
