"""The P2 ladder's last step, OPS1's "CTO Slack mention", as the PRIA example writes it: a valid
chat.postMessage through the bot to the fake Slack, mentioning the CTO, sent through the outbox
(idempotency key, timeline event) like any other page."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from firebell.config.oncall import snapshot_of
from firebell.core.escalation import snapshot_to_json
from firebell.incidents.models import TimelineEvent
from firebell.jobs import engine_loop
from firebell.notify.channels.base import Links, Message
from firebell.notify.channels.slack_dm import SlackDirectMessages
from firebell.notify.channels.slack_mention import SlackMentions, mention_markup, slack_mention_text
from firebell.notify.channels.slack_web import SlackWebClient
from firebell.notify.models import Notification
from firebell.notify.settings import Channels
from tests.api.conftest import Api
from tests.config.helpers import valid
from tests.escalation.test_engine import tick, use_policy
from tests.slack.fake_slack import CHANNEL, TOKEN, FakeSlack

PRIA = Path(__file__).resolve().parents[2] / "examples" / "pria"
PRIA_CHANNEL = "C07INCACTV"


def test_the_p2_ladders_cto_mention_reaches_slack_as_a_valid_post_message(api: Api) -> None:
    (p2,) = [p for p in valid(PRIA).escalation_policies if p.name == "ep-prod-p2"]
    use_policy(api, snapshot_to_json(snapshot_of(p2)) | {"webhooks": {}})
    with FakeSlack(channels=(CHANNEL, PRIA_CHANNEL)) as slack:
        bot = SlackWebClient(TOKEN, base_url=slack.api_url)
        channels = Channels(public_url="http://firebell.test", clock=api.clock, slack=bot,
                            by_name={"slack": SlackDirectMessages(bot), "slack_mention": SlackMentions(bot)})
        loop = engine_loop(api.db, api.clock, channels=channels)
        ref = api.declare(severity="P1", title="Checkout & payments failing")["ref"]  # use_policy maps P1
        for _level in range(3):  # nobody acknowledges: primary, the DevOps lead 10 min later, the CTO after 10 more
            tick(api)
            api.clock.advance(minutes=10)
        loop.run_once()
        mentions = [m for m in slack.messages if m.channel == PRIA_CHANNEL]
        assert len(mentions) == 1, [m.current for m in slack.messages]
        posted = mentions[0].current
        assert posted["text"].startswith("<@U07CARL10> ") and ref in posted["text"]
        assert "&amp; payments" in posted["text"], "the title is escaped for mrkdwn"
        assert "<@U07CARL10>" in json.dumps(posted["blocks"])
        (request,) = [r for r in slack.requests if r.path == "/api/chat.postMessage" and r.json()["channel"] ==
                      PRIA_CHANNEL]
        assert request.headers["authorization"] == f"Bearer {TOKEN}" and "missing_charset" not in slack.warnings
        with api.db.unit_of_work(write=False) as session:
            (row,) = session.execute(select(Notification).where(Notification.channel == "slack_mention")).scalars()
            assert (row.state, row.address, row.target, row.level) == ("sent", PRIA_CHANNEL,
                                                                        "slack_mention:U07CARL10", 2)
            assert row.idempotency_key.endswith(f":slack_mention:U07CARL10@{PRIA_CHANNEL}:0")
            sent = session.execute(select(TimelineEvent.payload).where(
                TimelineEvent.type == "notification_sent")).scalars().all()
        assert any(p["channel"] == "slack_mention" and p["detail"] == "Slack chat.postMessage: ok" for p in sent)
        api.clock.advance(minutes=30)
        tick(api)
        loop.run_once()
        assert len([m for m in slack.messages if m.channel == PRIA_CHANNEL]) == 1, "the step mentioned twice"


def test_a_user_group_is_mentioned_as_a_subteam_and_anything_else_is_refused() -> None:
    message = Message(idempotency_key="k", kind="page", incident_ref="INC-1", title="t", severity="P2", summary="",
                      recipient="C1", links=Links(), details={"status": "triggered", "note": "CTO Slack mention"})
    assert slack_mention_text("S07CTOGRP", message).startswith("<!subteam^S07CTOGRP> *INC-1*")
    assert mention_markup("W0ENTERPRISE") == "<@W0ENTERPRISE>"
    refused = SlackMentions(SlackWebClient("xoxb-unused", base_url="http://127.0.0.1:9")).send(message)
    assert not refused.ok and not refused.retryable and "neither a Slack member" in refused.detail
