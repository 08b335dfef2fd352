"""Posting to Slack, against a local server that answers and checks the way Slack does (fake_slack.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from firebell.notify.channels.slack_blocks import IncidentCard, incident_message, text_reply
from firebell.notify.channels.slack_web import (
    IncomingWebhookClient,
    SlackResult,
    SlackWebClient,
    delivery_of,
    post_to_response_url,
)
from tests.slack.fake_slack import CHANNEL, TOKEN, FakeSlack, ScriptedResponse

CARD = IncidentCard(
    ref="INC-42",
    title="API errors",
    severity="P1",
    status="triggered",
    opened_at=datetime(2024, 5, 1, 10, 2, tzinfo=UTC),
)
ARCHIVED = "C0ARCHIVED"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(channels=[CHANNEL, ARCHIVED], archived_channels=[ARCHIVED]) as server:
        yield server


@pytest.fixture
def web(slack: FakeSlack) -> Iterator[SlackWebClient]:
    with SlackWebClient(TOKEN, base_url=slack.api_url) as client:
        yield client


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_card_is_posted_then_updated_in_place(slack: FakeSlack, web: SlackWebClient) -> None:
    posted = web.post_message(CHANNEL, incident_message(CARD))
    assert posted.ok and posted.channel == CHANNEL and posted.ts

    acknowledged = incident_message(replace(CARD, status="acknowledged", acknowledged_by="<@U024BE7LH>"))
    updated = web.update_message(CHANNEL, posted.ts, acknowledged)

    assert updated.ok and updated.ts == posted.ts
    assert len(slack.messages) == 1
    message = slack.message(CHANNEL, posted.ts)
    assert [version["text"] for version in message.versions] == [
        "INC-42 P1: API errors (triggered)",
        "INC-42 P1: API errors (acknowledged)",
    ]
    assert message.current == acknowledged
    assert slack.warnings == []  # JSON sent with charset=utf-8, as Slack asks


def test_each_post_is_a_new_message_with_a_later_ts(web: SlackWebClient) -> None:
    first = web.post_message(CHANNEL, incident_message(CARD))
    second = web.post_message(CHANNEL, incident_message(replace(CARD, ref="INC-43")))
    assert first.ts is not None and second.ts is not None
    assert float(second.ts) > float(first.ts)


def test_a_successful_post_becomes_a_delivery_carrying_the_ts(web: SlackWebClient) -> None:
    delivery = delivery_of(web.post_message(CHANNEL, incident_message(CARD)))
    assert delivery.ok
    assert delivery.provider_id == "1700000000.000100"
    assert delivery.detail == "Slack chat.postMessage: ok"


def test_rate_limiting_is_retryable_after_the_wait_slack_asks_for(slack: FakeSlack, web: SlackWebClient) -> None:
    slack.fail_next(1, status=429, retry_after=30)
    result = web.post_message(CHANNEL, incident_message(CARD))
    assert not result.ok and result.retryable
    assert result.retry_after == 30
    assert result.error == "ratelimited"
    assert delivery_of(result).retryable
    assert delivery_of(result).detail == "Slack chat.postMessage: ratelimited (retry after 30 s)"
    assert slack.messages == []

    assert web.post_message(CHANNEL, incident_message(CARD)).ok


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_slack_server_error_is_retryable(slack: FakeSlack, web: SlackWebClient, status: int) -> None:
    slack.fail_next(1, status=status)
    result = web.post_message(CHANNEL, incident_message(CARD))
    assert not result.ok and result.retryable and result.status_code == status


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "service_unavailable", "request_timeout"])
def test_slacks_transient_errors_are_retryable(slack: FakeSlack, web: SlackWebClient, error: str) -> None:
    slack.respond_next(ScriptedResponse(200, f'{{"ok": false, "error": "{error}"}}', "application/json"))
    result = web.post_message(CHANNEL, incident_message(CARD))
    assert not result.ok and result.retryable and result.error == error


def test_an_unknown_channel_is_a_permanent_failure_naming_slacks_error(web: SlackWebClient) -> None:
    result = web.post_message("C0NOWHERE", incident_message(CARD))
    assert not result.ok and not result.retryable
    assert delivery_of(result).detail == "Slack chat.postMessage: channel_not_found"
    assert not delivery_of(result).retryable


def test_an_archived_channel_is_a_permanent_failure(web: SlackWebClient) -> None:
    result = web.post_message(ARCHIVED, incident_message(CARD))
    assert (result.ok, result.retryable, result.error) == (False, False, "is_archived")


def test_a_wrong_token_is_a_permanent_failure(slack: FakeSlack) -> None:
    with SlackWebClient("xoxb-revoked", base_url=slack.api_url) as client:
        result = client.post_message(CHANNEL, incident_message(CARD))
    assert (result.ok, result.retryable, result.error) == (False, False, "invalid_auth")
    assert slack.requests[-1].headers["authorization"] == "Bearer xoxb-revoked"


def test_updating_a_message_slack_does_not_have_is_a_permanent_failure(web: SlackWebClient) -> None:
    result = web.update_message(CHANNEL, "1600000000.000001", incident_message(CARD))
    assert (result.ok, result.retryable, result.error) == (False, False, "message_not_found")
    assert delivery_of(result).detail == "Slack chat.update: message_not_found"


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _button(**overrides: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": "ack", "text": _plain("Ack"), "value": "INC-42", **overrides}


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "header", "text": _plain("x" * 151)}],
        [{"type": "header", "text": {"type": "mrkdwn", "text": "*x*"}}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}],
        [{"type": "section", "block_id": "b" * 256, "text": _plain("x")}],
        [{"type": "divider"}] * 51,
        [{"type": "actions", "elements": [_button(text=_plain("x" * 76))]}],
        [{"type": "actions", "elements": [_button(style="warning")]}],
        [{"type": "actions", "elements": [_button(value="v" * 2001)]}],
        [{"type": "actions", "elements": [_button(), _button()]}],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
    ],
    ids=[
        "header-151",
        "header-mrkdwn",
        "section-3001",
        "section-empty",
        "11-fields",
        "block_id-256",
        "51-blocks",
        "button-text-76",
        "button-style",
        "button-value-2001",
        "duplicate-action_id",
        "context-11",
    ],
)
def test_blocks_slack_would_refuse_are_a_permanent_failure(web: SlackWebClient, blocks: list[Any]) -> None:
    result = web.post_message(CHANNEL, {"text": "fallback", "blocks": blocks})
    assert (result.ok, result.retryable, result.error) == (False, False, "invalid_blocks")


def test_a_refused_connection_is_retryable() -> None:
    with SlackWebClient(TOKEN, base_url=closed_port_url() + "/api") as client:
        result = client.post_message(CHANNEL, incident_message(CARD))
    assert not result.ok and result.retryable
    assert result.error is not None and result.error.startswith("cannot connect")


def test_a_slack_that_does_not_answer_in_time_is_retryable(slack: FakeSlack) -> None:
    slack.respond_next(ScriptedResponse(200, '{"ok": true}', "application/json", hold_s=5))
    with SlackWebClient(TOKEN, base_url=slack.api_url, timeout=0.2) as client:
        result = client.post_message(CHANNEL, incident_message(CARD))
    assert (result.ok, result.retryable, result.error) == (False, True, "timeout after 0.2 s")


def test_a_redirect_is_not_followed_so_the_token_stays_with_slack(slack: FakeSlack, web: SlackWebClient) -> None:
    slack.respond_next(ScriptedResponse(302, headers={"Location": "http://127.0.0.1:9/steal"}))
    result = web.post_message(CHANNEL, incident_message(CARD))
    assert not result.ok and not result.retryable
    assert result.error is not None and "not followed" in result.error
    assert len(slack.requests) == 1


def test_an_answer_that_is_not_from_slack_is_not_retried(slack: FakeSlack, web: SlackWebClient) -> None:
    slack.respond_next(ScriptedResponse(200, "<html>proxy login</html>", "text/html"))
    result = web.post_message(CHANNEL, incident_message(CARD))
    assert not result.ok and not result.retryable


def test_a_message_that_cannot_be_encoded_fails_without_a_request(slack: FakeSlack, web: SlackWebClient) -> None:
    result = web.post_message(CHANNEL, {"text": "load", "metadata": {"ratio": float("nan")}})
    assert not result.ok and not result.retryable
    assert slack.requests == []


@pytest.mark.parametrize("token", ["", "xoxb-with space", "xoxb-\n"])
def test_a_malformed_token_is_refused_at_construction(token: str) -> None:
    with pytest.raises(ValueError, match="token"):
        SlackWebClient(token)


def test_an_incoming_webhook_post_succeeds_on_ok(slack: FakeSlack) -> None:
    with IncomingWebhookClient(slack.webhook_url) as hook:
        result = hook.post(incident_message(CARD))
    assert result.ok
    assert slack.webhook_posts == [incident_message(CARD)]


@pytest.mark.parametrize("status, body", [(404, "channel_not_found"), (410, "channel_is_archived")])
def test_a_webhook_whose_channel_is_gone_fails_permanently(slack: FakeSlack, status: int, body: str) -> None:
    slack.webhook_failure = (status, body)
    with IncomingWebhookClient(slack.webhook_url) as hook:
        result = hook.post(incident_message(CARD))
    assert (result.ok, result.retryable, result.error, result.status_code) == (False, False, body, status)
    assert delivery_of(result).detail == f"Slack incoming webhook: {body}"


def test_a_webhook_server_error_is_retryable(slack: FakeSlack) -> None:
    slack.webhook_failure = (500, "rollup_error")
    with IncomingWebhookClient(slack.webhook_url) as hook:
        result = hook.post(incident_message(CARD))
    assert (result.ok, result.retryable, result.error) == (False, True, "rollup_error")


def test_a_rate_limited_webhook_is_retryable_after_the_wait(slack: FakeSlack) -> None:
    slack.respond_next(ScriptedResponse(429, "rate_limited", headers={"Retry-After": "12"}))
    with IncomingWebhookClient(slack.webhook_url) as hook:
        result = hook.post(incident_message(CARD))
    assert (result.ok, result.retryable, result.retry_after) == (False, True, 12)


def test_a_webhook_payload_slack_rejects_fails_permanently_with_slacks_reason(slack: FakeSlack) -> None:
    with IncomingWebhookClient(slack.webhook_url) as hook:
        result = hook.post({"blocks": []})
    assert (result.ok, result.retryable, result.error) == (False, False, "missing_text_or_fallback_or_attachments")


def test_a_webhook_url_never_appears_in_what_is_logged(slack: FakeSlack) -> None:
    secret_url = closed_port_url() + "/services/T000/B000/SECRET"
    with IncomingWebhookClient(secret_url) as hook:
        result = hook.post(incident_message(CARD))
        assert "SECRET" not in repr(hook)
    assert result.retryable
    assert "SECRET" not in delivery_of(result).detail


def post_replies(url: str, count: int) -> list[SlackResult]:
    return [post_to_response_url(url, text_reply(f"reply {n}")) for n in range(1, count + 1)]


def test_a_response_url_takes_five_replies_and_refuses_the_sixth(slack: FakeSlack) -> None:
    url = slack.new_response_url()
    results = post_replies(url, 6)
    assert [r.ok for r in results] == [True] * 5 + [False]
    assert (results[-1].retryable, results[-1].error) == (False, "used_url")
    assert [post["text"] for post in slack.response_posts(url)] == [f"reply {n}" for n in range(1, 6)]


def test_a_response_url_expires_after_thirty_minutes() -> None:
    now = [1000.0]
    with FakeSlack(clock=lambda: now[0]) as slack:
        url = slack.new_response_url()
        assert post_to_response_url(url, text_reply("working on it")).ok
        now[0] += 30 * 60 + 1
        late = post_to_response_url(url, text_reply("done"))
    assert (late.ok, late.retryable, late.error) == (False, False, "expired_url")


def test_a_response_url_can_redraw_the_clicked_card(slack: FakeSlack) -> None:
    url = slack.new_response_url()
    redraw: dict[str, Any] = {"replace_original": True, **incident_message(replace(CARD, resolved=True))}
    assert post_to_response_url(url, redraw).ok
    assert slack.response_posts(url)[0]["replace_original"] is True
