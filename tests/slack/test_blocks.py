"""Incident cards: what people see in the channel, which buttons they get, and that Slack accepts it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.notify.channels.slack_blocks import IncidentCard, escape_mrkdwn, incident_message, text_reply
from tests.slack.fake_slack import block_kit_problems

OPENED = datetime(2024, 5, 1, 10, 2, tzinfo=UTC)
CARD = IncidentCard(
    ref="INC-42",
    title="API errors",
    severity="P1",
    status="triggered",
    opened_at=OPENED,
    stage="Contain",
    commander="Alice Ng",
    service="checkout-api",
    url="https://firebell.example/incidents/42",
)


def blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [block for block in message["blocks"] if block["type"] == kind]


def header_text(message: dict[str, Any]) -> str:
    return str(blocks_of(message, "header")[0]["text"]["text"])


def section_texts(message: dict[str, Any]) -> list[str]:
    section = blocks_of(message, "section")[0]
    return [section["text"]["text"], *(f["text"] for f in section.get("fields", []))]


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["action_id"]: b for block in blocks_of(message, "actions") for b in block["elements"]}


def mrkdwn_texts(message: dict[str, Any]) -> list[str]:
    """Every string Slack parses as mrkdwn: the fallback plus each mrkdwn text object."""
    found = [message["text"]]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message["blocks"])
    return found


def test_a_new_incident_card_shows_what_responders_need() -> None:
    message = incident_message(CARD)
    assert header_text(message) == "INC-42 · P1 · API errors"
    title, *fields = section_texts(message)
    assert title == "*<https://firebell.example/incidents/42|API errors>*"
    assert fields == [
        "*Severity*\nP1",
        "*Status*\ntriggered",
        "*Stage*\nContain",
        "*Commander*\nAlice Ng",
        "*Service*\ncheckout-api",
    ]
    assert blocks_of(message, "context")[0]["elements"][0]["text"] == "Opened 2024-05-01 10:02 UTC"
    assert message["text"] == "INC-42 P1: API errors (triggered)"
    assert block_kit_problems(message) == []


def test_an_open_incident_offers_all_four_actions_for_this_incident() -> None:
    shown = buttons(incident_message(CARD))
    assert list(shown) == ["ack", "resolve", "escalate", "command"]
    assert [b["text"]["text"] for b in shown.values()] == ["Acknowledge", "Resolve", "Escalate", "Take command"]
    assert {b["value"] for b in shown.values()} == {"INC-42"}
    assert shown["ack"]["style"] == "primary"
    assert shown["resolve"]["style"] == "danger"
    assert "style" not in shown["escalate"]


@pytest.mark.parametrize(
    "change",
    [{"acknowledged_by": "<@U024BE7LH>"}, {"status": "acknowledged"}, {"status": "Acknowledged"}],
)
def test_an_acknowledged_incident_no_longer_offers_acknowledge(change: dict[str, Any]) -> None:
    assert list(buttons(incident_message(replace(CARD, **change)))) == ["resolve", "escalate", "command"]


@pytest.mark.parametrize("change", [{"resolved": True}, {"status": "resolved"}])
def test_a_resolved_incident_has_no_buttons(change: dict[str, Any]) -> None:
    message = incident_message(replace(CARD, **change))
    assert blocks_of(message, "actions") == []
    assert block_kit_problems(message) == []


def test_the_acknowledger_is_shown_and_a_slack_mention_of_them_is_kept() -> None:
    message = incident_message(replace(CARD, acknowledged_by="<@U024BE7LH>", commander=None))
    fields = section_texts(message)[1:]
    assert "*Acknowledged by*\n<@U024BE7LH>" in fields
    assert "*Commander*\n_none_" in fields


def test_empty_stage_and_service_are_left_out_rather_than_shown_blank() -> None:
    fields = section_texts(incident_message(replace(CARD, stage="", service="  ")))[1:]
    assert [f.split("\n")[0] for f in fields] == ["*Severity*", "*Status*", "*Commander*"]


@pytest.mark.parametrize(
    "hostile",
    ["<!channel> wake up", "<!here|here>", "<!everyone>", "<@U024BE7LH> did it", "<https://evil.example|click>"],
)
def test_markup_in_a_title_or_name_is_shown_as_text_and_pings_nobody(hostile: str) -> None:
    message = incident_message(
        replace(CARD, title=hostile, commander=hostile, service=hostile, stage=hostile, acknowledged_by=hostile)
    )
    for text in mrkdwn_texts(message):
        # Our own link around the title is the only markup allowed.
        assert "<" not in text.replace("<https://firebell.example/incidents/42|", "")
    assert escape_mrkdwn(hostile) in section_texts(message)[0]
    assert escape_mrkdwn(hostile) in message["text"]


def test_mrkdwn_text_objects_are_verbatim_so_bare_at_channel_is_not_auto_linked() -> None:
    message = incident_message(replace(CARD, title="@channel db down"))
    section = blocks_of(message, "section")[0]
    assert section["text"]["verbatim"] is True
    assert all(field["verbatim"] is True for field in section["fields"])


def test_escaping_uses_slacks_three_entities_only() -> None:
    assert escape_mrkdwn("a & b < c > d 'e' \"f\"") == "a &amp; b &lt; c &gt; d 'e' \"f\""


def test_a_very_long_title_is_cut_with_an_ellipsis_to_fit_slacks_limits() -> None:
    message = incident_message(replace(CARD, title="disk full " * 2000))
    assert 140 <= len(header_text(message)) <= 150
    assert header_text(message).endswith("…")
    assert len(section_texts(message)[0]) <= 3000
    assert section_texts(message)[0].endswith("…>*")
    assert block_kit_problems(message) == []


def test_cutting_never_splits_an_escaped_character() -> None:
    message = incident_message(replace(CARD, title="&" * 4000, url=None))
    title = section_texts(message)[0]
    assert title.startswith("*&amp;&amp;") and title.endswith("&amp;…*")
    assert re.fullmatch(r"\*(&amp;)+…\*", title)


def test_wide_characters_are_counted_so_the_header_stays_within_150_however_slack_counts() -> None:
    message = incident_message(replace(CARD, title="🔥" * 200))
    header = header_text(message)
    assert len(header.encode("utf-16-le")) // 2 <= 150
    assert header.startswith("INC-42 · P1 · 🔥🔥")


def test_a_multi_line_title_becomes_one_header_line() -> None:
    message = incident_message(replace(CARD, title="db down\n\tagain\r\n"))
    assert header_text(message) == "INC-42 · P1 · db down again"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "https://firebell.example/x|<!channel>",
        "https://firebell.example/a b",
        "https://firebell.example/" + "x" * 3000,
    ],
)
def test_a_url_that_cannot_be_linked_safely_leaves_the_title_unlinked(url: str) -> None:
    message = incident_message(replace(CARD, url=url))
    assert section_texts(message)[0] == "*API errors*"


def test_a_url_with_query_parameters_is_linked_with_ampersands_escaped() -> None:
    message = incident_message(replace(CARD, url="https://fb.example/i?id=42&tab=timeline"))
    assert section_texts(message)[0] == "*<https://fb.example/i?id=42&amp;tab=timeline|API errors>*"


def test_the_opening_time_is_shown_in_utc_whatever_zone_it_was_given_in() -> None:
    in_new_york = OPENED.astimezone(timezone(timedelta(hours=-4)))
    message = incident_message(replace(CARD, opened_at=in_new_york))
    assert blocks_of(message, "context")[0]["elements"][0]["text"] == "Opened 2024-05-01 10:02 UTC"


@pytest.mark.parametrize("ref", ["", "   ", "INC-" + "9" * 200])
def test_a_card_refuses_a_ref_its_buttons_could_not_carry(ref: str) -> None:
    with pytest.raises(ValueError, match="incident ref"):
        replace(CARD, ref=ref)


def test_text_reply_is_private_unless_asked_to_be_in_channel() -> None:
    assert text_reply("INC-42 acknowledged") == {"response_type": "ephemeral", "text": "INC-42 acknowledged"}
    assert text_reply("INC-42 resolved", in_channel=True)["response_type"] == "in_channel"


# Arbitrary text with Slack's markup and long runs mixed in, so hostile and oversized input is common.
markup = st.sampled_from(["<!channel>", "<!here>", "<#C024BE7LH>", "<@U024BE7LH>", "&", "<", ">", "|", "&amp;", "🔥"])
anything = st.lists(
    markup | st.text(max_size=40) | st.text(max_size=1, min_size=1).map(lambda c: c * 900), max_size=12
).map("".join)
refs = st.from_regex(r"INC-[1-9][0-9]{0,8}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(
    ref=refs,
    title=anything,
    severity=st.text(max_size=300),
    status=st.text(max_size=300),
    stage=anything,
    commander=st.none() | anything,
    service=anything,
    acknowledged_by=st.none() | anything,
    resolved=st.booleans(),
    url=st.none() | st.text(max_size=50).map(lambda tail: "https://fb.example/" + tail),
)
def test_any_incident_renders_to_a_message_slack_accepts_and_that_pings_nobody(**fields: Any) -> None:
    card = IncidentCard(opened_at=OPENED, **fields)
    message = incident_message(card)
    assert block_kit_problems(message) == []
    json.dumps(message, ensure_ascii=False).encode("utf-8")  # sendable: no lone surrogates left
    for text in mrkdwn_texts(message):
        assert "<!" not in text
        assert "<#" not in text
    assert header_text(message).startswith(card.ref)
    assert {b["value"] for b in buttons(message).values()} <= {card.ref}


def test_control_characters_and_lone_surrogates_do_not_make_the_message_unsendable() -> None:
    message = incident_message(replace(CARD, title="db\x00 down\ud800\x1b[31m", commander="bob\x07"))
    json.dumps(message, ensure_ascii=False).encode("utf-8")
    assert header_text(message) == "INC-42 · P1 · db down?[31m"
    assert block_kit_problems(message) == []
