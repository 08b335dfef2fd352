"""Sending one message to one subscriber through notify's channels: email over SMTP (the channel of
the server's settings), webhooks with notify's keep-alive poster and Standard Webhooks signature,
Slack through its incoming-webhook client, Teams and Google Chat through their card channels. Nothing
here writes transport of its own; it only says what to send.

Verdicts are notify's `Delivery` (channels/base.py's table): 2xx counts, 3xx and other 4xx are hard
failures, 408/425/429/5xx and network faults are worth a retry. A webhook has 30 s to answer
(Statuspage's rule). Endpoint URLs and secrets never appear in a verdict's words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from firebell.notify.channels.base import Delivery, Links, Message, Rendered, failure_delivery, http_status_delivery
from firebell.notify.channels.chat_webhooks import GoogleChatWebhook, TeamsWebhook
from firebell.notify.channels.email import EmailChannel, SmtpSession
from firebell.notify.channels.http_post import Poster, PostFailed
from firebell.notify.channels.slack_blocks import clip_mrkdwn, clip_plain
from firebell.notify.channels.slack_web import IncomingWebhookClient, delivery_of
from firebell.notify.channels.webhook import encode_payload, sign_standard_webhook
from firebell.notify.settings import Channels
from firebell.statuspage.subscriptions.words import Words

WEBHOOK_CONNECT_S = 5.0
WEBHOOK_ANSWER_S = 30.0
_URL_VARIABLE = "FIREBELL_STATUS_SUBSCRIBER_URL"  # the chat channels read their URL from a mapping


class NotConfigured(Exception):
    """The server cannot send this mode at all (no SMTP, no webhook secret): not the subscriber's fault."""


@dataclass(frozen=True)
class Outgoing:
    """One message: the subscriber's mode and address, the words, and for webhooks the body."""

    mode: str
    address: str
    idempotency_key: str
    words: Words
    page_name: str
    unsubscribe_url: str
    mail_subject: str = ""  # from the mail's template; the cards' words otherwise
    mail_text: str = ""
    mail_html: str = ""
    webhook_body: dict[str, Any] | None = None
    webhook_secret: str = ""
    subscriber: str = ""  # its id, for words about a failure


def webhook_id(idempotency_key: str) -> str:
    """A `webhook-id` without '.' (the signed content is id.timestamp.body), stable across retries."""
    return "msg_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Transports:
    def __init__(self, channels: Channels, clock: Callable[[], datetime] | None = None) -> None:
        self.channels = channels
        self._clock = clock or channels.clock or _utc_now
        self._poster = Poster(WEBHOOK_CONNECT_S, WEBHOOK_ANSWER_S, 64 * 1024, 1.0)
        self._mail: SmtpSession | None = None

    def close(self) -> None:
        self._poster.close()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Mail sent inside shares one SMTP connection (opened at the first mail, closed at the end):
        a session per mail was most of a mail's cost (bench/subscribers.py)."""
        channel = self.channels.channel("email")
        if not isinstance(channel, EmailChannel) or self._mail is not None:
            yield  # another kind of channel (a log, a test's stand-in) sends as it does
            return
        self._mail = channel.session()
        try:
            yield
        finally:
            mail, self._mail = self._mail, None
            mail.close()

    def send(self, out: Outgoing) -> Delivery:
        """Raises NotConfigured when the server has no way to send this mode."""
        if out.mode == "email":
            return self._email(out)
        if out.mode == "webhook":
            return self._webhook(out)
        if out.mode == "slack":
            return self._slack(out)
        if out.mode in ("teams", "google_chat"):
            return self._chat(out)
        return Delivery.failed(f"unknown subscriber mode {out.mode!r}")

    def _email(self, out: Outgoing) -> Delivery:
        channel = self.channels.channel("email")
        if channel is None:
            raise NotConfigured("no SMTP server is configured (FIREBELL_SMTP_HOST)")
        sender = self._mail if self._mail is not None else channel
        return sender.send(Message(
            idempotency_key=out.idempotency_key, kind="update", incident_ref=out.page_name, title=out.words.title,
            severity="", summary=out.words.text, recipient=out.address,
            links=Links(incident=out.words.url or None, unsubscribe=out.unsubscribe_url),
            rendered=Rendered(subject=out.mail_subject or out.words.subject, text=out.mail_text, html=out.mail_html)))

    def _webhook(self, out: Outgoing) -> Delivery:
        secret = out.webhook_secret or self.channels.default_webhook_secret
        if not secret:
            raise NotConfigured("no webhook secret: the subscriber has none and FIREBELL_WEBHOOK_SECRET is unset")
        try:
            body = encode_payload(out.webhook_body or {})
        except (TypeError, ValueError) as exc:
            return Delivery.failed(f"cannot encode webhook payload: {exc}")
        message_id, timestamp = webhook_id(out.idempotency_key), int(self._clock().timestamp())
        headers = {"content-type": "application/json", "accept-encoding": "identity",
                   "user-agent": "Firebell-StatusPage/1", "webhook-id": message_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign_standard_webhook(secret, message_id, timestamp, body)}
        try:
            answer = self._poster.post(out.address, body, headers)
        except PostFailed as exc:
            return failure_delivery(exc.kind, str(exc), "the subscriber's endpoint", WEBHOOK_CONNECT_S,
                                    WEBHOOK_ANSWER_S)
        # A redirect's target is not repeated: it could be on the subscriber's secret path.
        return http_status_delivery(answer.status)

    def _slack(self, out: Outgoing) -> Delivery:
        try:
            client = IncomingWebhookClient(out.address)
        except ValueError:
            return Delivery.failed("the subscriber's Slack webhook is not an http(s) URL")
        with client:
            return delivery_of(client.post(slack_card(out.words)))

    def _chat(self, out: Outgoing) -> Delivery:
        env = {_URL_VARIABLE: out.address}
        channel = TeamsWebhook(env=env) if out.mode == "teams" else GoogleChatWebhook(env=env)
        try:
            return channel.send(Message(
                idempotency_key=out.idempotency_key, kind="update", incident_ref=out.page_name,
                title=out.words.title, severity="", summary=out.words.text,
                recipient=f"status subscriber {out.subscriber}", links=Links(incident=out.words.url or None),
                details={"url_env": _URL_VARIABLE, "purpose": "updated"},
                rendered=Rendered(title=out.words.title, text=out.words.text)))
        finally:
            channel.close()


def slack_card(words: Words) -> dict[str, Any]:
    """A short Block Kit message: the title, the words, a link to the page."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip_plain(words.title, 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": clip_mrkdwn(words.text, 3000),
                                     "verbatim": True}},
    ]
    if words.url:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{words.url}|Status page>"}]})
    return {"text": clip_plain(words.subject, 300), "blocks": blocks}
