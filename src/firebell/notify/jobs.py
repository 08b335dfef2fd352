"""Notify's background work: sending the due pages, and dropping delivery receipts nobody claimed."""

from __future__ import annotations

from datetime import datetime

from firebell.notify import receipts, sender
from firebell.notify.channels.base import Delivery
from firebell.notify.settings import Channels
from firebell.store.jobs import PRUNE_EVERY, Job, Runner


def send_due(engine: Runner, channels: Channels) -> int:
    """Send every due page: claim (commit), send with no transaction open, record the results.
    Under the lease: pages to one address go out in order, and no page is in two engines' hands."""
    total = 0
    while not engine.stopping() and engine.holds_lease():
        with engine.db.unit_of_work() as session:
            claimed = sender.claim(session, channels, engine.clock())
        if not claimed:
            return total
        stalled: set[str] = set()  # addresses whose older page just failed: the rest wait their turn
        results: list[tuple[sender.Claimed, Delivery | None, datetime]] = []
        for item in claimed:
            if item.address in stalled or not engine.holds_lease():
                results.append((item, None, engine.clock()))
                continue
            delivery = sender.send(channels, item)
            if not delivery.ok:
                stalled.add(item.address)
            results.append((item, delivery, engine.clock()))
        # One transaction records the batch. A crash before it commits leaves the rows
        # "sending" until their deadline, which is exactly the interrupted send of the crash rule.
        with engine.db.unit_of_work() as session:
            for item, result, at in results:
                if result is None:
                    sender.release(session, item, at)
                else:
                    sender.record(session, item, result, at)
        total += len(claimed)
    return total


def _prune_receipts(engine: Runner, now: datetime) -> int:
    with engine.db.unit_of_work() as session:
        receipts.prune(session, now)
    return 0


def page_sender(channels: Channels) -> Job:
    return Job("sender", lambda engine, _now: send_due(engine, channels), lane="sender", lease=True)


def receipt_pruning() -> Job:
    return Job("receipt pruning", _prune_receipts, every=PRUNE_EVERY)
