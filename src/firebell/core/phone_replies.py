"""What a person means when they answer a page by SMS or by pressing a key during a page call.

The codes are the same on both: 4 acknowledges, 6 resolves (and on a call 9 repeats the message). An SMS
reply may name the incident ("ack 12", "ACK INC-12", "4 12"); without a number it means the most recent
page sent to the replying number, which the caller looks up.

Delivery receipts (Twilio status callbacks) arrive out of order and sometimes twice, so a stored status
only ever moves forward. Message order, by rank:

    queued (1) < sending (2) < sent (3) < delivered | undelivered | failed (4, final)

The three final statuses share a rank: whichever final status arrives first wins, so a "delivered"
after "failed" (or a "failed" after "delivered") is ignored, as is a late "sent" after either.
Call order is the same idea:

    queued (1) < initiated (2) < ringing (3) < in-progress (4) < completed | busy | failed | no-answer | canceled (5)

Statuses this module does not know never advance anything; a stored status it does not know counts
as "nothing recorded yet".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

ReplyAction = Literal["acknowledge", "resolve"]
DigitAction = Literal["acknowledge", "resolve", "repeat"]

# Fits one GSM-7 SMS segment (160 characters); test_phone_replies checks that.
REPLY_HELP = (
    "Firebell: reply 4 or ACK to acknowledge, 6 or RESOLVE to resolve. "
    "Add the incident number for an older page, e.g. ACK 12"
)

_ACTION_WORDS: dict[str, ReplyAction] = {
    "4": "acknowledge",
    "ack": "acknowledge",
    "acknowledge": "acknowledge",
    "6": "resolve",
    "resolve": "resolve",
}
# "12", "#12", "INC-12", "inc12"; ASCII digits only so "١٢" (Arabic-Indic) is not silently read as 12.
_INCIDENT = re.compile(r"(?:#|inc-?)?([0-9]{1,12})")
# Phones add a full stop after a word or two, and people shout ("ACK!").
_TRAILING_PUNCTUATION = ".!?"
_LONGEST_REPLY = 64
# The same keys as the SMS codes so people learn one set. 9 (repeat) sits below 6 on a keypad, so that slip
# only replays the message; 4 and 6 are not neighbours, so acknowledge and resolve are hard to confuse.
_DIGIT_ACTIONS: dict[str, DigitAction] = {"4": "acknowledge", "6": "resolve", "9": "repeat"}


@dataclass(frozen=True)
class SmsReply:
    """A recognised reply. `incident_number` is None when the reply means the most recent page."""

    action: ReplyAction
    incident_number: int | None = None


@dataclass(frozen=True)
class ReplyError:
    """An unrecognised reply. `help_text` is meant to be sent back as is."""

    help_text: str = REPLY_HELP


def parse_sms_reply(body: str) -> SmsReply | ReplyError:
    """Read an SMS reply. Case and surrounding whitespace do not matter; anything unclear is a ReplyError.

    Never raises, whatever the text.
    """
    if len(body) > _LONGEST_REPLY:
        return ReplyError()
    words = body.strip().rstrip(_TRAILING_PUNCTUATION).casefold().split()
    if not words or len(words) > 2:
        return ReplyError()
    action = _ACTION_WORDS.get(words[0])
    if action is None:
        return ReplyError()
    if len(words) == 1:
        return SmsReply(action)
    number = _INCIDENT.fullmatch(words[1])
    if number is None or int(number.group(1)) == 0:
        return ReplyError()
    return SmsReply(action, int(number.group(1)))


def voice_digit_action(digits: str) -> DigitAction | None:
    """What a key pressed during a page call asks for: 4 acknowledge, 6 resolve, 9 repeat, else None."""
    return _DIGIT_ACTIONS.get(digits.strip())


class DeliveryRank(IntEnum):
    """How far along a message is. The final statuses share one rank: the first to arrive sticks."""

    QUEUED = 1
    SENDING = 2
    SENT = 3
    FINAL = 4


_MESSAGE_RANKS: dict[str, DeliveryRank] = {
    "queued": DeliveryRank.QUEUED,
    "sending": DeliveryRank.SENDING,
    "sent": DeliveryRank.SENT,
    "delivered": DeliveryRank.FINAL,
    "undelivered": DeliveryRank.FINAL,
    "failed": DeliveryRank.FINAL,
}

_CALL_RANKS: dict[str, int] = {
    "queued": 1,
    "initiated": 2,
    "ringing": 3,
    "in-progress": 4,
    "completed": 5,
    "busy": 5,
    "failed": 5,
    "no-answer": 5,
    "canceled": 5,
}
_CALL_FINAL = 5


def delivery_rank(status: str) -> DeliveryRank | None:
    """The rank of a message status, or None for a status this module does not know."""
    return _MESSAGE_RANKS.get(status)


def receipt_advances(current_status: str | None, new_status: str) -> bool:
    """True when a message receipt `new_status` should replace the stored `current_status`."""
    return _advances(_MESSAGE_RANKS, current_status, new_status)


def call_status_advances(current_status: str | None, new_status: str) -> bool:
    """True when a call status callback `new_status` should replace the stored `current_status`."""
    return _advances(_CALL_RANKS, current_status, new_status)


def is_final_status(status: str) -> bool:
    """True for a message or call status after which nothing more will change."""
    return _MESSAGE_RANKS.get(status) == DeliveryRank.FINAL or _CALL_RANKS.get(status) == _CALL_FINAL


def _advances(ranks: Mapping[str, int], current: str | None, new: str) -> bool:
    # Final statuses share the top rank, so nothing outranks one once it is stored.
    new_rank = ranks.get(new)
    current_rank = ranks.get(current, 0) if current is not None else 0
    return new_rank is not None and new_rank > current_rank
