"""10,000 confirmed email subscribers notified of one status-page update: the queueing time
(queue_notices, one transaction) and mails per second through the sender job into a local SMTP sink
(aiosmtpd on 127.0.0.1 that accepts and drops), beside a baseline in the same run: the raw rate of
the same email channel sending the same number of prepared messages to the same sink.

    .venv/bin/python bench/subscribers.py [--subscribers 10000] [--database-url URL]

Not a test: it prints figures. SQLite in a temporary directory unless a URL is given.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select

from firebell.notify.channels.base import Links, Message, Rendered
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.settings import Channels
from firebell.statuspage.subscriptions.jobs import SubscriberSender
from firebell.statuspage.subscriptions.models import StatusDelivery, StatusSubscriber
from firebell.statuspage.subscriptions.notify import queue_notices
from firebell.store.base import new_id
from firebell.store.db import make_engine, sqlite_url
from firebell.store.migrate import upgrade
from firebell.store.uow import Database


class Sink:
    count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        Sink.count += 1
        return "250 OK"


class Runner:
    def __init__(self, db: Database) -> None:
        self.db = db

    def clock(self) -> datetime:
        return datetime.now(UTC)

    def stopping(self) -> bool:
        return False

    def holds_lease(self) -> bool:
        return True

    def wake(self, lane: str) -> None:
        pass


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-subscribers-"))
    engine = make_engine(args.database_url or sqlite_url(folder / "bench.db"))
    upgrade(engine)
    db = Database(engine)
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        session.execute(insert(StatusSubscriber), [
            {"id": new_id(), "mode": "email", "address": f"reader{i}@example.com", "component_ids": None,
             "source": "import", "created_at": now, "confirmed_at": now, "consecutive_failures": 0,
             "last_error": "", "webhook_secret": ""} for i in range(args.subscribers)])
    port = _port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, from_address="Status <status@acme.example>",
                                security="none")
        channel = EmailChannel(settings)
        channels = Channels(public_url="https://status.acme.example", by_name={"email": channel})
        notice = {"kind": "incident", "event": "updated", "key": "bench-1", "component_ids": ["c1"],
                  "page": {"id": "p", "status_indicator": "major", "status_description": "Partial System Outage"},
                  "incident": {"id": "i1", "name": "Elevated API errors", "status": "identified", "impact": "major",
                               "incident_updates": [{"id": "u1", "status": "identified",
                                                     "body": "The cause is found; a fix is rolling out."}]},
                  "page_name": "Acme", "page_url": "https://status.acme.example"}

        # Baseline: the same channel, the same number of mails, prepared in advance.
        messages = [Message(idempotency_key=f"base:{i}", kind="update", incident_ref="Acme", title="t", severity="",
                            summary="s", recipient=f"reader{i}@example.com",
                            links=Links(unsubscribe="https://status.acme.example/u/x"),
                            rendered=Rendered(subject="s", text="words\n", html="<p>words</p>"))
                    for i in range(args.subscribers)]
        cpu, started = time.process_time(), time.perf_counter()
        for message in messages:
            assert channel.send(message).ok
        raw_s, raw_cpu = time.perf_counter() - started, time.process_time() - cpu

        started = time.perf_counter()
        with db.unit_of_work() as session:
            queued = queue_notices(session, notice, datetime.now(UTC))
        queue_s = time.perf_counter() - started
        sender = SubscriberSender(channels)
        cpu, started = time.process_time(), time.perf_counter()
        sent = 0
        while True:
            done = sender(Runner(db), datetime.now(UTC))
            sent += done
            if not done:
                break
        send_s, send_cpu = time.perf_counter() - started, time.process_time() - cpu
        with db.unit_of_work(write=False) as session:
            delivered = session.execute(select(func.count()).select_from(StatusDelivery)
                                        .where(StatusDelivery.status == "sent")).scalar()
    finally:
        controller.stop()
    print(f"store: {engine.dialect.name}, subscribers: {args.subscribers}")
    print(f"queue_notices: {queued} deliveries in {queue_s * 1000:.0f} ms")
    print(f"sender job:    {delivered} mails in {send_s:.1f} s = {delivered / send_s:.0f} mails/s "
          f"(CPU {send_cpu / max(delivered, 1) * 1000:.2f} ms a mail)")
    print(f"baseline:      {len(messages)} mails by the channel alone in {raw_s:.1f} s = "
          f"{len(messages) / raw_s:.0f} mails/s (CPU {raw_cpu / len(messages) * 1000:.2f} ms a mail)")
    print(f"sink accepted: {Sink.count}")


if __name__ == "__main__":
    main()
