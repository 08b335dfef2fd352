"""Messages' background work: telling the stakeholders of the incidents Firebell opened or resolved
on its own (messages/alert_made.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from firebell.messages import alert_made
from firebell.store.jobs import Job, Runner

LOOK_BACK = timedelta(days=1)  # on start: events this recent are looked at (keys keep them from repeating)
OVERLAP = timedelta(seconds=60)  # an event whose clock reading came before a pass but its commit after


class AlertMadeTelling:
    def __init__(self, channels_for: alert_made.ChannelsFor, public_url: str) -> None:
        self.channels_for, self.public_url = channels_for, public_url
        self.seen_until: datetime | None = None
        self.looked_at: dict[int, datetime] = {}  # events read in the overlap: not rendered again

    def __call__(self, engine: Runner, now: datetime) -> int:
        since = self.seen_until - OVERLAP if self.seen_until else now - LOOK_BACK
        self.looked_at = {i: at for i, at in self.looked_at.items() if at >= since}
        with engine.db.unit_of_work(write=False) as session:
            if not alert_made.has_work(session, since):  # an idle pass opens no write transaction
                self.seen_until = now
                return 0
            found = alert_made.plan(session, since, now, skip=set(self.looked_at), channels_for=self.channels_for,
                                    public_url=self.public_url)
        written = 0
        if found.messages:
            with engine.db.unit_of_work() as session:
                written = alert_made.write(session, found.messages, now)
        self.looked_at |= found.looked_at
        self.seen_until = found.until or now
        return written


def alert_made_telling(channels_for: alert_made.ChannelsFor, public_url: str) -> Job:
    """Under the lease: two engines telling the same event write the same keys, but need not both try.
    The Slack channels come from the slack domain, above this one (firebell/jobs.py hands them in)."""
    return Job("stakeholder messages of alert-made incidents", AlertMadeTelling(channels_for, public_url),
               lane="sender", lease=True)
