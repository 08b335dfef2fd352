"""Incident cards in Google Chat and Teams end to end: one message per change worth telling, through
the outbox and onto the timeline; and OPS1's Google Chat fallback while Slack fails, back to Slack
once it answers. Against the local stand-ins of all three services."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select

from firebell.alerts.snapshot import bump_version
from firebell.chat.models import ChatRoute
from firebell.core.timeline.catalogue import render
from firebell.engine.loop import EngineLoop
from firebell.incidents.models import TimelineEvent
from firebell.jobs import engine_loop
from firebell.messages.models import MessageTemplate
from firebell.notify.channels.chat_webhooks import GoogleChatWebhook, TeamsWebhook
from firebell.notify.channels.slack_dm import SlackDirectMessages
from firebell.notify.channels.slack_web import SlackWebClient
from firebell.notify.settings import Channels
from tests.api.conftest import Api
from tests.chat.fake_chat import FakeChat, Posted
from tests.slack.fake_slack import CHANNEL, TOKEN, FakeSlack


@dataclass
class Stack:
    chat: FakeChat
    slack: FakeSlack
    loop: EngineLoop


@contextmanager
def stack(api: Api, *routes: ChatRoute) -> Iterator[Stack]:
    with api.db.unit_of_work() as session:
        session.add_all(routes)
    with FakeChat() as chat, FakeSlack() as slack:
        env = {"FB_GCHAT": chat.google_url, "FB_TEAMS": chat.teams_url}
        bot = SlackWebClient(TOKEN, base_url=slack.api_url)
        channels = Channels(public_url="http://firebell.test", clock=api.clock, slack=bot,
                            by_name={"slack": SlackDirectMessages(bot), "google_chat": GoogleChatWebhook(env),
                                     "teams": TeamsWebhook(env)})
        yield Stack(chat, slack, engine_loop(api.db, api.clock, channels=channels))


def _headlines(posted: list[Posted]) -> list[str]:
    return [p.body["cardsV2"][0]["card"]["header"]["title"] if "cardsV2" in p.body
            else p.body["attachments"][0]["content"]["body"][0]["text"] for p in posted]


def test_each_change_worth_telling_is_one_message_in_each_route(api: Api) -> None:
    with stack(api, ChatRoute(name="ops-gchat", kind="google_chat", url_env="FB_GCHAT", severities=["P1"], tags=[]),
               ChatRoute(name="exec-teams", kind="teams", url_env="FB_TEAMS", severities=[], tags=["exec"])) as s:
        ref = api.declare(severity="P1", title="Checkout errors", tags=["exec"])["ref"]
        s.loop.run_once()
        api.clock.advance(minutes=12)
        assert api.post(f"/api/v1/incidents/{ref}/updates",
                        {"message": "Rolled back the deploy", "status": "monitoring"}).status_code == 200
        s.loop.run_once()
        api.clock.advance(minutes=60)
        assert api.post(f"/api/v1/incidents/{ref}/resolve", {"resolution": "Error rate normal"}).status_code == 200
        s.loop.run_once()
        s.loop.run_once()  # nothing is told twice
        api.declare(severity="P1", title="Leaked keys", private=True, tags=["exec"])
        api.declare(severity="P3", title="Slow reports")
        s.loop.run_once()
        expected = [f"Incident declared: {ref}", f"Incident update: {ref}", f"Incident resolved: {ref}"]
        assert _headlines(s.chat.google) == expected and _headlines(s.chat.teams) == expected, s.chat.refused
        assert len({p.thread for p in s.chat.google}) == 1, "one incident, one Google Chat thread"
        assert "Rolled back the deploy" in json.dumps(s.chat.google[1].body)
        resolved = s.chat.teams[2].body["attachments"][0]["content"]
        assert {"title": "Duration", "value": "1h 12m"} in resolved["body"][2]["facts"]
        assert not any("Leaked keys" in json.dumps(p.body) for p in s.chat.google + s.chat.teams)
        with api.db.unit_of_work(write=False) as session:
            said = [render(e.type, e.payload, e.actor).text for e in session.execute(select(TimelineEvent).where(
                TimelineEvent.type == "notification_sent")).scalars()]
        assert said.count("Posted to chat ops-gchat by Google Chat") == 3
        assert said.count("Posted to chat exec-teams by Microsoft Teams") == 3


def test_while_slack_fails_messages_go_to_the_fallback_and_back_to_slack_when_it_answers(api: Api) -> None:
    fallback = ChatRoute(name="gchat-fallback", kind="google_chat", url_env="FB_GCHAT", severities=[], tags=[],
                         slack_fallback_after_s=300)
    with stack(api, fallback) as s:
        s.slack.fail_next(3, status=503)
        ref = api.declare(severity="P1", title="Checkout errors")["ref"]
        s.loop.run_once()  # Slack fails: the card waits for a retry, nothing goes to the fallback yet
        assert s.chat.google == [] and s.slack.messages == []
        api.clock.advance(minutes=5)
        s.loop.run_once()  # five minutes of failures: the declaration goes to Google Chat
        assert _headlines(s.chat.google) == [f"Incident declared: {ref}"]
        assert api.post(f"/api/v1/incidents/{ref}/updates", {"message": "Rolled back"}).status_code == 200
        api.clock.advance(minutes=1)
        s.loop.run_once()
        assert _headlines(s.chat.google)[-1] == f"Incident update: {ref}"
        api.clock.advance(minutes=6)
        s.loop.run_once()  # Slack answers: the card is posted as the incident is now
        (card,) = [m for m in s.slack.messages if m.channel == CHANNEL]
        assert ref in card.current["text"]
        assert api.post(f"/api/v1/incidents/{ref}/updates", {"message": "Monitoring"}).status_code == 200
        api.clock.advance(minutes=1)
        s.loop.run_once()
        assert len(s.chat.google) == 2, "back on Slack: the fallback gets nothing more"
        assert len(card.versions) == 2, "the Slack card was redrawn for the update"
        with api.db.unit_of_work(write=False) as session:
            targets = session.execute(select(TimelineEvent.payload).where(
                TimelineEvent.type == "notification_sent")).scalars().all()
        assert all(t["target"] == "chat:gchat-fallback (fallback for Slack #incident-active)" for t in targets)


def test_a_chat_card_says_what_its_template_says(api: Api) -> None:
    with api.db.unit_of_work() as session:
        session.add(MessageTemplate(name="declared/chat", purpose="declared", channel="chat", service="",
                                    parts={"title": "Heads up: {{ incident.ref }}",
                                           "text": "{{ incident.title }} is {{ incident.severity_name or 'open' }}"}))
        bump_version(session)
    with stack(api, ChatRoute(name="ops-gchat", kind="google_chat", url_env="FB_GCHAT", severities=["P1"],
                              tags=[])) as s:
        ref = api.declare(severity="P1", title="Checkout errors")["ref"]
        s.loop.run_once()
        assert _headlines(s.chat.google) == [f"Heads up: {ref}"], s.chat.refused
        assert "Checkout errors is " in json.dumps(s.chat.google[0].body)
