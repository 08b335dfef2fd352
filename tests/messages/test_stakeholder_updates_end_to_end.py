"""Stakeholder updates end to end: an update posted from the API, the CLI, the console and Slack's
`/incident update` reaches the stakeholder Slack channel (the local fake of Slack), the stakeholder
list's addresses (a real SMTP server) and its webhook (a loopback receiver) once each, and shows on
the timeline; the incident's card shows OPS1 8.1's fields; declaring and resolving are told too;
a private incident is told to nobody."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from firebell.app import create_app
from firebell.cli import client as cli_client
from firebell.cli.main import app as cli
from firebell.config import apply, load
from firebell.config.schema import OutboundWebhookConfig, SlackChannelConfig, StakeholderListConfig
from firebell.engine.loop import EngineLoop
from firebell.jobs import engine_loop
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.channels.slack_dm import SlackDirectMessages
from firebell.notify.channels.slack_web import SlackWebClient
from firebell.notify.settings import Channels
from tests.api.conftest import ORG, Api
from tests.escalation.test_paging_end_to_end import Receiver, receiver
from tests.notify.test_email import MailSink, smtp_server
from tests.slack.fake_slack import CHANNEL, TOKEN, FakeSlack
from tests.slack.test_slack_end_to_end import SECRET, Slack
from tests.web.conftest import Web

COMMS = "C0COMMSXX"  # TenSafe's #incident-comms
WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LIST = ["alice@example.com", "ceo@example.com"]  # alice by user name, the CEO by address


@dataclass
class Routes:
    api: Api
    fake: FakeSlack
    sink: MailSink
    hook: Receiver
    loop: EngineLoop
    slack: Slack
    web: Web
    channels: Channels

    def deliver(self) -> None:
        self.loop.run_once()
        self.loop.run_once()  # a second pass sends nothing twice

    def comms(self, words: str) -> list[str]:
        return [m.current["blocks"][0]["text"]["text"] for m in self.fake.messages
                if m.channel == COMMS and words in json.dumps(m.current)]

    def mails(self, words: str) -> list[str]:
        return sorted(str(m["To"]) for m in self.sink.received
                      if words in m.get_body(preferencelist=("plain",)).get_content())

    def hooks(self, words: str) -> list[dict[str, Any]]:
        return [body for _, body in self.hook.received if words in json.dumps(body)]


def configure(api: Api, hook_url: str) -> None:
    """The test organisation plus #incident-comms for stakeholders and an executives list (P1 and P2)."""
    config = load(ORG).config
    assert config is not None
    config.slack.channels.append(SlackChannelConfig(channel=COMMS, name="#incident-comms", severities=["P1", "P2"],
                                                    purpose="stakeholders"))
    config.outbound_webhooks.append(OutboundWebhookConfig(name="status-sync", url=hook_url))
    config.stakeholders.append(StakeholderListConfig.model_validate({
        "name": "executives", "people": ["alice"], "addresses": ["ceo@example.com"], "webhooks": ["status-sync"],
        "when": {"severities": ["P1", "P2"]}}))
    with api.db.unit_of_work() as session:
        apply(session, config, now=api.clock.now)


@contextmanager
def routes(api: Api) -> Iterator[Routes]:
    sink = MailSink()
    with FakeSlack(channels=(CHANNEL, COMMS)) as fake, smtp_server(sink) as port, receiver() as hook:
        hook.failing = False
        configure(api, hook.url)
        bot = SlackWebClient(TOKEN, base_url=fake.api_url)
        email = EmailChannel(SmtpSettings(host="127.0.0.1", port=port, from_address="firebell@example.com",
                                          security="none"))
        channels = Channels(public_url="http://testserver", clock=api.clock, slack=bot, slack_signing_secret=SECRET,
                            default_webhook_secret=WEBHOOK_SECRET,
                            by_name={"slack": SlackDirectMessages(bot), "email": email})
        app = create_app(api.db, api.clock, channels=channels)
        loop = engine_loop(api.db, api.clock, channels=channels)
        api.client = TestClient(app)
        yield Routes(api, fake, sink, hook, loop, Slack(api, fake, TestClient(app), loop),
                     Web(app=app, db=api.db, clock=api.clock, tokens=api.tokens), channels)


