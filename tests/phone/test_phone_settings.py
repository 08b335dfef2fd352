"""SMS and voice from the environment: which providers, in which order, and what a misconfiguration says."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from firebell.notify.channels.base import Links, Message
from firebell.notify.channels.phone import SmsChannel, VoiceChannel
from firebell.notify.settings import LogChannel, channels_from_env
from tests.phone.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, FakeGateway, FakeTwilio

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
PUBLIC = "https://firebell.example"
PAGER = "+46700000001"


def twilio_env(twilio: FakeTwilio) -> dict[str, str]:
    return {"FIREBELL_PUBLIC_URL": PUBLIC, "FIREBELL_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "FIREBELL_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "FIREBELL_TWILIO_FROM": TWILIO_NUMBER,
            "FIREBELL_TWILIO_API_URL": twilio.base_url}


def page(**overrides: Any) -> Message:
    fields: dict[str, Any] = {"idempotency_key": "inc:l1:u:0", "kind": "page", "incident_ref": "INC-12",
                              "title": "Database down", "severity": "P1", "summary": "", "recipient": PAGER}
    return Message(**(fields | overrides))


def test_without_phone_settings_there_is_no_sms_or_voice() -> None:
    channels = channels_from_env({})
    assert "sms" not in channels.by_name and "voice" not in channels.by_name
    assert channels.twilio_auth_token == ""


@pytest.mark.parametrize(("env", "named"), [
    ({"FIREBELL_TWILIO_ACCOUNT_SID": ACCOUNT_SID}, "FIREBELL_TWILIO_AUTH_TOKEN, FIREBELL_TWILIO_FROM"),
    ({"FIREBELL_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "FIREBELL_TWILIO_AUTH_TOKEN": "t", "FIREBELL_TWILIO_FROM": "555"},
     "E.164"),
    ({"FIREBELL_SMS_HTTP_URL": "https://gw.example/send"}, "FIREBELL_SMS_HTTP_SECRET"),
    ({"FIREBELL_SMS_HTTP_URL": "https://gw.example/send", "FIREBELL_SMS_HTTP_SECRET": "hunter2!"}, "whsec_"),
])
def test_a_half_configured_provider_stops_start_up_naming_what_to_fix(env: dict[str, str], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        channels_from_env(env)


def test_twilio_pages_first_with_receipts_and_the_gateway_takes_over_when_it_fails() -> None:
    with FakeTwilio() as twilio, FakeGateway(SECRET) as gateway:
        channels = channels_from_env(twilio_env(twilio) | {"FIREBELL_SMS_HTTP_URL": gateway.url,
                                                           "FIREBELL_SMS_HTTP_SECRET": SECRET})
        sms = channels.by_name["sms"]
        assert isinstance(sms, SmsChannel) and isinstance(channels.by_name["voice"], VoiceChannel)
        assert channels.twilio_auth_token == AUTH_TOKEN
        first = sms.send(page())
        assert first.ok and first.provider_id is not None and first.provider_id.startswith("twilio:SM")
        assert twilio.messages[0]["StatusCallback"] == f"{PUBLIC}/integrations/twilio/status"
        twilio.fail_next(1, 503)
        second = sms.send(page(idempotency_key="inc:l2:u:0"))
        assert second.ok and second.provider_id == "generic:gw-1"
        assert "twilio: HTTP 503" in second.detail and "generic: accepted" in second.detail


def test_a_gateway_alone_pages_without_asking_for_twilio_receipts() -> None:
    with FakeGateway(SECRET) as gateway:
        channels = channels_from_env({"FIREBELL_SMS_HTTP_URL": gateway.url, "FIREBELL_SMS_HTTP_SECRET": SECRET})
        assert channels.by_name["sms"].send(page()).ok
        (sent,) = gateway.received
        assert sent.payload["to"] == PAGER and sent.payload["status_callback"] is None
        assert channels.twilio_auth_token == ""


def test_channels_named_in_log_channels_are_logged_not_sent() -> None:
    with FakeTwilio() as twilio:
        channels = channels_from_env(twilio_env(twilio) | {"FIREBELL_LOG_CHANNELS": "sms"})
        assert isinstance(channels.by_name["sms"], LogChannel)
        assert isinstance(channels.by_name["voice"], VoiceChannel)
        assert channels.by_name["sms"].send(page()).ok and twilio.requests == []
        assert channels.twilio_auth_token == AUTH_TOKEN, "Twilio's replies must still verify"


def test_a_call_offers_keys_only_when_the_page_has_an_acknowledge_link() -> None:
    with FakeTwilio() as twilio:
        voice = channels_from_env(twilio_env(twilio)).by_name["voice"]
        token = "eyJ0b2tlbiI.c2lnbmF0dXJl"
        assert voice.send(page(links=Links(acknowledge=f"{PUBLIC}/act/{token}"))).ok
        assert voice.send(page(idempotency_key="inc:l2:u:0")).ok
        with_keys, without = (ET.fromstring(call["Twiml"]) for call in twilio.calls)
    assert {g.attrib["action"] for g in with_keys.iter("Gather")} == {f"{PUBLIC}/integrations/twilio/voice/{token}"}
    assert list(without.iter("Gather")) == []
    said = " ".join(s.text or "" for s in without.iter("Say"))
    assert "Incident 12" in said and "Database down" in said and "Press" not in said
