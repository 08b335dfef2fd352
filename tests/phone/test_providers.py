"""SMS and voice channels against a loopback Twilio that checks what Twilio checks, and a generic gateway."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.phone_replies import SmsReply, parse_sms_reply
from firebell.notify.channels import Channel, Delivery, Message
from firebell.notify.channels.phone import (
    GenericHttpProvider,
    RecipientRejected,
    SmsChannel,
    TwilioProvider,
    VoiceChannel,
    sms_text,
)
from firebell.notify.twiml import page_call_twiml
from tests.phone.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, FakeGateway, FakeTwilio, closed_port_url

SECRET = "whsec_" + base64.b64encode(bytes(range(32, 64))).decode()
PAGER = "+447700900123"
INVALID, OPTED_OUT, LANDLINE = "+15005550001", "+15005550004", "+15005550009"
KEY = "inc-12:l1:loop0:user-7:sms-1"
CALLBACK = "https://firebell.example/phone/status"


def _message(recipient: str = PAGER, **overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "idempotency_key": KEY, "kind": "page", "incident_ref": "INC-12", "title": "Database down",
        "severity": "P1", "summary": "Primary is not accepting connections.", "recipient": recipient,
    }
    return Message(**(fields | overrides))


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(invalid_numbers=(INVALID,), unsubscribed=(OPTED_OUT,), landlines=(LANDLINE,)) as fake:
        yield fake


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(SECRET) as fake:
        yield fake


def _twilio(fake: FakeTwilio, token: str = AUTH_TOKEN, **kwargs: Any) -> TwilioProvider:
    return TwilioProvider(ACCOUNT_SID, token, TWILIO_NUMBER, base_url=fake.base_url, **kwargs)


def _backup(gateway: FakeGateway, name: str = "backup-sms") -> GenericHttpProvider:
    return GenericHttpProvider(gateway.url, SECRET, timeout=5.0, name=name)


def _callback(message: Message) -> str:
    return f"{CALLBACK}?key={message.idempotency_key}"


def test_channels_keep_the_channel_contract(twilio: FakeTwilio) -> None:
    sms, voice = SmsChannel([_twilio(twilio)]), VoiceChannel([_twilio(twilio)], twiml_for=lambda m: "<Response/>")
    assert isinstance(sms, Channel) and sms.name == "sms"
    assert isinstance(voice, Channel) and voice.name == "voice"


def test_sms_reaches_twilio_with_the_documented_fields(twilio: FakeTwilio) -> None:
    delivery = SmsChannel([_twilio(twilio)], status_callback_for=_callback).send(_message())

    assert delivery.ok, delivery.detail
    assert delivery.detail == "twilio: accepted (queued)"
    (sent,) = twilio.messages
    assert re.fullmatch(r"SM[0-9a-f]{32}", sent["sid"])
    assert delivery.provider_id == f"twilio:{sent['sid']}"
    assert sent["To"] == PAGER and sent["From"] == TWILIO_NUMBER
    assert sent["Body"] == "Firebell INC-12 P1: Database down - Reply ack 12 / resolve 12"
    assert sent["StatusCallback"] == f"{CALLBACK}?key={KEY}"
    path, headers, _ = twilio.requests[0]
    assert path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")


def test_messaging_service_replaces_the_from_number(twilio: FakeTwilio) -> None:
    provider = _twilio(twilio, messaging_service_sid="MG" + "0" * 32)
    assert provider.send_sms(PAGER, "hello", KEY, None).ok
    assert "From" not in twilio.messages[0] and twilio.messages[0]["MessagingServiceSid"] == "MG" + "0" * 32


def test_wrong_auth_token_is_a_permanent_failure_that_says_why(twilio: FakeTwilio) -> None:
    delivery = SmsChannel([_twilio(twilio, token="not-the-token")]).send(_message())

    assert not delivery.ok and not delivery.retryable
    assert "HTTP 401" in delivery.detail and "20003" in delivery.detail and "auth token" in delivery.detail
    assert twilio.messages == []


def test_twilio_outage_fails_over_to_the_generic_provider(twilio: FakeTwilio, gateway: FakeGateway) -> None:
    twilio.fail_next(1, status=500)
    delivery = SmsChannel([_twilio(twilio), _backup(gateway)], status_callback_for=_callback).send(_message())

    assert delivery.ok
    assert delivery.detail.startswith("twilio: HTTP 500 Internal Server Error: Twilio error 20500")
    assert delivery.detail.endswith("; backup-sms: accepted")
    assert delivery.provider_id == "backup-sms:gw-1"
    (request,) = gateway.received
    assert request.genuine and request.headers["webhook-id"] == KEY
    assert request.payload == {
        "kind": "sms", "to": PAGER, "body": "Firebell INC-12 P1: Database down - Reply ack 12 / resolve 12",
        "idempotency_key": KEY, "status_callback": f"{CALLBACK}?key={KEY}",
    }


def test_rejected_credentials_also_fail_over(twilio: FakeTwilio, gateway: FakeGateway) -> None:
    delivery = SmsChannel([_twilio(twilio, token="revoked"), _backup(gateway)]).send(_message())
    assert delivery.ok and delivery.provider_id == "backup-sms:gw-1"
    assert "twilio: HTTP 401" in delivery.detail


@pytest.mark.parametrize(("number", "code"), [(INVALID, 21211), (OPTED_OUT, 21610), (LANDLINE, 21614)])
def test_a_rejected_number_is_not_tried_on_another_provider(
    twilio: FakeTwilio, gateway: FakeGateway, number: str, code: int
) -> None:
    delivery = SmsChannel([_twilio(twilio), _backup(gateway)]).send(_message(number))

    assert isinstance(delivery, RecipientRejected)
    assert not delivery.ok and not delivery.retryable
    assert f"Twilio error {code}" in delivery.detail and "backup-sms" not in delivery.detail
    assert gateway.received == []


def test_an_invalid_number_ends_a_call_attempt_too(twilio: FakeTwilio, gateway: FakeGateway) -> None:
    channel = VoiceChannel([_twilio(twilio), _backup(gateway, "backup-voice")], twiml_for=lambda m: "<Response/>")
    delivery = channel.send(_message(INVALID))
    assert isinstance(delivery, RecipientRejected) and "21217" in delivery.detail
    assert gateway.received == []


def test_refused_connection_is_retryable(twilio: FakeTwilio) -> None:
    provider = TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, base_url=closed_port_url())
    delivery = SmsChannel([provider]).send(_message())
    assert delivery.retryable and delivery.detail.startswith("twilio: cannot connect")


def test_refused_connection_fails_over(gateway: FakeGateway) -> None:
    provider = TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, base_url=closed_port_url())
    delivery = SmsChannel([provider, _backup(gateway)]).send(_message())
    assert delivery.ok and delivery.provider_id == "backup-sms:gw-1"
    assert delivery.detail.startswith("twilio: cannot connect") and delivery.detail.endswith("; backup-sms: accepted")


def test_every_provider_down_is_retryable_and_names_each(twilio: FakeTwilio, gateway: FakeGateway) -> None:
    twilio.fail_next(1, status=429)
    gateway.fail_next(1, status=503)
    delivery = SmsChannel([_twilio(twilio), _backup(gateway)]).send(_message())

    assert not delivery.ok and delivery.retryable
    notes = delivery.detail.split("; ")
    assert notes[0].startswith("twilio: HTTP 429 Too Many Requests") and "20429" in notes[0]
    assert notes[1] == "backup-sms: HTTP 503 Service Unavailable"


def test_every_provider_refusing_us_is_permanent(twilio: FakeTwilio, gateway: FakeGateway) -> None:
    wrong_secret = "whsec_" + base64.b64encode(b"x" * 32).decode()
    backup = GenericHttpProvider(gateway.url, wrong_secret, timeout=5.0, name="backup-sms")
    delivery = SmsChannel([_twilio(twilio, token="revoked"), backup]).send(_message())
    assert not delivery.ok and not delivery.retryable
    assert "backup-sms: HTTP 401 Unauthorized" in delivery.detail


def test_long_text_is_cut_to_twilio_1600_character_limit(twilio: FakeTwilio) -> None:
    delivery = SmsChannel([_twilio(twilio)], text_for=lambda m: "disk full on db-1 " * 300).send(_message())
    assert delivery.ok, delivery.detail
    body = twilio.messages[0]["Body"]
    assert 1590 <= len(body) <= 1600 and body.endswith("...") and body.startswith("disk full on db-1")


@pytest.mark.parametrize(("length", "accepted"), [(1600, True), (1601, False)])
def test_twilio_refuses_bodies_over_1600_characters(twilio: FakeTwilio, length: int, accepted: bool) -> None:
    delivery = _twilio(twilio).send_sms(PAGER, "x" * length, KEY, None)
    assert delivery.ok is accepted
    if not accepted:
        assert "21617" in delivery.detail and not delivery.retryable


@pytest.mark.parametrize("number", ["07700 900123", "+44 7700 900123", "447700900123", "+1234567", "+0123456789",
                                    "+1234567890123456", "tel:+447700900123", ""])
def test_numbers_not_in_e164_fail_before_any_request(twilio: FakeTwilio, number: str) -> None:
    for channel in (SmsChannel([_twilio(twilio)]), VoiceChannel([_twilio(twilio)], twiml_for=lambda m: "<Response/>")):
        delivery = channel.send(_message(number))
        assert not delivery.ok and not delivery.retryable
        assert "E.164" in delivery.detail
    assert twilio.requests == []


def _page_twiml(message: Message) -> str:
    return page_call_twiml(message.incident_ref, message.title, message.severity, "https://firebell.example/gather")


def test_voice_call_plays_the_page_twiml(twilio: FakeTwilio) -> None:
    delivery = VoiceChannel([_twilio(twilio)], twiml_for=_page_twiml, status_callback_for=_callback).send(_message())

    assert delivery.ok, delivery.detail
    (call,) = twilio.calls
    assert re.fullmatch(r"CA[0-9a-f]{32}", call["sid"]) and delivery.provider_id == f"twilio:{call['sid']}"
    assert call["Twiml"] == _page_twiml(_message())
    assert call["To"] == PAGER and call["From"] == TWILIO_NUMBER and call["StatusCallback"].startswith(CALLBACK)


def test_twiml_over_twilio_limit_goes_to_the_next_provider(twilio: FakeTwilio, gateway: FakeGateway) -> None:
    long_twiml = "<Response><Say>" + "all hands " * 500 + "</Say></Response>"
    channel = VoiceChannel([_twilio(twilio), _backup(gateway, "backup-voice")], twiml_for=lambda m: long_twiml)
    delivery = channel.send(_message())

    assert delivery.ok and delivery.provider_id == "backup-voice:gw-1"
    assert delivery.detail.startswith(f"twilio: TwiML is {len(long_twiml)} characters; Twilio takes at most 4000")
    assert twilio.requests == []
    assert gateway.received[0].payload["kind"] == "voice" and gateway.received[0].payload["twiml"] == long_twiml


def test_unbuildable_call_fails_without_calling(twilio: FakeTwilio) -> None:
    channel = VoiceChannel([_twilio(twilio)], twiml_for=lambda m: page_call_twiml("INC-12", "t", "P1", ""))
    delivery = channel.send(_message())
    assert not delivery.ok and not delivery.retryable and "gather URL" in delivery.detail
    assert twilio.requests == []


def _replying(status: int, content: bytes) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=content))


def test_accepted_without_a_readable_sid_still_counts_as_sent() -> None:
    # Calling it a failure would fail over and page the person twice.
    provider = TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, transport=_replying(201, b"<html>ok</html>"))
    delivery = provider.send_sms(PAGER, "hello", KEY, None)
    assert delivery == Delivery.delivered("accepted", None)


def test_timeout_is_retryable_and_says_how_long() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    provider = TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, timeout=2.5, transport=httpx.MockTransport(hang))
    assert provider.send_sms(PAGER, "hello", KEY, None) == Delivery.retry("timeout after 2.5 s")


def test_redirect_from_the_gateway_is_not_followed() -> None:
    moved = httpx.MockTransport(lambda r: httpx.Response(302, headers={"location": "https://elsewhere.example/"}))
    provider = GenericHttpProvider("https://gw.example/send", SECRET, timeout=5.0, transport=moved)
    delivery = provider.send_sms(PAGER, "hello", KEY, None)
    assert not delivery.ok and not delivery.retryable and "https://elsewhere.example/" in delivery.detail


def test_misconfiguration_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match=r"E\.164"):
        TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, "5005550006")
    with pytest.raises(ValueError, match="account SID"):
        TwilioProvider("AC/../other", AUTH_TOKEN, TWILIO_NUMBER)
    with pytest.raises(ValueError, match="whsec_"):
        GenericHttpProvider("https://gw.example/send", "plain-password", timeout=5.0)
    with pytest.raises(ValueError, match="at least one provider"):
        SmsChannel([])


def test_the_reply_codes_in_a_page_sms_are_understood(twilio: FakeTwilio) -> None:
    SmsChannel([_twilio(twilio)]).send(_message(incident_ref="INC-3071"))
    body = twilio.messages[0]["Body"]
    codes = re.search(r"Reply (.+) / (.+)$", body)
    assert codes is not None
    assert parse_sms_reply(codes[1]) == SmsReply("acknowledge", 3071)
    assert parse_sms_reply(codes[2]) == SmsReply("resolve", 3071)


# GSM 03.38 written out again here as the test's own oracle.
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
           "abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_DOUBLE = set("^{}\\[~]|€\f")


def _one_segment(text: str) -> bool:
    """True when `text` fits one SMS: 160 GSM-7 septets, or 70 UTF-16 units when GSM-7 cannot carry it."""
    if all(c in GSM7 or c in GSM7_DOUBLE for c in text):
        return sum(2 if c in GSM7_DOUBLE else 1 for c in text) <= 160
    return len(text.encode("utf-16-le")) // 2 <= 70


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, "Firebell INC-12 P1: Database down - Reply ack 12 / resolve 12"),
        ({"kind": "update"}, "Firebell INC-12 P1 update: Database down - Reply ack 12 / resolve 12"),
        ({"kind": "resolved"}, "Firebell INC-12 resolved: Database down"),
        ({"incident_ref": "OPS-7"}, "Firebell OPS-7 P1: Database down - Reply 4 to ack, 6 to resolve"),
        ({"severity": ""}, "Firebell INC-12: Database down - Reply ack 12 / resolve 12"),
        ({"title": "Checkout\u2019s p99 \u2014 \u201cslow\u201d\u2026"},
         "Firebell INC-12 P1: Checkout's p99 - \"slow\"... - Reply ack 12 / resolve 12"),
        ({"title": "Caf\u00e9 S\u00e3o Paulo\n  down"},
         "Firebell INC-12 P1: Caf\u00e9 Sao Paulo down - Reply ack 12 / resolve 12"),
    ],
)
def test_sms_text_reads_well(overrides: dict[str, str], expected: str) -> None:
    text = sms_text(_message(**overrides))
    assert text == expected and _one_segment(text)


@pytest.mark.parametrize(
    "title",
    ["replica lag above threshold on every shard of the orders cluster " * 5, "[{~}] " * 60,
     "\u0421\u0431\u043e\u0439 \u0431\u0430\u0437\u044b \u0434\u0430\u043d\u043d\u044b\u0445 " * 10,
     "\U0001f525 checkout on fire \U0001f525 " * 10],
)
def test_long_titles_are_shortened_to_one_segment_keeping_the_reply_codes(title: str) -> None:
    text = sms_text(_message(title=title))
    assert _one_segment(text)
    assert text.startswith("Firebell INC-12 P1: ") and text.endswith(" - Reply ack 12 / resolve 12")
    assert "..." in text


@given(
    st.sampled_from(["page", "update", "resolved"]),
    st.text(max_size=80), st.text(max_size=30), st.text(max_size=400),
)
def test_sms_text_always_fits_one_segment(kind: str, ref: str, severity: str, title: str) -> None:
    text = sms_text(_message(kind=kind, incident_ref=ref, severity=severity, title=title))
    assert text.startswith("Firebell ")
    assert _one_segment(text) and len(text) <= 1600
