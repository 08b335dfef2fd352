"""Pages as Slack direct messages: a contact method of type `slack` whose address is the person's
Slack member id (U0123ABCD). chat.postMessage to a member id opens the bot's DM with them."""

from __future__ import annotations

from typing import Any

from firebell.notify.channels.base import Delivery, Message
from firebell.notify.channels.slack_blocks import (
    ACTION_ACKNOWLEDGE,
    ACTION_RESOLVE,
    BUTTON_VALUE_MAX,
    SECTION_TEXT_MAX,
    clip_mrkdwn,
    clip_plain,
    escape_mrkdwn,
)
from firebell.notify.channels.slack_web import SlackWebClient, delivery_of


def page_message(message: Message) -> dict[str, Any]:
    """The DM: what needs them, why, and buttons that act as the person who clicks."""
    heading = f"*{escape_mrkdwn(message.incident_ref)}* [{escape_mrkdwn(message.severity)}] " \
              f"{escape_mrkdwn(message.title)}"
    body = escape_mrkdwn(message.summary)
    if message.links.incident:
        body += f"\n<{message.links.incident}|Open in Firebell>"
    text = clip_mrkdwn(f"{heading}\n{body}".strip(), SECTION_TEXT_MAX)
    if message.rendered is not None:  # from a template: escaped and cut by messages/
        text = message.rendered.text
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    refs = [str(r) for r in message.details.get("bundle_refs", [])] or [message.incident_ref]
    if message.kind in ("page", "admin") and len(refs) == 1 and refs[0]:
        value = clip_plain(refs[0], BUTTON_VALUE_MAX)
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": ACTION_ACKNOWLEDGE, "value": value, "style": "primary",
             "text": {"type": "plain_text", "text": "Acknowledge"}},
            {"type": "button", "action_id": ACTION_RESOLVE, "value": value, "style": "danger",
             "text": {"type": "plain_text", "text": "Resolve"}}]})
    fallback = clip_plain(f"{message.incident_ref} {message.severity}: {message.title}", 300)
    return {"text": fallback, "blocks": blocks}


class SlackDirectMessages:
    name = "slack"

    def __init__(self, client: SlackWebClient) -> None:
        self.client = client

    def send(self, message: Message) -> Delivery:
        return delivery_of(self.client.post_message(message.recipient, page_message(message)))
