"""Paging end to end on both stores: a PagerDuty event opens an incident, the engine pages by
email through a real SMTP server at each level's delay, the acknowledge link in the email (GET shows
a page, only POST acts, once) stops the ladder; webhooks that fail are retried, then fail over."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select

from firebell.engine.loop import EngineLoop
from firebell.jobs import engine_loop
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.models import Notification
from firebell.notify.settings import Channels
from tests.api.conftest import Api
from tests.escalation.test_engine import reach_by, use_policy
from tests.notify.test_email import MailSink, smtp_server

PD_KEY = "pdapikey0000000000000000000000aa"
EMAIL_LADDER = {"name": "mail-p1", "repeat": 0, "levels": [
    {"targets": [{"kind": "user", "name": "alice"}], "delay_s": 300},
    {"targets": [{"kind": "user", "name": "bob"}], "delay_s": 300}]}


def engine(api: Api, channels: Channels) -> EngineLoop:
    return engine_loop(api.db, api.clock, channels=channels)


def email_channels(api: Api, port: int) -> Channels:
    """Email only, through the SMTP server on `port`."""
    return Channels(public_url="http://testserver", clock=api.clock, by_name={"email": EmailChannel(
        SmtpSettings(host="127.0.0.1", port=port, from_address="firebell@example.com", security="none"))})


def trigger(api: Api, key: str = "db-down") -> None:
    body = {"routing_key": PD_KEY, "event_action": "trigger", "dedup_key": key,
            "payload": {"summary": "Database down", "source": "db1", "severity": "critical"}}
    assert api.client.post("/v2/enqueue", json=body).status_code == 202


def recipients(sink: MailSink) -> list[str]:
    return [str(m["To"]) for m in sink.received]


def ack_link(message: Any) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(r"http://\S+/act/(\S+)", text)
    assert found, text
    return f"/act/{found.group(1)}"


def test_an_alert_pages_by_email_level_by_level_until_the_email_link_acknowledges(api: Api) -> None:
    use_policy(api, EMAIL_LADDER)
    sink = MailSink()
    with smtp_server(sink) as port:
        channels = email_channels(api, port)
        loop = engine(api, channels)
        trigger(api)
        loop.run_once()
        assert recipients(sink) == ["alice@example.com"]
        assert "[P1]" in str(sink.received[0]["Subject"])
        api.clock.advance(minutes=5)
        loop.run_once()
        assert recipients(sink) == ["alice@example.com", "bob@example.com"]

        link = ack_link(sink.received[1])  # bob acknowledges from his email
        page = api.client.get(link)
        assert page.status_code == 200 and "<form method=post>" in page.text
        (incident,) = api.get("/api/v1/incidents").json()["items"]
        assert incident["status"] == "triggered", "a GET (a mail scanner) acknowledged the incident"
        done = api.client.post(link)
        assert done.status_code == 200 and "acknowledged" in done.text
        assert api.client.post(link).status_code == 409, "an action link worked twice"

        api.clock.advance(minutes=30)
        loop.run_once()
        assert recipients(sink) == ["alice@example.com", "bob@example.com"]
    timeline = api.get(f"/api/v1/incidents/{incident['ref']}/timeline").json()["events"]
    types = [e["type"] for e in timeline]
    assert types.count("notification_sent") == 2 and "acknowledged" in types
    assert next(e for e in timeline if e["type"] == "acknowledged")["actor"].endswith("via link")


def first_page_by_email(api: Api) -> MailSink:
    """Trigger an alert and run the engine once: the first level's page arrives by email."""
    use_policy(api, EMAIL_LADDER)
    sink = MailSink()
    with smtp_server(sink) as port:
        channels = email_channels(api, port)
        trigger(api)
        engine(api, channels).run_once()
    return sink


def first_email_link(api: Api) -> str:
    """Trigger an alert and return the acknowledge link of the first page, sent by email."""
    return ack_link(first_page_by_email(api).received[0])


def test_a_forged_or_expired_link_does_nothing(api: Api) -> None:
    link = first_email_link(api)
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert api.client.post(forged).status_code == 400
    api.clock.advance(hours=25)
    assert api.client.post(link).status_code == 400
    (incident,) = api.get("/api/v1/incidents").json()["items"]
    assert incident["status"] == "triggered"


