"""A Slack mention as an escalation step (OPS1 5: the P2 ladder's last step, "CTO Slack mention"):
the bot posts in a channel, mentioning a member (`<@U...>`) or a user group (`<!subteam^S...>`),
through chat.postMessage. The page's address is the channel id; the mention travels in its details.

chat.postMessage takes no idempotency key, so the sender never repeats an interrupted post blindly
(the crash rule in notify/sender.py): a post that may or may not have landed fails instead.
"""

from __future__ import annotations

import re
from typing import Any

from firebell.notify.channels.base import Delivery, Message
from firebell.notify.channels.slack_blocks import SECTION_TEXT_MAX, escape_mrkdwn
from firebell.notify.channels.slack_web import SlackWebClient, delivery_of

MEMBER = re.compile(r"[UW][A-Z0-9]{2,49}")
USER_GROUP = re.compile(r"S[A-Z0-9]{2,49}")


def mention_markup(mention: str) -> str:
    """How Slack writes a mention that notifies: a member, or every member of a user group."""
    if USER_GROUP.fullmatch(mention):
        return f"<!subteam^{mention}>"
    if MEMBER.fullmatch(mention):
        return f"<@{mention}>"
    raise ValueError(f"{mention!r} is neither a Slack member id (U...) nor a user group id (S...)")


def slack_mention_text(mention: str, message: Message) -> str:
    """The words of the mention (mrkdwn, escaped): who, which incident, why now, and a link.
    The one place the text is made, so a template can take it over."""
    head = (f"{mention_markup(mention)} *{escape_mrkdwn(message.incident_ref)}* "
            f"[{escape_mrkdwn(message.severity)}] {escape_mrkdwn(message.title)}")
    status = str(message.details.get("status") or "")
    lines = [head, f"Still {escape_mrkdwn(status)}." if status else ""]
    lines += [escape_mrkdwn(str(message.details.get(key) or "")) for key in ("reason", "note")]
    if message.links.incident:
        lines.append(f"<{message.links.incident}|Open in Firebell>")
    return "\n".join(line for line in lines if line)


def mention_message(mention: str, message: Message) -> dict[str, Any]:
    """chat.postMessage's text and blocks: the mention must be in `text` too, which is what
    notifications show."""
    text = slack_mention_text(mention, message)
    if len(text) > SECTION_TEXT_MAX:  # a title and note of hundreds of characters: keep the mention, cut the rest
        text = text[: SECTION_TEXT_MAX - 1] + "…"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


class SlackMentions:
    """Posts mentions through the bot (`SlackWebClient`); `message.recipient` is the channel id."""

    name = "slack_mention"

    def __init__(self, client: SlackWebClient) -> None:
        self.client = client

    def send(self, message: Message) -> Delivery:
        mention = str(message.details.get("mention") or "")
        try:
            body = mention_message(mention, message)
        except ValueError as exc:
            return Delivery.failed(str(exc))
        return delivery_of(self.client.post_message(message.recipient, body))
