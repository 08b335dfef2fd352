from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.phone_replies import (
    REPLY_HELP,
    DeliveryRank,
    ReplyError,
    SmsReply,
    call_status_advances,
    delivery_rank,
    is_final_status,
    parse_sms_reply,
    receipt_advances,
    voice_digit_action,
)

MESSAGE_STATUSES = ["queued", "sending", "sent", "delivered", "undelivered", "failed"]
CALL_STATUSES = [
    "queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled",
]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("4", SmsReply("acknowledge")),
        ("ack", SmsReply("acknowledge")),
        ("  Ack. ", SmsReply("acknowledge")),
        ("ACK!", SmsReply("acknowledge")),
        ("Acknowledge", SmsReply("acknowledge")),
        ("6", SmsReply("resolve")),
        ("resolve", SmsReply("resolve")),
        ("RESOLVE", SmsReply("resolve")),
        ("ack 12", SmsReply("acknowledge", 12)),
        ("ACK INC-12", SmsReply("acknowledge", 12)),
        ("ack inc12", SmsReply("acknowledge", 12)),
        ("ack #12", SmsReply("acknowledge", 12)),
        ("resolve 12", SmsReply("resolve", 12)),
        ("Resolve  INC-0012.", SmsReply("resolve", 12)),
        ("4 12", SmsReply("acknowledge", 12)),
        ("6\t3071", SmsReply("resolve", 3071)),
    ],
)
def test_understood_replies(body: str, expected: SmsReply) -> None:
    assert parse_sms_reply(body) == expected


@pytest.mark.parametrize(
    "body",
    ["", "   ", "5", "44", "ok", "yes", "ack it", "ack 12 13", "ack 0", "ack -3", "ack 1.5", "ack INC-", "stop", "help",
     "ack \u0661\u0662", "ack 9999999999999", "4 " + "1" * 80, "please ack the database incident for me"],
)
def test_anything_else_gets_the_help_text(body: str) -> None:
    assert parse_sms_reply(body) == ReplyError(REPLY_HELP)


def test_help_text_fits_one_sms_and_teaches_the_codes() -> None:
    assert len(REPLY_HELP) <= 160 and REPLY_HELP.isascii()
    for code in ("4", "ACK", "6", "RESOLVE", "ACK 12"):
        assert code in REPLY_HELP
    assert parse_sms_reply("ACK 12") == SmsReply("acknowledge", 12)


@given(st.text(max_size=200))
def test_parser_never_raises_and_always_answers(body: str) -> None:
    reply = parse_sms_reply(body)
    assert isinstance(reply, SmsReply | ReplyError)
    if isinstance(reply, SmsReply) and reply.incident_number is not None:
        assert reply.incident_number > 0


@pytest.mark.parametrize(
    ("digits", "action"),
    [("4", "acknowledge"), ("6", "resolve"), ("9", "repeat"), ("1", None), ("", None), ("*", None), ("46", None),
     ("#", None)],
)
def test_keys_on_a_page_call_match_the_sms_codes(digits: str, action: str | None) -> None:
    assert voice_digit_action(digits) == action


@pytest.mark.parametrize(
    ("current", "new", "advances"),
    [
        (None, "queued", True),
        (None, "delivered", True),
        ("queued", "sent", True),
        ("sent", "delivered", True),
        ("queued", "failed", True),
        ("sent", "undelivered", True),
        ("delivered", "sent", False),
        ("failed", "delivered", False),
        ("delivered", "failed", False),
        ("undelivered", "delivered", False),
        ("sent", "sent", False),
        ("sent", "queued", False),
        ("queued", "read-receipt-v9", False),
        ("mystery", "sent", True),
    ],
)
def test_receipts_only_move_a_message_forward(current: str | None, new: str, advances: bool) -> None:
    assert receipt_advances(current, new) is advances


def test_ranks_and_final_statuses() -> None:
    ranks = [delivery_rank(s) for s in ("queued", "sending", "sent", "delivered")]
    assert ranks == [DeliveryRank.QUEUED, DeliveryRank.SENDING, DeliveryRank.SENT, DeliveryRank.FINAL]
    assert delivery_rank("failed") == delivery_rank("undelivered") == DeliveryRank.FINAL
    assert delivery_rank("ringing") is None
    assert all(is_final_status(s) for s in ("delivered", "undelivered", "failed", "completed", "no-answer", "busy"))
    assert not any(is_final_status(s) for s in ("queued", "sent", "ringing", "in-progress", "unknown"))


def _apply(statuses: list[str], advances: Callable[[str | None, str], bool]) -> list[str | None]:
    stored: str | None = None
    history: list[str | None] = [stored]
    for status in statuses:
        if advances(stored, status):
            stored = status
        history.append(stored)
    return history


@given(st.lists(st.sampled_from([*MESSAGE_STATUSES, "accepted", "read"]), max_size=12))
def test_no_sequence_of_receipts_moves_a_message_backwards(statuses: list[str]) -> None:
    ranks = [0 if s is None else delivery_rank(s) or 0 for s in _apply(statuses, receipt_advances)]
    assert ranks == sorted(ranks)
    finals = [s for s in _apply(statuses, receipt_advances) if s in {"delivered", "undelivered", "failed"}]
    assert len(set(finals)) <= 1  # the first final status sticks


@given(st.lists(st.sampled_from(CALL_STATUSES), max_size=12))
def test_no_sequence_of_call_statuses_moves_a_call_backwards(statuses: list[str]) -> None:
    history = _apply(statuses, call_status_advances)
    positions = [0 if s is None else min(CALL_STATUSES.index(s), 4) + 1 for s in history]
    assert positions == sorted(positions)
    finals = [s for s in history if s is not None and is_final_status(s)]
    assert len(set(finals)) <= 1
