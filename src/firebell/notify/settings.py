"""How this server reaches people: channel settings from the environment, and the secrets that
sign acknowledge links and webhooks.

    FIREBELL_PUBLIC_URL          base of links in messages (default http://127.0.0.1:8080)
    FIREBELL_SECRET_KEY          the server's secret: signs action links and feed URLs, keys the audit chain
                                 (else FIREBELL_SECRET_KEY_FILE, else a key file beside a SQLite database;
                                 see store/secrets.py)
    FIREBELL_SMTP_HOST / _PORT / _SECURITY (none|starttls|tls) / _USER / _PASSWORD / _FROM / _CA_FILE
    FIREBELL_WEBHOOK_SECRET      whsec_... for webhooks whose target names no secret of its own
    FIREBELL_SLACK_BOT_TOKEN     xoxb-...: incident messages in channels, pages as direct messages
    FIREBELL_SLACK_SIGNING_SECRET  verifies slash commands and button clicks from Slack
    FIREBELL_SLACK_API_URL       Slack's Web API base (default https://slack.com/api; tests point it at a local fake)
    FIREBELL_TWILIO_ACCOUNT_SID / _AUTH_TOKEN / _FROM  SMS and voice pages through Twilio (all three or none); the
                                 auth token also verifies Twilio's requests to /integrations/twilio (replies,
                                 keys pressed, delivery receipts)
    FIREBELL_TWILIO_API_URL      Twilio's REST API base (default https://api.twilio.com; tests point it at a fake)
    FIREBELL_SMS_HTTP_URL / _SECRET  a generic SMS/voice gateway (whsec_... secret), tried when Twilio fails
                                 (see notify/phone_settings.py)
    FIREBELL_LOG_CHANNELS        channels to write to the server log instead of sending (the demo
                                 sets email,sms,voice,slack,webhook: pages show up, nobody is messaged);
                                 slack covers Slack mentions, chat covers Google Chat and Teams
    Google Chat and Teams routes name their own variables for their webhook URLs (config: chat.routes).
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from firebell.notify.channels.base import Channel, Delivery, Message, Rendered
from firebell.notify.channels.chat_webhooks import GoogleChatWebhook, TeamsWebhook
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.channels.slack_dm import SlackDirectMessages
from firebell.notify.channels.slack_mention import SlackMentions
from firebell.notify.channels.slack_web import SLACK_API_BASE_URL, SlackWebClient
from firebell.notify.channels.webhook import WebhookChannel, WebhookSettings
from firebell.notify.phone_settings import phone_from_env

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"
# (session, incident id, channel, page {kind, reason, note}, links, now, public URL) -> the words, or None
PageRenderer = Callable[[Session, str, str, Mapping[str, str], Mapping[str, str], datetime, str], Rendered | None]
log = logging.getLogger("firebell.pages")


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


@dataclass
class Channels:
    """The channels this process can send through, by name; webhooks by secret."""

    public_url: str
    by_name: dict[str, Channel] = field(default_factory=dict)
    default_webhook_secret: str = ""
    clock: Callable[[], datetime] | None = None
    log_webhooks: bool = False
    slack: SlackWebClient | None = None  # the bot: channel messages, direct-message pages, user lookups
    slack_signing_secret: str = ""
    twilio_auth_token: str = ""  # verifies Twilio's requests (notify/phone_api.py); empty: Twilio not configured
    # The words of a page from the templates (messages/pages.py), set where the engine is assembled
    # (firebell/jobs.py: notify sits below messages and cannot import it); None: each channel's own words.
    render_page: PageRenderer | None = None
    _webhooks: dict[str, WebhookChannel] = field(default_factory=dict)

    @property
    def logs_slack(self) -> bool:
        """Slack messages are written to the log instead of sent (the demo, FIREBELL_LOG_CHANNELS)."""
        return self.slack is None and isinstance(self.by_name.get("slack"), LogChannel)

    def channel(self, name: str, webhook_secret: str = "") -> Channel | None:
        """The channel called `name`; webhooks are signed with `webhook_secret` (else the default)."""
        return self.webhook(webhook_secret) if name == "webhook" else self.by_name.get(name)

    def webhook(self, secret: str) -> Channel | None:
        if self.log_webhooks:
            return LogChannel("webhook")
        secret = secret or self.default_webhook_secret
        if not secret:
            return None
        found = self._webhooks.get(secret)
        if found is None:
            settings = WebhookSettings(secret=secret)
            found = WebhookChannel(settings, clock=self.clock) if self.clock else WebhookChannel(settings)
            self._webhooks[secret] = found
        return found


@dataclass
class LogChannel:
    """Writes each page to the log and calls it delivered: for demos and dry runs, never by default."""

    name: str

    def send(self, message: Message) -> Delivery:
        log.warning("PAGE via %s to %s: [%s] %s %s (%s)", self.name, message.recipient, message.severity,
                    message.incident_ref, message.title, message.links.acknowledge or "no link")
        return Delivery.delivered(f"written to the log instead of sent by {self.name}", provider_id=None)


# A name in FIREBELL_LOG_CHANNELS that stands for several channels.
_LOGGED_TOGETHER = {"slack": ("slack", "slack_mention"), "chat": ("google_chat", "teams")}


def channels_from_env(env: Mapping[str, str] | None = None, clock: Callable[[], datetime] | None = None) -> Channels:
    env = os.environ if env is None else env
    channels = Channels(public_url=(env.get("FIREBELL_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
                        default_webhook_secret=env.get("FIREBELL_WEBHOOK_SECRET", ""), clock=clock)
    host = env.get("FIREBELL_SMTP_HOST")
    if host:
        security = env.get("FIREBELL_SMTP_SECURITY", "starttls")
        default_port = {"none": 25, "starttls": 587, "tls": 465}.get(security, 587)
        smtp = SmtpSettings(host=host, port=int(env.get("FIREBELL_SMTP_PORT") or default_port),
                            from_address=env.get("FIREBELL_SMTP_FROM", "firebell@localhost"),
                            security=security,  # type: ignore[arg-type]  # SmtpSettings validates it
                            username=env.get("FIREBELL_SMTP_USER") or None,
                            password=env.get("FIREBELL_SMTP_PASSWORD") or None,
                            ca_file=env.get("FIREBELL_SMTP_CA_FILE") or None)
        channels.by_name["email"] = EmailChannel(smtp, **({"clock": clock} if clock else {}))
    channels.slack_signing_secret = env.get("FIREBELL_SLACK_SIGNING_SECRET", "")
    if env.get("FIREBELL_SLACK_BOT_TOKEN"):
        channels.slack = SlackWebClient(env["FIREBELL_SLACK_BOT_TOKEN"],
                                        base_url=env.get("FIREBELL_SLACK_API_URL") or SLACK_API_BASE_URL)
        channels.by_name["slack"] = SlackDirectMessages(channels.slack)
        channels.by_name["slack_mention"] = SlackMentions(channels.slack)
    for name in filter(None, (part.strip() for part in env.get("FIREBELL_LOG_CHANNELS", "").split(","))):
        for each in _LOGGED_TOGETHER.get(name, (name,)):
            channels.by_name.setdefault(each, LogChannel(each))
        if name == "webhook":
            channels.log_webhooks = True
    channels.by_name.setdefault("google_chat", GoogleChatWebhook(env))
    channels.by_name.setdefault("teams", TeamsWebhook(env))
    phone = phone_from_env(env, channels.public_url)
    channels.twilio_auth_token = phone.twilio_auth_token
    for phone_channel in (phone.sms, phone.voice):
        if phone_channel is not None:  # after the log channels: FIREBELL_LOG_CHANNELS=sms,voice wins
            channels.by_name.setdefault(phone_channel.name, phone_channel)
    return channels
