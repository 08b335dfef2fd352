"""Google Chat and Teams incident cards against local stand-ins that check each service's documented
payload: the cards are taken, wrong ones are refused, and failures are classified for the sender."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from firebell.notify.channels import Links, Message
from firebell.notify.channels.chat_card import BODY_MAX, ELLIPSIS, ChatCard, chat_card_text
from firebell.notify.channels.chat_webhooks import GoogleChatWebhook, TeamsWebhook, google_chat_message, teams_message
from tests.chat.fake_chat import FakeChat, google_chat_problems, teams_problems


@pytest.fixture
def chat() -> Iterator[FakeChat]:
    with FakeChat() as fake:
        yield fake


def message(purpose: str = "declared", **details: Any) -> Message:
    return Message(idempotency_key="inc-1:chat:7:chat:ops:0", kind="chat", incident_ref="INC-42",
                   title="Checkout errors <users/all>", severity="P1", summary="", recipient="ops",
                   links=Links(incident="http://firebell.test/incidents/INC-42"),
                   details={"purpose": purpose, "status": "investigating", "service": "checkout",
                            "commander": "Alice Andersson", "url_env": "CHAT_URL"} | details)


def test_google_chat_takes_the_card_in_the_incidents_thread(chat: FakeChat) -> None:
    channel = GoogleChatWebhook({"CHAT_URL": chat.google_url})
    first = channel.send(message("declared"))
    second = channel.send(message("updated", update="Rolled back the deploy; errors falling."))
    assert first.ok and second.ok, chat.refused
    assert first.provider_id == "spaces/AAAAfake/messages/M1"
    declared, updated = chat.google
    assert declared.query["messageReplyOption"] == ["REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"]
    assert declared.thread == updated.thread, "one incident, one thread"
    assert declared.headers["content-type"].startswith("application/json")
    card = declared.body["cardsV2"][0]["card"]
    assert card["header"]["title"] == "Incident declared: INC-42"
    assert "<" not in declared.body["text"], "the fallback text cannot mention everyone"
    assert "Rolled back the deploy" in json.dumps(updated.body)


def test_teams_takes_an_adaptive_card(chat: FakeChat) -> None:
    delivery = TeamsWebhook({"CHAT_URL": chat.teams_url}).send(message("resolved", duration="1h 12m"))
    assert delivery.ok, chat.refused
    (posted,) = chat.teams
    card = posted.body["attachments"][0]["content"]
    assert card["version"] == "1.4" and card["body"][0]["text"] == "Incident resolved: INC-42"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Duration"] == "1h 12m" and facts["Commander"] == "Alice Andersson"
    assert card["actions"][0] == {"type": "Action.OpenUrl", "title": "Open in Firebell",
                                  "url": "http://firebell.test/incidents/INC-42"}


@pytest.mark.parametrize("body", [
    {"text": "hi", "cards": []},  # the deprecated field is an unknown name here
    {"cardsV2": [{"card": {"sections": [{"widgets": [{"decoratedText": {}}]}]}}]},
    {"cardsV2": [{"card": {"sections": []}}]},
    {"cardsV2": [{"card": {"sections": [{"widgets": [{"textParagraph": {"text": "a"}}]}]}}] * 2},  # no cardId
    {"text": "x", "cardsV2": [{"card": {"sections": [{"widgets": [{"textParagraph": {"text": "a"}}] * 101}]}}]},
    {},
])
def test_the_google_stand_in_refuses_what_google_chat_refuses(chat: FakeChat, body: dict[str, Any]) -> None:
    assert google_chat_problems(body)
    answer = httpx.post(chat.google_url, json=body)
    assert answer.status_code == 400 and answer.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert httpx.post(chat.google_url.replace("fake-token", "wrong"), json={"text": "x"}).status_code == 401
    assert httpx.post(chat.google_url, content=b"{}", headers={"content-type": "text/plain"}).status_code == 400
    assert httpx.post(chat.google_url, json={"text": "x" * 32_001}).status_code == 400
    assert httpx.post(chat.google_url + "&messageReplyOption=ALWAYS", json={"text": "x"}).status_code == 400


@pytest.mark.parametrize("body", [
    {"type": "message", "attachments": [{"contentType": "application/json", "content": {}}]},
    {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                         "content": {"type": "AdaptiveCard", "version": "2.0",
                                                     "body": [{"type": "TextBlock", "text": "a"}]}}]},
    {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                         "content": {"type": "AdaptiveCard", "version": "1.4",
                                                     "body": [{"type": "Fact", "text": "a"}]}}]},
    {"text": "a Slack-shaped body"},
])
def test_the_teams_stand_in_refuses_what_teams_refuses(chat: FakeChat, body: dict[str, Any]) -> None:
    assert teams_problems(body)
    answer = httpx.post(chat.teams_url, json=body)
    assert (answer.status_code, answer.text) == (400, "Bad payload received by generic incoming webhook.")
    big = teams_message(ChatCard.of(message())) | {"padding": "x" * 29_000}
    assert httpx.post(chat.teams_url, json=big).status_code == 413


def test_what_firebell_builds_passes_both_checks_at_any_length() -> None:
    for length in (0, 10, 5_000, 40_000):
        card = ChatCard.of(message("updated", update="é" * length, service="s" * 1000))
        assert not google_chat_problems(google_chat_message(card))
        assert not teams_problems(teams_message(card))
        google = json.dumps(google_chat_message(card), ensure_ascii=False).encode()
        teams = json.dumps(teams_message(card), ensure_ascii=False).encode()
        assert len(google) <= 32_000 and len(teams) <= 28 * 1024
    words = chat_card_text(ChatCard.of(message("updated", update="x" * 10_000)))
    assert len(words.body) == BODY_MAX and words.body.endswith(ELLIPSIS), "cut, with a visible mark"


def test_failures_are_classified_and_never_show_the_url(chat: FakeChat) -> None:
    google = GoogleChatWebhook({"CHAT_URL": chat.google_url})
    chat.fail_next(1, 503)
    assert google.send(message()).retryable
    chat.fail_next(1, 429)
    assert google.send(message()).retryable
    bad = GoogleChatWebhook({"CHAT_URL": chat.google_url.replace("fake-token", "stolen")}).send(message())
    assert not bad.ok and not bad.retryable and "stolen" not in bad.detail
    unset = GoogleChatWebhook({}).send(message())
    assert not unset.retryable and "CHAT_URL" in unset.detail and "not set" in unset.detail
    closed = TeamsWebhook({"CHAT_URL": "http://127.0.0.1:9/webhookb2/x"}).send(message())
    assert closed.retryable and "webhookb2" not in closed.detail


def test_teams_200_with_an_error_sentence_is_not_success() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="Webhook message delivery failed with error: Microsoft Teams endpoint "
                                        "returned HTTP error 429")
    throttled = TeamsWebhook({"CHAT_URL": "https://example.webhook.office.com/x"},
                             transport=httpx.MockTransport(answer)).send(message())
    assert throttled.retryable and "429" in throttled.detail
