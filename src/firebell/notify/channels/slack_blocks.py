"""Incident cards and slash-command replies as Slack message payloads (Block Kit). Pure: no I/O.

A card is one message per incident per channel, posted once and then updated in place as the incident
moves on. Its layout:

    header   "INC-42 · P1 · API errors"                      (plain_text)
    section  the card's words from its template (messages/, purpose "card": OPS1 8.1's Time, Lead,
             Impact, Next Update, Root-Cause Status), or else *API errors* (linked to Firebell when a
             URL is known); then fields: Severity, Status, Stage, Commander, Service, Acknowledged by (mrkdwn)
    context  "Opened 2024-05-01 10:02 UTC", and the link to Firebell when the template gave the words
    actions  Acknowledge (primary) · Resolve (danger) · Escalate · Take command; each button's `value` is
             the incident ref. Acknowledge disappears once acknowledged; the whole row once resolved.

Safety rules, because titles and names come from alerts and people:

- Text in mrkdwn has `&`, `<` and `>` escaped (Slack's own escaping rule), and every mrkdwn text object is
  `verbatim` so Slack does not auto-link bare "@channel"-style words either; a title of "<!channel>"
  shows as text and pings nobody. The one deliberate exception: a commander or acknowledger given as
  exactly a Slack user mention ("<@U123ABC>") is kept, since mentioning that one person is the point.
- The header is plain_text, which Slack shows literally, so it is not entity-escaped.
- Every text is clipped to its Block Kit limit with a trailing "…" instead of producing a message Slack
  would reject with `invalid_blocks`. Lengths are counted in UTF-16 code units, which is never less than
  the code-point count, so the result is within the limit however Slack counts. Clipping never splits an
  escape such as `&amp;`.
- Control characters other than newline and tab are dropped, and lone surrogates replaced, so the payload
  always encodes as UTF-8 JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

HEADER_TEXT_MAX = 150
SECTION_TEXT_MAX = 3000
# Slack documents 2000 characters for each section field; slack_sdk does not check it, so stay under it.
FIELD_TEXT_MAX = 2000
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BLOCK_ID_MAX = 255
MAX_BLOCKS = 50
# Not a Block Kit limit: the fallback is what notifications and screen readers show, so keep it short.
FALLBACK_TEXT_MAX = 300
MAX_LINK_URL = 2000
MAX_REF_LENGTH = 100
ELLIPSIS = "…"

ACTION_ACKNOWLEDGE = "ack"
ACTION_RESOLVE = "resolve"
ACTION_ESCALATE = "escalate"
ACTION_TAKE_COMMAND = "command"
ACTIONS_BLOCK_ID_PREFIX = "incident_actions:"

_SLACK_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]{2,20}>")
_LINKABLE_URL = re.compile(r"https?://[^\s<>|\x00-\x1f\x7f]+")
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class IncidentCard:
    """What an incident's Slack message shows. `opened_at` is UTC; a naive datetime is taken as UTC.

    The card counts as resolved when `resolved` is set or `status` is "resolved", and as acknowledged when
    either of those holds, `acknowledged_by` is set, or `status` is "acknowledged".
    """

    ref: str
    title: str
    severity: str
    status: str
    opened_at: datetime
    stage: str = ""
    commander: str | None = None
    service: str = ""
    url: str | None = None
    acknowledged_by: str | None = None
    resolved: bool = False
    text: str = ""  # mrkdwn from the card template, already escaped and cut to a section's limit


    def __post_init__(self) -> None:
        # The ref travels back to us as the buttons' `value`; clipping it would make the buttons act on a
        # different (or no) incident, so refuse it instead.
        if not self.ref.strip() or len(self.ref) > MAX_REF_LENGTH:
            raise ValueError(f"an incident ref must be 1 to {MAX_REF_LENGTH} characters, got {self.ref[:40]!r}")

    @property
    def is_resolved(self) -> bool:
        return self.resolved or self.status.strip().lower() == "resolved"

    @property
    def is_acknowledged(self) -> bool:
        return self.is_resolved or self.acknowledged_by is not None or self.status.strip().lower() == "acknowledged"


def escape_mrkdwn(text: str) -> str:
    """Text shown as-is inside mrkdwn: Slack's control characters &, < and > become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _utf16_units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _clip_pieces(pieces: list[str], limit: int) -> str:
    """Join `pieces` (each one rendered character), dropping whole pieces from the end to fit `limit`."""
    if sum(_utf16_units(piece) for piece in pieces) <= limit:
        return "".join(pieces)
    budget = limit - _utf16_units(ELLIPSIS)
    kept: list[str] = []
    used = 0
    for piece in pieces:
        used += _utf16_units(piece)
        if used > budget:
            break
        kept.append(piece)
    return "".join(kept).rstrip() + ELLIPSIS


def _clean(text: str) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text
    return _UNSAFE_CHARACTERS.sub("", text)


def clip_plain(text: str, limit: int) -> str:
    """`text` cut to `limit` with a trailing ellipsis when it is longer."""
    return _clip_pieces(list(_clean(text)), limit)


