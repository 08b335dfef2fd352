"""Whether messages for a Slack route go to its fallback chat route (OPS1: "Google Chat fallback").

Slack's health is one instant per Slack route: when calls to it began failing, cleared by the next
call that succeeds. Messages go to the fallback once the failures have lasted the configured time,
and back to Slack as soon as Slack answers again; the fallback carries only what happened while
Slack could not (events from just before the first failure too, which Slack may never have shown:
a card is posted a pass after its change, so an event up to `EVENT_GRACE` earlier may be the one
that failed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

EVENT_GRACE = timedelta(minutes=1)


def failing_since_after(previous: datetime | None, ok: bool, now: datetime) -> datetime | None:
    """Slack's health after one call at `now`: cleared by a success, else the first failure's instant."""
    if ok:
        return None
    return previous if previous is not None else now


def slack_is_out(failing_since: datetime | None, now: datetime, after: timedelta) -> bool:
    """Slack calls to the route have failed, with no success between, for at least `after`."""
    return failing_since is not None and now - failing_since >= after


def goes_to_fallback(event_at: datetime, failing_since: datetime | None, now: datetime, after: timedelta,
                     grace: timedelta = EVENT_GRACE) -> bool:
    """Whether the message about an event at `event_at` goes to the fallback route now: Slack is out
    and the event is one Slack has not shown (it came after the failures began, or within `grace`
    before)."""
    return failing_since is not None and slack_is_out(failing_since, now, after) and event_at >= failing_since - grace
