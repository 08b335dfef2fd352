"""Incident cards in chat spaces through incoming webhooks: Google Chat and Microsoft Teams.

A chat page's address is its route's name; the route names the environment variable that holds the
webhook URL (the URL is the credential: it is never stored, logged or put in an error). Each
service gets its own card format from the same words (chat_card.py):

- Google Chat: `POST <space webhook URL>&messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`, a
  Message with a `text` fallback, one `cardsV2` card and `thread.threadKey` = the incident's ref, so
  one incident's messages share a thread. At most 32,000 bytes. Success is 200 with the created
  Message (its `name` is kept as the provider id).
- Microsoft Teams: `POST <webhook URL>`, `{"type": "message", "attachments": [one Adaptive Card 1.4]}`.
  At most 28 KB. Success is 200 `1` (Office 365 connector) or 202 (a Workflows webhook); the old
  connector also answers 200 with an error sentence when Teams refused, which is not success.

Classification is base.py's table. Neither service takes an idempotency key from a webhook, so the
sender never repeats an interrupted post blindly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import httpx

from firebell.notify.channels.base import (
    TRANSPORT_ERRORS,
    Delivery,
    Message,
    http_status_delivery,
    transport_delivery,
)
from firebell.notify.channels.chat_card import ChatCard, chat_card_text

GOOGLE_CHAT_MAX_BYTES = 32_000
TEAMS_MAX_BYTES = 28 * 1024
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_REPLY_IN_THREAD = "messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
_MAX_ANSWER = 200


def _angle_free(text: str) -> str:
    # Google Chat reads <users/all> in `text` as a mention of everyone, and <url|label> as a link:
    # a title must not be able to write either.
    return text.replace("<", "\u2039").replace(">", "\u203a")


def _html(text: str) -> str:
    # Card text widgets take a small HTML subset: people's words are shown, never interpreted.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def google_chat_message(card: ChatCard) -> dict[str, Any]:
    """The Google Chat Message for one card."""
    words = chat_card_text(card)
    widgets: list[dict[str, Any]] = [{"decoratedText": {"topLabel": label, "text": _html(value)}}
                                     for label, value in words.facts]
    if words.body:
        widgets.append({"textParagraph": {"text": _html(words.body).replace("\n", "<br>")}})
    if card.url:
        widgets.append({"buttonList": {"buttons": [{"text": words.link_label,
                                                    "onClick": {"openLink": {"url": card.url}}}]}})
    return {"text": _angle_free(words.fallback),
            "cardsV2": [{"cardId": f"incident-{card.purpose}",
                         "card": {"header": {"title": words.headline, "subtitle": words.subtitle},
                                  "sections": [{"widgets": widgets}]}}],
            "thread": {"threadKey": card.ref}}


def teams_message(card: ChatCard) -> dict[str, Any]:
    """The Teams incoming-webhook message for one card: an Adaptive Card 1.4 attachment."""
    words = chat_card_text(card)
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": words.headline, "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": words.subtitle, "wrap": True, "spacing": "None"},
    ]
    if words.facts:
        body.append({"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in words.facts]})
    if words.body:
        body.append({"type": "TextBlock", "text": words.body, "wrap": True})
    content: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                               "type": "AdaptiveCard", "version": "1.4", "fallbackText": words.fallback,
                               "body": body}
    if card.url:
        content["actions"] = [{"type": "Action.OpenUrl", "title": words.link_label, "url": card.url}]
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None,
                                                "content": content}]}


class _ChatWebhook:
    """Posts one card to the incoming webhook whose URL is in the variable `details["url_env"]`."""

    name = ""
    service = ""
    max_bytes = 0

    def __init__(self, env: Mapping[str, str] | None = None, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._env = env
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    def close(self) -> None:
        self._client.close()

    def body(self, card: ChatCard) -> dict[str, Any]:
        raise NotImplementedError

    def url(self, configured: str) -> str:
        return configured

    def verdict(self, response: httpx.Response) -> Delivery:
        return http_status_delivery(response.status_code, location=response.headers.get("location"))

    def send(self, message: Message) -> Delivery:
        variable = str(message.details.get("url_env") or "")
        env = os.environ if self._env is None else self._env
        configured = env.get(variable, "") if variable else ""
        if not configured.startswith(("https://", "http://")):
            state = "is not set" if not configured else "does not hold an http(s) URL"
            return Delivery.failed(f"environment variable {variable or '(none)'} (the {self.service} webhook URL of "
                                   f"chat route {message.recipient}) {state}")
        try:
            content = json.dumps(self.body(ChatCard.of(message)), ensure_ascii=False, allow_nan=False,
                                 separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            return Delivery.failed(f"cannot encode the {self.service} card: {exc}")
        if len(content) > self.max_bytes:
            return Delivery.failed(f"the {self.service} card is {len(content)} bytes; the limit is {self.max_bytes}")
        try:
            response = self._client.post(self.url(configured), content=content,
                                         headers={"content-type": "application/json; charset=UTF-8"})
        except TRANSPORT_ERRORS as exc:
            return transport_delivery(exc, f"the {self.service} webhook of chat route {message.recipient}",
                                      self.timeout, self.timeout)
        return self.verdict(response)


class GoogleChatWebhook(_ChatWebhook):
    name = "google_chat"
    service = "Google Chat"
    max_bytes = GOOGLE_CHAT_MAX_BYTES

    def body(self, card: ChatCard) -> dict[str, Any]:
        return google_chat_message(card)

    def url(self, configured: str) -> str:
        return configured + ("&" if "?" in configured else "?") + _REPLY_IN_THREAD

    def verdict(self, response: httpx.Response) -> Delivery:
        verdict = super().verdict(response)
        if not verdict.ok:
            return verdict
        try:
            created = response.json()
        except ValueError:
            created = None
        name = created.get("name") if isinstance(created, dict) else None
        return Delivery.delivered(verdict.detail, provider_id=name if isinstance(name, str) else None)


class TeamsWebhook(_ChatWebhook):
    name = "teams"
    service = "Microsoft Teams"
    max_bytes = TEAMS_MAX_BYTES

    def body(self, card: ChatCard) -> dict[str, Any]:
        return teams_message(card)

    def verdict(self, response: httpx.Response) -> Delivery:
        verdict = super().verdict(response)
        answer = response.text.strip()
        if not verdict.ok or response.status_code == 202 or answer in ("", "1"):
            return verdict
        # The connector's "200, but": Teams refused or throttled the message behind it.
        detail = f"{verdict.detail}: {answer[:_MAX_ANSWER]}"
        return Delivery.retry(detail) if "429" in answer else Delivery.failed(detail)