def clip_mrkdwn(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn and cut to `limit` (measured after escaping) without splitting an entity."""
    return _clip_pieces([escape_mrkdwn(ch) for ch in _clean(text)], limit)


def _one_line(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", _clean(text)).strip()


def _plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _person(name: str | None, limit: int) -> str:
    if name is None or not name.strip():
        return "_none_"
    if _SLACK_USER_MENTION.fullmatch(name.strip()):
        return name.strip()
    return clip_mrkdwn(_one_line(name), limit)


def _field(label: str, value: str) -> dict[str, Any]:
    prefix = f"*{label}*\n"
    return _mrkdwn(prefix + value)


def _field_value(text: str) -> str:
    text = _one_line(text)
    return clip_mrkdwn(text, FIELD_TEXT_MAX - 40) if text else "—"


def _linkable(url: str | None) -> str | None:
    """The URL as it can sit inside `<url|label>`, or None when it would be unsafe or too long to link."""
    if url is None or len(url) > MAX_LINK_URL or not _LINKABLE_URL.fullmatch(url):
        return None
    return url.replace("&", "&amp;")


def _title_line(card: IncidentCard) -> str:
    title = _one_line(card.title) or "(untitled)"
    link = _linkable(card.url)
    if link is None:
        return "*" + clip_mrkdwn(title, SECTION_TEXT_MAX - 2) + "*"
    budget = SECTION_TEXT_MAX - len("*<|>*") - len(link)
    return f"*<{link}|{clip_mrkdwn(title, budget)}>*"


def _opened_text(opened_at: datetime) -> str:
    utc = opened_at.replace(tzinfo=UTC) if opened_at.tzinfo is None else opened_at.astimezone(UTC)
    return f"Opened {utc:%Y-%m-%d %H:%M} UTC"


def _card_text(card: IncidentCard) -> str:
    """The template's words (mrkdwn already, escaped by messages/: only their length is checked here),
    or the linked title when there are none."""
    text = _clean(card.text).strip()
    return _clip_pieces(list(text), SECTION_TEXT_MAX) if text else _title_line(card)


def _context_text(card: IncidentCard) -> str:
    link = _linkable(card.url)
    opened = _opened_text(card.opened_at)
    return f"{opened} · <{link}|Open in Firebell>" if card.text.strip() and link else opened


def _button(action_id: str, label: str, ref: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": _plain_text(clip_plain(label, BUTTON_TEXT_MAX)),
        "value": ref,
    }
    if style is not None:
        button["style"] = style
    return button


def _action_buttons(card: IncidentCard) -> list[dict[str, Any]]:
    buttons = []
    if not card.is_acknowledged:
        buttons.append(_button(ACTION_ACKNOWLEDGE, "Acknowledge", card.ref, "primary"))
    buttons.append(_button(ACTION_RESOLVE, "Resolve", card.ref, "danger"))
    buttons.append(_button(ACTION_ESCALATE, "Escalate", card.ref))
    buttons.append(_button(ACTION_TAKE_COMMAND, "Take command", card.ref))
    return buttons


def _fields(card: IncidentCard) -> list[dict[str, Any]]:
    fields = [
        _field("Severity", _field_value(card.severity)),
        _field("Status", _field_value(card.status)),
    ]
    if card.stage.strip():
        fields.append(_field("Stage", _field_value(card.stage)))
    fields.append(_field("Commander", _person(card.commander, FIELD_TEXT_MAX - 40)))
    if card.service.strip():
        fields.append(_field("Service", _field_value(card.service)))
    if card.acknowledged_by is not None:
        fields.append(_field("Acknowledged by", _person(card.acknowledged_by, FIELD_TEXT_MAX - 40)))
    return fields


def fallback_text(card: IncidentCard) -> str:
    """The notification line: "INC-42 P1: API errors (triggered)", escaped like any mrkdwn."""
    summary = f"{card.ref} {_one_line(card.severity)}: {_one_line(card.title) or '(untitled)'}"
    return clip_mrkdwn(f"{summary} ({_one_line(card.status) or 'unknown'})", FALLBACK_TEXT_MAX)


def incident_message(card: IncidentCard) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}` for chat.postMessage, chat.update or an incoming webhook."""
    header = " · ".join(part for part in (_one_line(card.ref), _one_line(card.severity), _one_line(card.title)) if part)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain_text(clip_plain(header, HEADER_TEXT_MAX))},
        {"type": "section", "text": _mrkdwn(_card_text(card)), "fields": _fields(card)},
        {"type": "context", "elements": [_mrkdwn(_context_text(card))]},
    ]
    if not card.is_resolved:
        blocks.append(
            {
                "type": "actions",
                "block_id": clip_plain(ACTIONS_BLOCK_ID_PREFIX + card.ref, BLOCK_ID_MAX),
                "elements": _action_buttons(card),
            }
        )
    # The layout above is at most four blocks, far below MAX_BLOCKS; nothing to trim.
    return {"text": fallback_text(card), "blocks": blocks}


def private_message(ref: str, url: str) -> dict[str, Any]:
    """What an incident's channel message becomes once the incident is made private: its reference
    and a link (for those allowed to open it), no title, severity, people or buttons."""
    text = f"{_one_line(ref)} is now private. Its details are in Firebell."
    link = _linkable(url)
    line = f"{escape_mrkdwn(text)} <{link}|Open it>" if link else escape_mrkdwn(text)
    return {"text": text, "blocks": [{"type": "section", "text": _mrkdwn(clip_mrkdwn(line, SECTION_TEXT_MAX))}]}


def text_reply(text: str, in_channel: bool = False) -> dict[str, Any]:
    """A slash-command response. Ephemeral replies are seen only by the person who typed the command.

    `text` is mrkdwn written by us and sent as is, so it may carry mentions and links; pass user-supplied
    parts through `escape_mrkdwn` first.
    """
    return {"response_type": "in_channel" if in_channel else "ephemeral", "text": text}