def cli_update(api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> str:
    return cli_incident(api, monkeypatch, tmp_path, "update", *args)


def cli_incident(api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> str:
    """`firebell incident ...` as alice types it, its HTTP calls answered by the app in this process."""
    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.pop("timeout", None)
        return api.client.request(method, url.removeprefix("http://firebell.test"), **kwargs)
    monkeypatch.setattr(cli_client.httpx, "request", request)
    env = {"FIREBELL_URL": "http://firebell.test", "FIREBELL_TOKEN": api.tokens["alice"],
           "XDG_CONFIG_HOME": str(tmp_path)}
    result = CliRunner().invoke(cli, ["incident", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_an_update_from_each_surface_reaches_every_stakeholder_route_once(
        api: Api, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with routes(api) as r:
        ref = api.declare(severity="P1", title="Checkout failing", impact="a third of payments fail")["ref"]
        r.deliver()
        assert len(r.comms("INCIDENT DECLARED")) == 1 and r.mails("INCIDENT DECLARED") == LIST
        assert len(r.hooks("INCIDENT DECLARED")) == 1

        api.clock.advance(minutes=5)
        assert api.post(f"/api/v1/incidents/{ref}/updates", {
            "status": "identified", "known": "from-the-api: a bad deploy", "doing": "rolling back",
            "next_update_in": "30m"}, who="alice").status_code == 200
        api.clock.advance(minutes=5)
        out = cli_update(api, monkeypatch, tmp_path, ref, "Customers may retry.", "--status", "monitoring",
                         "--known", "from-the-cli: rolled back", "--next", "20m")
        assert f"Update posted to {ref}" in out
        api.clock.advance(minutes=5)
        alice = r.web.signed_in("alice")
        assert alice.post(f"/incidents/{ref}/updates", {"status": "Monitoring", "known": "from-the-console",
                                                        "doing": "watching the error rate"}).status_code == 303
        api.clock.advance(minutes=5)
        reply = r.slack.command(f"update {ref} monitoring known: from-slack doing: watching next: 15m").json()
        assert reply["response_type"] == "in_channel" and "Update (Monitoring) posted" in reply["text"]
        r.deliver()

        for surface in ("from-the-api", "from-the-cli", "from-the-console", "from-slack"):
            assert len(r.comms(surface)) == 1, surface
            assert r.mails(surface) == LIST, surface
            assert len(r.hooks(surface)) == 1, surface
        (api_said,) = r.comms("from-the-api")
        assert "*Current Status*: Identified" in api_said and "*Next update*: 03:35 UTC" in api_said
        (mail,) = [m for m in r.sink.received if "from-the-cli" in str(m.get_body(preferencelist=("plain",)))
                   and m["To"] == "ceo@example.com"]
        assert str(mail["Subject"]) == f"[P1] {ref} update: Monitoring - Checkout failing"
        assert "Customers may retry." in mail.get_body(preferencelist=("plain",)).get_content()
        (hooked,) = r.hooks("from-slack")
        assert hooked["type"] == "incident.update" and "Current Status: Monitoring" in hooked["summary"]

        events = api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]
        updates = [e["text"] for e in events if e["type"] == "status_update"]
        assert len(updates) == 4
        assert "(Identified) via the API: known: from-the-api: a bad deploy; doing: rolling back" in updates[0]
        assert "(Monitoring) via Slack: known: from-slack" in updates[3]
        sent = [e["text"] for e in events if e["type"] == "message_sent"]
        assert sum("#incident-comms" in t for t in sent) == 5  # declared and four updates
        assert sum("executives: ceo@example.com" in t for t in sent) == 5

        # The card in the coordination channel: OPS1 8.1's fields, redrawn in place, buttons kept.
        (card,) = [m for m in r.fake.messages if m.channel == CHANNEL]
        shown = json.dumps(card.current)
        assert "Impact: a third of payments fail" in shown and "Next Update: 03:35 UTC" in shown
        assert "Root-Cause Status: Monitoring" in shown and '"action_id": "resolve"' in shown

        api.clock.advance(minutes=40)
        assert api.post(f"/api/v1/incidents/{ref}/resolve", {"resolution": "Rolled back the deploy"}).status_code \
            == 200
        r.deliver()
        (resolved,) = r.comms("INCIDENT RESOLVED")
        assert "*Duration*: 2026-11-23 03:00 UTC - 2026-11-23 04:00 UTC (1 hour)" in resolved, resolved
        assert "*Resolution*: Rolled back the deploy" in resolved
        assert r.mails("INCIDENT RESOLVED") == LIST and len(r.hooks("INCIDENT RESOLVED")) == 1
        assert not [m for m in r.fake.messages if m.channel == COMMS and len(m.versions) > 1], "a message was edited"


def test_a_private_incident_is_told_to_no_stakeholder(api: Api) -> None:
    with routes(api) as r:
        ref = api.declare(severity="P1", title="Payroll export leaked", private=True)["ref"]
        assert api.post(f"/api/v1/incidents/{ref}/updates", {"known": "secret-words"}).status_code == 200
        assert api.post(f"/api/v1/incidents/{ref}/resolve", {}).status_code == 200
        r.deliver()
        assert not [m for m in r.fake.messages if m.channel == COMMS]
        assert not r.sink.received and not r.hook.received
        events = api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]
        assert [e["type"] for e in events].count("status_update") == 1
        assert "message_sent" not in [e["type"] for e in events]


def test_an_update_that_says_nothing_or_promises_nonsense_is_refused_everywhere(api: Api) -> None:
    with routes(api) as r:
        ref = api.declare(severity="P1")["ref"]
        for body, why in (({"status": "identified"}, "all were empty"), ({"known": "x", "status": "fixed"},
                          "unknown update status"), ({"known": "x", "next_update_in": "3d"}, "within 24 hours")):
            answer = api.post(f"/api/v1/incidents/{ref}/updates", body)
            assert answer.status_code == 422 and why in answer.json()["detail"], answer.text
        reply = r.slack.command(f"update {ref} identified").json()
        assert reply["response_type"] == "ephemeral" and "needs some text" in reply["text"]
