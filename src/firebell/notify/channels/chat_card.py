"""What an incident's message in a chat space says (Google Chat, Microsoft Teams): one card per
change worth telling, since their incoming webhooks can post but never edit.

`ChatCard` is the incident as the message shows it; `chat_card_text` turns it into words, once for
every chat service (google_chat.py and teams.py lay the same words out in their own card formats).
Texts are cut to fixed lengths here, so no card comes near either service's size limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from firebell.notify.channels.base import Message, Rendered

Purpose = Literal["declared", "updated", "resolved"]
PURPOSES: tuple[Purpose, ...] = ("declared", "updated", "resolved")
TITLE_MAX = 300
BODY_MAX = 3000
FACT_MAX = 200
ELLIPSIS = "…"
_HEADLINE = {"declared": "Incident declared", "updated": "Incident update", "resolved": "Incident resolved"}


def clip(text: str, limit: int) -> str:
    """`text` on its own lines, cut to `limit` characters with a visible mark."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


@dataclass(frozen=True)
class ChatCard:
    """The incident as one message shows it. `update` is the words of the change (a status update);
    `duration` how long it lasted, for "resolved"."""

    purpose: Purpose
    ref: str
    title: str
    severity: str
    status: str
    update: str = ""
    service: str = ""
    commander: str = ""
    duration: str = ""
    url: str | None = None
    words: Rendered | None = None  # the template's title and text (messages/), when the page carries them

    @classmethod
    def of(cls, message: Message) -> ChatCard:
        """The card a chat page carries (notify/sender.py builds `message` from the outbox row)."""
        d = message.details
        given = str(d.get("purpose") or "")
        purpose: Purpose = next((p for p in PURPOSES if p == given), "updated")
        return cls(purpose=purpose, ref=message.incident_ref,
                   title=message.title, severity=message.severity, status=str(d.get("status") or ""),
                   update=str(d.get("update") or ""), service=str(d.get("service") or ""),
                   commander=str(d.get("commander") or ""), duration=str(d.get("duration") or ""),
                   url=message.links.incident, words=message.rendered)


@dataclass(frozen=True)
class CardText:
    headline: str  # "Incident declared: INC-42"
    subtitle: str  # "[P1] Checkout errors"
    facts: tuple[tuple[str, str], ...]  # (label, value), in the order shown
    body: str  # the update's words, or ""
    fallback: str  # one line for notifications and clients that show no cards
    link_label: str = "Open in Firebell"


def chat_card_text(card: ChatCard) -> CardText:
    """The words of a chat card: the one place they are made, so a template can take it over."""
    headline = f"{_HEADLINE[card.purpose]}: {card.ref}"
    subtitle = clip(f"[{card.severity}] {card.title}" if card.severity else card.title, TITLE_MAX)
    facts = [("Severity", card.severity), ("Status", card.status.capitalize()), ("Service", card.service),
             ("Commander", card.commander)]
    if card.purpose == "resolved" and card.duration:
        facts.append(("Duration", card.duration))
    shown = tuple((label, clip(value, FACT_MAX)) for label, value in facts if value)
    body = clip(card.update, BODY_MAX)
    if card.words is not None and card.words.text:  # the template's words replace the headline and body
        headline, body = clip(card.words.title, TITLE_MAX) or headline, clip(card.words.text, BODY_MAX)
    fallback = f"{headline} [{card.severity}] {clip(card.title, TITLE_MAX)}"
    if card.purpose == "resolved" and card.duration:
        fallback += f" (lasted {card.duration})"
    return CardText(headline=headline, subtitle=subtitle, facts=shown, body=body, fallback=fallback)
