"""Slack's background work: post or redraw the incident messages in Slack channels."""

from __future__ import annotations

from datetime import datetime, timedelta

from firebell.notify.settings import Channels
from firebell.slack import cards
from firebell.store.jobs import Job, Runner

# Incidents changed this long before the last pass are looked at again: a change whose clock
# reading came before the pass but whose commit came after it is still seen.
SLACK_OVERLAP = timedelta(seconds=60)


class CardSync:
    """Under the lease, so no message is posted twice by two engines."""

    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self.seen_until: datetime | None = None

    def __call__(self, engine: Runner, now: datetime) -> int:
        since = self.seen_until - SLACK_OVERLAP if self.seen_until else now - cards.LOOK_BACK
        bot = self.channels.slack is not None or self.channels.logs_slack
        with engine.db.unit_of_work(write=False) as session:
            busy = cards.has_work(session, since, now, bot)
        if not busy:
            self.seen_until = now
            return 0
        with engine.db.unit_of_work() as session:
            cards.discover(session, since, now, bot)
            jobs = cards.claim(session, self.channels, now)
        self.seen_until = now
        done = 0
        for job in jobs:
            if not engine.holds_lease():
                break  # another engine took over: the unsent cards are left in flight for it to retry
            result = cards.send(self.channels, job)
            with engine.db.unit_of_work() as session:  # recorded at once: a later failure cannot re-post it
                cards.record(session, job, result, engine.clock())
            done += 1
        return done


def card_sync(channels: Channels) -> Job:
    return Job("slack cards", CardSync(channels), lane="sender", lease=True)
