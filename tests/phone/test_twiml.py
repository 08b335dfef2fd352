from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.phone_replies import voice_digit_action
from firebell.notify.twiml import gather_result_twiml, page_call_twiml

GATHER = "https://firebell.example/phone/gather?page=inc-12:l1&sig=a%2Bb"


def _page(title: str = "Database down", ref: str = "INC-12", severity: str = "P1", url: str = GATHER) -> ET.Element:
    document = page_call_twiml(ref, title, severity, url)
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(document)


def test_page_reads_the_incident_waits_for_a_key_repeats_once_then_hangs_up() -> None:
    root = _page()

    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Gather", "Gather", "Say", "Hangup"]
    for gather in root.findall("Gather"):
        assert gather.attrib == {"numDigits": "1", "action": GATHER, "method": "POST", "timeout": "10"}
        (say,) = gather
        assert say.tag == "Say" and say.text is not None
        assert "Incident 12, severity P1: Database down." in say.text
        assert "Press 4 to acknowledge, 6 to resolve, or 9 to hear this again." in say.text
    assert "Goodbye" in (root[2].text or "")


def test_the_keys_the_call_announces_are_the_keys_it_understands() -> None:
    say = _page()[0][0].text or ""
    assert voice_digit_action("4") == "acknowledge" and "4 to acknowledge" in say
    assert voice_digit_action("6") == "resolve" and "6 to resolve" in say
    assert voice_digit_action("9") == "repeat" and "9 to hear this again" in say


def test_hostile_title_is_spoken_not_obeyed() -> None:
    title = 'x</Say></Gather><Dial>+19005550100</Dial><Say a="1">& "quoted" \'single\''
    root = _page(title=title, severity="<P1>", ref="INC-<12>")

    assert root.find(".//Dial") is None
    assert [element.tag for element in root.iter()] == ["Response", "Gather", "Say", "Gather", "Say", "Say", "Hangup"]
    said = root[0][0].text or ""
    assert title in said and "severity <P1>" in said and "Incident INC-<12>" in said


def test_characters_xml_cannot_carry_are_dropped() -> None:
    root = _page(title="disk\x00 full\x1b[31m on\ufffe db-1\ud800")
    said = root[0][0].text or ""
    assert "disk full [31m on db-1" in said


def test_a_long_title_is_shortened_and_the_document_fits_twilio_inline_limit() -> None:
    signed_url = "https://firebell.example/phone/gather?page=inc-12:l1:loop0:user-7:voice-3&sig=" + "a" * 64
    document = page_call_twiml("<" * 100, "&" * 5000, "&" * 100, signed_url)
    assert len(document) <= 4000
    said = ET.fromstring(document)[0][0].text or ""
    assert "&" * 197 + "..." in said and "&" * 198 not in said


def test_gather_url_must_be_given() -> None:
    with pytest.raises(ValueError, match="gather URL"):
        page_call_twiml("INC-12", "Database down", "P1", "")


def test_gather_result_says_the_outcome_and_hangs_up() -> None:
    root = ET.fromstring(gather_result_twiml("Incident 12 acknowledged. <Thanks> & goodbye."))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root[0].text == "Incident 12 acknowledged. <Thanks> & goodbye."


@given(st.text(st.characters(exclude_categories=())), st.text(max_size=50), st.text(max_size=50))
def test_any_title_gives_a_well_formed_page_of_known_verbs(title: str, ref: str, severity: str) -> None:
    root = _page(title=title, ref=ref, severity=severity)
    assert {element.tag for element in root.iter()} == {"Response", "Gather", "Say", "Hangup"}
    assert all(len(say.text or "") < 400 for say in root.iter("Say"))
