"""Slack end to end against the local fake of Slack's hosted side: one message per incident per
channel, updated in place through a whole incident; slash commands and buttons verified, mapped to
people, acting through the same core commands as every other channel; replays and forgeries refused."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update

from firebell.app import create_app
from firebell.engine.loop import EngineLoop
from firebell.incidents.models import Incident, TimelineEvent
from firebell.jobs import engine_loop
from firebell.notify.channels.slack_dm import SlackDirectMessages
from firebell.notify.channels.slack_web import SlackWebClient
from firebell.notify.settings import Channels
from firebell.oncall.models import ScheduleOverride
from firebell.org.models import User
from firebell.slack import api as slack_api
from firebell.slack.models import SlackChannelRoute
from firebell.slack.signing import sign_slack_request
from tests.api.conftest import Api
from tests.escalation.test_engine import LADDER, pages, use_policy
from tests.notify.test_reach import Recorder
from tests.slack.fake_slack import CHANNEL, TOKEN, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class Slack:
    api: Api
    fake: FakeSlack
    client: TestClient
    loop: EngineLoop

    def signed(self, path: str, form: dict[str, str], *, secret: str = SECRET, age: int = 0) -> Any:
        body = urlencode(form).encode()
        ts = str(int(self.api.clock.now.timestamp()) - age)
        headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign_slack_request(secret, ts, body),
                   "Content-Type": "application/x-www-form-urlencoded"}
        return self.client.post(path, content=body, headers=headers)

    def command(self, text: str, user: str = "U0ALICE01", **extra: str) -> Any:
        form = {"command": "/incident", "text": text, "user_id": user, "channel_id": CHANNEL,
                "team_id": "T000", "response_url": self.fake.new_response_url(), "trigger_id": "1.2.3"} | extra
        return self.signed("/integrations/slack/commands", form)

    def click(self, action_id: str, ref: str, user: str = "U0ALICE01") -> Any:
        payload = {"type": "block_actions", "user": {"id": user, "username": "x"}, "channel": {"id": CHANNEL},
                   "response_url": self.fake.new_response_url(),
                   "actions": [{"type": "button", "action_id": action_id, "value": ref, "block_id": "b",
                                "action_ts": "1700000000.1"}]}
        return self.signed("/integrations/slack/interactive", {"payload": json.dumps(payload)})

    def card(self) -> Any:
        (message,) = [m for m in self.fake.messages if m.channel == CHANNEL]
        return message


@contextmanager
def slack(api: Api) -> Iterator[Slack]:
    with FakeSlack() as fake:
        bot = SlackWebClient(TOKEN, base_url=fake.api_url)
        channels = Channels(public_url="http://testserver", clock=api.clock, slack=bot, slack_signing_secret=SECRET,
                            by_name={"slack": SlackDirectMessages(bot), "email": Recorder("email")})
        yield Slack(api, fake, TestClient(create_app(api.db, api.clock, channels=channels)),
                    engine_loop(api.db, api.clock, channels=channels))


def eventually(probe: Callable[[], list[Any]], seconds: float = 5.0) -> list[Any]:
    """Replies to response_url go out from a background thread: wait (briefly) for them."""
    deadline = time.monotonic() + seconds
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"])


@dataclass
class Seen:
    id: str
    status: str
    last_update_at: Any


def _incident(api: Api, ref: str) -> Seen:
    with api.db.unit_of_work(write=False) as session:
        found = session.execute(select(Incident).where(Incident.number == int(ref[4:]))).scalar_one()
        return Seen(found.id, found.status, found.last_update_at)


def _actors(api: Api, ref: str, kind: str) -> list[str]:
    incident_id = _incident(api, ref).id
    with api.db.unit_of_work(write=False) as session:
        return list(session.execute(select(TimelineEvent.actor).where(
            TimelineEvent.incident_id == incident_id, TimelineEvent.type == kind)).scalars())


def test_one_message_per_incident_is_updated_in_place_through_the_whole_incident(api: Api) -> None:
    with slack(api) as s:
        ref = api.declare(severity="P1")["ref"]
        s.loop.run_once()
        card = s.card()
        assert ref in card.current["text"] and '"action_id": "ack"' in _text(card.current)
        assert s.command(f"ack {ref}").json()["response_type"] == "in_channel"
        s.loop.run_once()
        assert "acknowledged" in _text(s.card().current).lower()
        assert '"action_id": "ack"' not in _text(s.card().current), "Acknowledge is still offered"
        assert s.click("command", ref, user="U0BOB0001").status_code == 200
        assert s.command(f"severity P2 {ref}").status_code == 200
        s.loop.run_once()
        assert "U0BOB0001" in _text(s.card().current) and "P2" in s.card().current["text"]
        assert s.command(f"resolve {ref}").status_code == 200
        s.loop.run_once()
        final = s.card()
        assert len(s.fake.messages) == 1, "a second message was posted instead of an update"
        assert len(final.versions) >= 4 and "resolved" in final.current["text"].lower()
        assert '"type": "actions"' not in _text(final.current), "a resolved incident still offers buttons"
        assert _actors(api, ref, "acknowledged") == ["Alice Andersson via slack"]


def test_an_incident_made_private_after_posting_is_hidden_in_place_and_shown_again_when_public(api: Api) -> None:
    with slack(api) as s:
        ref = api.declare(severity="P1", title="Card numbers in the debug log")["ref"]
        s.loop.run_once()
        assert "Card numbers" in s.card().current["text"]
        assert api.patch(f"/api/v1/incidents/{ref}", {"private": True}).status_code == 200
        s.loop.run_once()
        hidden = s.card().current
        assert f"{ref} is now private" in hidden["text"]
        assert "Card numbers" not in json.dumps(hidden) and '"type": "actions"' not in _text(hidden)
        assert api.post(f"/api/v1/incidents/{ref}/acknowledge").status_code == 200
        s.loop.run_once()
        assert "Card numbers" not in json.dumps(s.card().current), "a change while private redrew the details"
        assert api.patch(f"/api/v1/incidents/{ref}", {"private": False}).status_code == 200
        s.loop.run_once()
        assert "Card numbers" in s.card().current["text"] and "acknowledged" in _text(s.card().current).lower()
        assert len(s.fake.messages) == 1, "a second message was posted instead of an update"
        private = api.declare(severity="P1", title="Secret from the start", private=True)["ref"]
        s.loop.run_once()
        assert not any(private in json.dumps(m.current) for m in s.fake.messages), "a private incident was posted"


def test_a_private_incident_is_hidden_even_after_its_route_is_removed_and_through_a_slack_outage(api: Api) -> None:
    with slack(api) as s:
        ref = api.declare(severity="P1", title="Payroll export leaked")["ref"]
        s.loop.run_once()
        with api.db.unit_of_work() as session:  # the channel is no longer routed (config changed)
            session.execute(delete(SlackChannelRoute).where(SlackChannelRoute.channel_id == CHANNEL))
        s.fake.fail_next(12, status=500, retry_after=None)  # down for more attempts than a card normally gets
        assert api.patch(f"/api/v1/incidents/{ref}", {"private": True}).status_code == 200
        for _ in range(40):  # one attempt a pass; six minutes is past any backoff
            s.loop.run_once()
            api.clock.advance(minutes=6)
            if "Payroll" not in s.card().current["text"]:
                break
        assert f"{ref} is now private" in s.card().current["text"], "the redraw was given up on"


def test_a_bad_or_stale_signature_is_401_and_does_nothing(api: Api) -> None:
    with slack(api) as s:
        form = {"command": "/incident", "text": "create Forged incident P1", "user_id": "U0ALICE01",
                "channel_id": CHANNEL}
        forged = s.signed("/integrations/slack/commands", form, secret="not-the-secret-000000000000000")
        stale = s.signed("/integrations/slack/commands", form, age=301)
        assert forged.status_code == 401 and "signature does not match" in forged.text
        assert stale.status_code == 401 and "301 s old" in stale.text
        unsigned = s.client.post("/integrations/slack/commands", content=urlencode(form).encode())
        assert unsigned.status_code == 401
        with api.db.unit_of_work(write=False) as session:
            assert session.execute(select(Incident)).first() is None


def test_a_replayed_command_or_click_acts_once(api: Api) -> None:
    with slack(api) as s:
        form = {"command": "/incident", "text": "create Checkout failing P2", "user_id": "U0ALICE01",
                "channel_id": CHANNEL, "response_url": s.fake.new_response_url()}
        first = s.signed("/integrations/slack/commands", form)
        again = s.signed("/integrations/slack/commands", form)  # same second, same body: the same signature
        assert "declared" in first.json()["text"]
        assert "already carried out" in again.json()["text"]
        with api.db.unit_of_work(write=False) as session:
            assert len(session.execute(select(Incident)).all()) == 1


def test_a_button_acknowledges_through_the_core_command_and_a_stale_one_says_why(api: Api) -> None:
    with slack(api) as s:
        ref = api.declare(severity="P1")["ref"]
        url_before = len(s.fake.requests)
        assert s.click("ack", ref).status_code == 200
        assert _incident(api, ref).status == "acknowledged"
        assert _actors(api, ref, "acknowledged") == ["Alice Andersson via slack"]
        api.clock.advance(seconds=1)  # a second click, a new request: the button is stale now
        assert s.click("ack", ref, user="U0BOB0001").status_code == 200
        replies = eventually(lambda: [r.json() for r in s.fake.requests[url_before:] if "/response/" in r.path
                                      and "already acknowledged" in r.json()["text"]])
        assert replies and replies[0]["response_type"] == "ephemeral"


def test_an_unknown_slack_user_gets_a_clear_private_error_and_a_known_email_is_enough(api: Api) -> None:
    with slack(api) as s:
        reply = s.command("create Something P3", user="U0STRANGER").json()
        assert reply["response_type"] == "ephemeral" and "not linked to a Firebell user" in reply["text"]
        s.fake.user_emails["U0SAMSAMS"] = "Sam@Example.com"  # no slack_user configured for sam
        created = s.command("create Something else P3", user="U0SAMSAMS").json()
        assert created["response_type"] == "in_channel", created
        assert _actors(api, "INC-1", "declared") == ["Sam Sec via slack"]


def test_commands_create_update_oncall_override_and_help(api: Api) -> None:
    with slack(api) as s:
        created = s.command("create Login page blank P2").json()
        assert created["response_type"] == "in_channel" and "INC-1" in created["text"]
        s.loop.run_once()  # the new incident's message lands in the channel: ref-less commands find it
        update = s.command("update Rolled back the deploy").json()
        assert "Update posted to INC-1" in update["text"]
        assert _incident(api, "INC-1").last_update_at == api.clock.now
        assert "primary" in s.command("oncall").json()["text"]
        override = s.command("override primary <@U0BOB0001|bob> 4h").json()
        assert "bob is on call for primary" in override["text"]
        with api.db.unit_of_work(write=False) as session:
            (row,) = session.execute(select(ScheduleOverride)).scalars().all()
            assert row.ends_at - row.starts_at == timedelta(hours=4)
        assert "/incident create" in s.command("help").json()["text"]
        bad = s.command("severity P9 INC-1").json()
        assert bad["response_type"] == "ephemeral" and "Usage" in bad["text"]


def test_slow_work_answers_at_once_and_sends_the_result_to_the_response_url(api: Api,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_api, "REPLY_BUDGET", 0.0)
    with slack(api) as s:
        url = s.fake.new_response_url()
        reply = s.signed("/integrations/slack/commands", {
            "command": "/incident", "text": "create Queue backing up P3", "user_id": "U0ALICE01",
            "channel_id": CHANNEL, "response_url": url})
        assert "Working on it" in reply.json()["text"]
        posts = eventually(lambda: s.fake.response_posts(url))
        assert "INC-1 declared" in posts[0]["text"]


@pytest.mark.parametrize("how", ["button", "command"])
def test_acknowledging_from_slack_ends_the_ladder(api: Api, how: str) -> None:
    use_policy(api, LADDER)  # alice now, bob after 5 minutes
    with slack(api) as s:
        ref = api.declare(severity="P1")["ref"]
        s.loop.run_once()
        assert [p[0] for p in pages(api)] == ["alice"]
        response = s.click("ack", ref) if how == "button" else s.command(f"ack {ref}")
        assert response.status_code == 200
        api.clock.advance(minutes=30)
        s.loop.run_once()
        assert [p[0] for p in pages(api)] == ["alice"], "bob was paged after Slack acknowledged"


def test_a_webhook_channel_gets_the_first_message_only_and_a_broken_one_reposts_nothing(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    with slack(api) as s:
        monkeypatch.setenv("EXEC_HOOK", s.fake.webhook_url)
        monkeypatch.setenv("BROKEN_HOOK", "hooks.slack.com/services/T0/B0/no-scheme")
        with api.db.unit_of_work() as session:
            session.add(SlackChannelRoute(channel_id="C0EXEC", name="#exec", severities=["P1"], tags=[],
                                          webhook_url_env="EXEC_HOOK"))
            session.add(SlackChannelRoute(channel_id="C0BROKEN", name="#broken", severities=["P1"], tags=[],
                                          webhook_url_env="BROKEN_HOOK"))
        ref = api.declare(severity="P1")["ref"]
        for step in ("ack", "resolve", None):
            s.loop.run_once()
            if step:
                assert s.command(f"{step} {ref}").status_code == 200
        assert len(s.fake.webhook_posts) == 1, "the webhook channel got a message per change"
        assert len([m for m in s.fake.messages if m.channel == CHANNEL]) == 1
        assert len(s.card().versions) == 3  # posted, acknowledged, resolved: updated in place
        failed = _actors(api, ref, "slack_message_failed")
        assert len(failed) == 1


def test_viewers_cannot_put_anyone_on_call_from_slack(api: Api) -> None:
    with api.db.unit_of_work() as session:
        session.execute(update(User).where(User.name == "vera").values(slack_user_id="U0VERA001"))
    with slack(api) as s:
        reply = s.command("override primary vera 4h", user="U0VERA001").json()
        assert "viewers cannot change schedules" in reply["text"]
        with api.db.unit_of_work(write=False) as session:
            assert session.execute(select(ScheduleOverride)).first() is None


def test_another_teams_responder_cannot_override_and_nobody_puts_a_viewer_on_call_from_slack(api: Api) -> None:
    with api.db.unit_of_work() as session:
        session.execute(update(User).where(User.name == "sam").values(slack_user_id="U0SAM0001"))
    with slack(api) as s:
        refused = s.command("override primary sam 4h", user="U0SAM0001").json()
        assert refused["response_type"] == "ephemeral"
        assert "schedule 'primary' belongs to team platform" in refused["text"]
        viewer = s.command("override primary otto 4h").json()  # alice, of the schedule's team
        assert "otto is a viewer and cannot be put on call" in viewer["text"]
        with api.db.unit_of_work(write=False) as session:
            assert session.execute(select(ScheduleOverride)).first() is None
