"""The subscribers' background work: send due deliveries, batch after batch, and purge subscribers
whose quarantine nobody released (their `purge_at` passed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from firebell.notify.settings import Channels
from firebell.statuspage.subscriptions import outbox
from firebell.statuspage.subscriptions.models import StatusSubscriber
from firebell.statuspage.subscriptions.transports import Transports
from firebell.store.jobs import PRUNE_EVERY, Job, Runner


class SubscriberSender:
    def __init__(self, channels: Channels) -> None:
        self.channels = channels
        self.transports = Transports(channels)

    def __call__(self, engine: Runner, _now: datetime) -> int:
        total = 0
        while not engine.stopping() and engine.holds_lease():
            now = engine.clock()  # each batch is judged, and recorded, at its own time
            with engine.db.unit_of_work(write=False) as session:
                if not _any_due(session, now):
                    return total  # an idle pass takes no write lock
            with engine.db.unit_of_work() as session:
                claimed = outbox.claim(session, self.channels.public_url, now)
            if not claimed:
                return total
            results = outbox.send(self.transports, claimed)
            with engine.db.unit_of_work() as session:
                outbox.record(session, claimed, results, engine.clock())
            total += len(claimed)
        return total


def _any_due(session: Session, now: datetime) -> bool:
    due = outbox.next_due(session)
    return due is not None and due <= now


def purge_quarantined(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        result = session.execute(delete(StatusSubscriber).where(StatusSubscriber.purge_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)


def subscriber_sender(channels: Channels) -> Job:
    """Under the lease: one engine sends, the fence keeps a second from recording over it."""
    return Job("status page subscribers", SubscriberSender(channels), lane="sender", lease=True,
               next_due=outbox.next_due)


def quarantine_purge() -> Job:
    return Job("status page subscriber purge", purge_quarantined, every=PRUNE_EVERY, lease=True)