class Receiver:
    """An HTTP receiver on loopback that fails with 500 until told otherwise."""

    def __init__(self) -> None:
        self.failing = True
        self.received: list[tuple[str, dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.failing:
                    self.send_response(500)
                else:
                    outer.received.append((self.headers["webhook-id"], json.loads(body)))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@contextmanager
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        r.server.shutdown()


def test_a_webhook_that_fails_for_minutes_gets_every_page_after_in_due_order(api: Api) -> None:
    with receiver() as hook:
        reach_by(api.db, "alice", ("webhook", hook.url))
        use_policy(api, {"name": "hook-p1", "repeat": 0, "levels": [
            {"targets": [{"kind": "user", "name": "alice"}], "delay_s": 60}]})
        channels = Channels(public_url="http://testserver", clock=api.clock,
                            default_webhook_secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        loop = engine(api, channels)
        for key in ("first", "second", "third"):
            trigger(api, key)
            api.clock.advance(seconds=10)
            loop.run_once()
        assert hook.received == []
        for _ in range(10):  # five minutes of 500s, the engine passing every 30 s
            api.clock.advance(seconds=30)
            loop.run_once()
        hook.failing = False
        for _ in range(20):
            api.clock.advance(minutes=1)
            loop.run_once()
    refs = [body["incident"]["ref"] for _, body in hook.received]
    assert refs == ["INC-1", "INC-2", "INC-3"], refs
    assert len({key for key, _ in hook.received}) == 3


def test_a_page_that_cannot_be_delivered_fails_over_to_the_next_contact_method(api: Api) -> None:
    sink = MailSink()
    reach_by(api.db, "alice", ("sms", "+46700000000"), ("email", "alice@example.com"))
    with smtp_server(sink) as port:
        use_policy(api, EMAIL_LADDER)
        channels = email_channels(api, port)
        trigger(api)
        engine(api, channels).run_once()  # SMS is not configured here: permanent failure, then email
        engine(api, channels).run_once()
        assert recipients(sink) == ["alice@example.com"]
    with api.db.unit_of_work(write=False) as session:
        states = sorted((n.channel, n.state) for n in session.execute(select(Notification)).scalars())
    assert states == [("email", "sent"), ("sms", "failed")]


def test_the_crash_rule_resends_a_keyed_page_once_and_never_blindly_resends_an_sms(api: Api) -> None:
    """A send interrupted by a crash (claimed, never recorded) is sent once more with the same key
    when the receiver can drop repeats; a second interruption, or an SMS, fails over instead."""
    from firebell.notify import sender

    with receiver() as hook:
        hook.failing = False
        reach_by(api.db, "alice", ("webhook", hook.url), ("email", "alice@example.com"))
    use_policy(api, EMAIL_LADDER)
    channels = Channels(public_url="http://testserver", clock=api.clock,
                        default_webhook_secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    trigger(api)
    loop = engine(api, channels)
    loop.run_job("escalation")

    def crash_after_claim() -> None:
        with api.db.unit_of_work() as session:
            assert sender.claim(session, channels, api.clock.now)  # claimed; the process dies here

    def states() -> list[tuple[str, str, int]]:
        with api.db.unit_of_work(write=False) as session:
            return sorted((n.channel, n.state, n.uncertain) for n in session.execute(select(Notification)).scalars())

    crash_after_claim()
    api.clock.advance(seconds=61)  # past the send deadline
    crash_after_claim()  # recovered as uncertain and claimed again: interrupted a second time
    assert states() == [("webhook", "sending", 1)]
    api.clock.advance(seconds=61)
    loop.run_job("sender")  # no third blind try: it fails over to the next contact method (email, not configured here)
    assert states()[-1] == ("webhook", "failed", 1)
    assert ("email", "failed", 0) in states()


def test_a_receiver_that_is_down_holds_back_only_its_own_pages_and_acknowledged_pages_are_dropped(
        api: Api) -> None:
    from firebell.notify import sender

    with receiver() as hook:
        reach_by(api.db, "bob", ("webhook", hook.url))
        use_policy(api, {"name": "two", "repeat": 0, "levels": [
            {"targets": [{"kind": "user", "name": "bob"}], "delay_s": 60}]})
        channels = Channels(public_url="http://testserver", clock=api.clock,
                            default_webhook_secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        loop = engine(api, channels)
        refs = []
        for i in range(60):  # bob's webhook answers 500: his pages queue up behind the first one
            trigger(api, f"storm-{i}")
            refs.append(f"INC-{i + 1}")
        loop.run_job("escalation")
        loop.run_job("sender")
        use_policy(api, EMAIL_LADDER)
        trigger(api, "alice-page")
        loop.run_job("escalation")
        with api.db.unit_of_work() as session:
            claimed = sender.claim(session, channels, api.clock.now)
        assert [c.address for c in claimed] == ["alice@example.com"], "a down receiver starved everyone else"
        with api.db.unit_of_work() as session:
            for c in claimed:
                sender.release(session, c, api.clock.now)
        assert api.post(f"/api/v1/incidents/{refs[1]}/acknowledge", who="bob").status_code == 200
        hook.failing = False
        for _ in range(30):
            api.clock.advance(minutes=1)
            loop.run_job("sender")
    arrived = [body["incident"]["ref"] for _, body in hook.received]
    assert refs[1] not in arrived, "a ladder page went out after its incident was acknowledged"
    assert arrived == [r for r in refs if r != refs[1]], "bob's pages arrived out of order or went missing"
