"""Fixtures for status-page subscriptions: the app with a real SMTP server (aiosmtpd on 127.0.0.1) as
its mail channel, a clock the test moves, the sender job run by hand, and notices as the contract
shapes them (SP_CONTRACT.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.app import create_app
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.settings import Channels
from firebell.statuspage.subscriptions.jobs import SubscriberSender
from firebell.statuspage.subscriptions.models import StatusDelivery, StatusSubscriber
from firebell.statuspage.subscriptions.notify import queue_notices
from firebell.store.uow import Database
from tests.api.conftest import FakeClock, setup_org
from tests.notify.test_email import MailSink, smtp_server
from tests.web.conftest import Browser

PUBLIC_URL = "http://status.example"  # https would make the CSRF cookie Secure: TestClient speaks http
WEBHOOK_SECRET = "whsec_" + "c2VydmVyLXdpZGUtd2ViaG9vay1zZWNyZXQtMDE="
CONFIRM_LINK = re.compile(r"http://status\.example(/subscriptions/confirm/[A-Za-z0-9_-]+)")
UNSUBSCRIBE_LINK = re.compile(r"http://status\.example(/subscriptions/unsubscribe/[A-Za-z0-9_.-]+)")


def notice(key: str = "inc-1:u1", *, kind: str = "incident", event: str = "created",
           component_ids: list[str] | None = None, name: str = "Elevated API errors") -> dict[str, Any]:
    """A notice as the status page's producer makes it (the contract's plain dict)."""
    page = {"id": "pg1", "status_indicator": "major", "status_description": "Partial System Outage"}
    incident = {"id": "i1", "name": name, "status": "investigating", "impact": "major",
                "created_at": "2026-11-23T03:00:00.000Z", "updated_at": "2026-11-23T03:00:00.000Z",
                "monitoring_at": None, "resolved_at": None, "started_at": "2026-11-23T03:00:00.000Z",
                "shortlink": f"{PUBLIC_URL}/incidents/i1", "page_id": "pg1",
                "incident_updates": [{"id": "u1", "status": "investigating", "body": "We are investigating <errors>.",
                                      "incident_id": "i1", "created_at": "2026-11-23T03:00:00.000Z",
                                      "updated_at": "2026-11-23T03:00:00.000Z",
                                      "display_at": "2026-11-23T03:00:00.000Z",
                                      "affected_components": [{"code": "c-api", "name": "API",
                                                               "old_status": "operational",
                                                               "new_status": "partial_outage"}],
                                      "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}],
                "components": [{"id": "c-api", "name": "API", "status": "partial_outage"}]}
    touched = ["c-api"] if component_ids is None else component_ids
    made: dict[str, Any] = {"kind": kind, "event": event, "page": page, "incident": None, "component_update": None,
                            "component": None, "component_ids": touched, "key": key, "page_name": "Acme",
                            "page_url": PUBLIC_URL}
    if kind == "component":
        made["component_update"] = {"created_at": "2026-11-23T03:00:00.000Z", "new_status": "major_outage",
                                    "old_status": "operational", "id": "cu1", "component_id": "c-api"}
        made["component"] = {"created_at": "2026-01-01T00:00:00.000Z", "id": "c-api", "name": "API",
                             "status": "major_outage"}
    else:
        made["incident"] = incident
    return made


class _Runner:
    def __init__(self, db: Database, clock: FakeClock) -> None:
        self.db, self._clock = db, clock

    def clock(self) -> datetime:
        return self._clock()

    def stopping(self) -> bool:
        return False

    def holds_lease(self) -> bool:
        return True

    def wake(self, lane: str) -> None:
        pass


@dataclass
class Subs:
    db: Database
    clock: FakeClock
    sink: MailSink
    client: TestClient
    tokens: dict[str, str]
    channels: Channels
    sender: SubscriberSender

    def browser(self) -> Browser:
        return Browser(TestClient(self.client.app, follow_redirects=False))

    def send_due(self) -> int:
        return self.sender(_Runner(self.db, self.clock), self.clock())

    def queue(self, made: dict[str, Any]) -> int:
        with self.db.unit_of_work() as session:
            return queue_notices(session, made, self.clock())

    def api(self, method: str, path: str, who: str = "admin", **kwargs: Any) -> Any:
        return self.client.request(method, path, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kwargs)

    def subscriber(self, address: str) -> StatusSubscriber:
        with self.db.unit_of_work(write=False) as session:
            return session.execute(select(StatusSubscriber).where(StatusSubscriber.address == address)).scalar_one()

    def deliveries(self, address: str) -> list[StatusDelivery]:
        with self.db.unit_of_work(write=False) as session:
            return list(session.execute(select(StatusDelivery).join(StatusSubscriber)
                                        .where(StatusSubscriber.address == address)
                                        .order_by(StatusDelivery.created_at)).scalars())

    def mails_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.sink.received if m["To"] == address]

    def subscribe(self, address: str, **fields: Any) -> Any:
        browser = self.browser()
        browser.get("/subscribe")
        return browser.post("/subscribe", {"email": address} | fields)

    def confirmed(self, address: str) -> None:
        """Subscribe through the form and follow the confirmation mail's link."""
        assert self.subscribe(address).status_code == 200
        self.send_due()
        link = CONFIRM_LINK.search(self.mails_to(address)[-1].get_body(("plain",)).get_content())
        assert link is not None
        assert self.browser().client.post(link.group(1)).status_code == 200


def mail_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def subs(database: Database) -> Iterator[Subs]:
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    with mailing(database, clock, setup_org(database, clock.now)) as made:
        yield made


@contextmanager
def mailing(database: Database, clock: FakeClock, tokens: dict[str, str]) -> Iterator[Subs]:
    """The app over `database` with a real SMTP server as its mail channel."""
    sink = MailSink()
    with smtp_server(sink) as port:
        settings = SmtpSettings(host="127.0.0.1", port=port, from_address="Acme Status <status@acme.example>",
                                security="none", timeout_s=5.0)
        channels = Channels(public_url=PUBLIC_URL, by_name={"email": EmailChannel(settings, clock=clock)},
                            default_webhook_secret=WEBHOOK_SECRET, clock=clock)
        app = create_app(database, clock, channels=channels)
        sender = SubscriberSender(channels)
        try:
            yield Subs(database, clock, sink, TestClient(app, follow_redirects=False), tokens, channels, sender)
        finally:
            sender.transports.close()
