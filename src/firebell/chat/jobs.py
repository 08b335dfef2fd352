"""Chat's background work: plan the messages for chat routes (and Slack's fallback) into the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from firebell.chat import posts
from firebell.store.jobs import Job, Runner

LOOK_BACK = timedelta(days=1)  # on start: changes this recent are looked at (keys keep them from repeating)
OVERLAP = timedelta(seconds=60)  # a change whose clock reading came before a pass but its commit after


class PostPlanning:
    def __init__(self) -> None:
        self.seen_until: datetime | None = None

    def __call__(self, engine: Runner, now: datetime) -> int:
        since = self.seen_until - OVERLAP if self.seen_until else now - LOOK_BACK
        with engine.db.unit_of_work(write=False) as session:
            busy = posts.has_work(session, since)
        planned = 0
        if busy:  # an idle pass opens no write transaction (on SQLite it would wait for the one write lock)
            with engine.db.unit_of_work() as session:
                planned = posts.plan(session, since, now)
        self.seen_until = now
        return planned


def post_planning() -> Job:
    """Under the lease: two engines planning the same change write the same keys, but need not both try."""
    return Job("chat posts", PostPlanning(), lane="sender", lease=True)
