"""X-Twilio-Signature: a known answer from Twilio's docs, tampering, and callbacks from the loopback Twilio."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firebell.core.phone_replies import SmsReply, parse_sms_reply, receipt_advances
from firebell.notify.channels import Message
from firebell.notify.channels.phone import SmsChannel, TwilioProvider
from firebell.notify.twilio_signature import twilio_signature, verify_twilio_signature
from tests.phone.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, CallbackReceiver, FakeTwilio

# The worked example in Twilio's webhook security documentation.
DOC_TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def _by_hand(token: str, signed: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()).decode()


def test_documented_example_matches_a_hand_computed_signature() -> None:
    signed = (
        "https://mycompany.com/myapp.php?foo=1&bar=2"
        "CallSidCA1234567890ABCDE" "Caller+12349013030" "Digits1234" "From+12349013030" "To+18005551212"
    )
    assert _by_hand(DOC_TOKEN, signed) == DOC_SIGNATURE
    assert twilio_signature(DOC_TOKEN, DOC_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert verify_twilio_signature(DOC_TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE)


def test_parameter_order_does_not_matter_but_names_sort_case_sensitively() -> None:
    pairs = [("to", "x"), ("From", "+1"), ("Body", "hi")]
    assert twilio_signature("t", "https://a.example/", pairs) == _by_hand("t", "https://a.example/BodyhiFrom+1tox")
    assert twilio_signature("t", "https://a.example/", list(reversed(pairs))) == twilio_signature(
        "t", "https://a.example/", dict(pairs)
    )


def test_repeated_parameters_are_all_signed_sorted_by_value() -> None:
    pairs = [("To", "+15005550006"), ("MediaUrl", "https://m.example/b"), ("MediaUrl", "https://m.example/a")]
    expected = _by_hand("t", "https://a.example/hook" "MediaUrlhttps://m.example/a" "MediaUrlhttps://m.example/b"
                        "To+15005550006")
    assert twilio_signature("t", "https://a.example/hook", pairs) == expected
    assert not verify_twilio_signature("t", "https://a.example/hook", pairs[:2], expected)


def test_an_identical_repeated_pair_is_signed_once_as_twilio_validators_do() -> None:
    pairs = [("MediaUrl", "https://m.example/a"), ("MediaUrl", "https://m.example/a")]
    once = _by_hand("t", "https://a.example/hook" "MediaUrlhttps://m.example/a")
    assert verify_twilio_signature("t", "https://a.example/hook", pairs, once)


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        pytest.param("54321", DOC_URL, DOC_PARAMS, DOC_SIGNATURE, id="other token"),
        pytest.param(DOC_TOKEN, DOC_URL.replace("foo=1", "foo=2"), DOC_PARAMS, DOC_SIGNATURE, id="query changed"),
        pytest.param(DOC_TOKEN, DOC_URL.replace("https", "http"), DOC_PARAMS, DOC_SIGNATURE, id="scheme changed"),
        pytest.param(DOC_TOKEN, DOC_URL, DOC_PARAMS | {"Digits": "4"}, DOC_SIGNATURE, id="digit changed"),
        pytest.param(DOC_TOKEN, DOC_URL, DOC_PARAMS | {"Extra": ""}, DOC_SIGNATURE, id="parameter added"),
        pytest.param(DOC_TOKEN, DOC_URL, {k: v for k, v in DOC_PARAMS.items() if k != "To"}, DOC_SIGNATURE,
                     id="parameter removed"),
        pytest.param(DOC_TOKEN, DOC_URL, DOC_PARAMS, DOC_SIGNATURE.lower(), id="signature altered"),
        pytest.param(DOC_TOKEN, DOC_URL, DOC_PARAMS, "", id="signature empty"),
        pytest.param(DOC_TOKEN, DOC_URL, DOC_PARAMS, None, id="signature missing"),
        pytest.param(DOC_TOKEN, DOC_URL, DOC_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=\u00e9", id="non-ASCII signature"),
        pytest.param("", DOC_URL, DOC_PARAMS, _by_hand("", DOC_URL), id="empty token"),
    ],
)
def test_tampered_requests_do_not_verify(
    token: str, url: str, params: dict[str, str], signature: str | None
) -> None:
    assert not verify_twilio_signature(token, url, params, signature)


@pytest.mark.parametrize(
    ("signed_url", "seen_url", "verifies"),
    [
        ("https://firebell.example:443/phone/status", "https://firebell.example/phone/status", True),
        ("https://firebell.example/phone/status", "https://firebell.example:443/phone/status", True),
        ("http://firebell.example/phone/status", "http://firebell.example:80/phone/status", True),
        ("https://firebell.example:8443/phone/status", "https://firebell.example/phone/status", False),
        ("https://firebell.example/phone/status", "https://firebell.example:8443/phone/status", False),
    ],
)
def test_default_port_may_or_may_not_be_in_the_signed_url(signed_url: str, seen_url: str, verifies: bool) -> None:
    signature = twilio_signature(AUTH_TOKEN, signed_url, {"MessageStatus": "delivered"})
    assert verify_twilio_signature(AUTH_TOKEN, seen_url, {"MessageStatus": "delivered"}, signature) is verifies


form_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@given(st.dictionaries(form_text, form_text, max_size=6), form_text, form_text)
def test_any_signed_form_verifies_and_any_changed_value_does_not(
    params: dict[str, str], path: str, intruder: str
) -> None:
    url = "https://firebell.example/hook?p=" + path
    signature = twilio_signature(AUTH_TOKEN, url, params)
    assert verify_twilio_signature(AUTH_TOKEN, url, list(params.items()), signature)
    for name, value in params.items():
        if intruder != value:
            assert not verify_twilio_signature(AUTH_TOKEN, url, params | {name: intruder}, signature)


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as endpoint:
        yield endpoint


def test_status_callbacks_from_twilio_verify_and_only_move_forward(receiver: CallbackReceiver) -> None:
    with FakeTwilio() as twilio:
        provider = TwilioProvider(ACCOUNT_SID, AUTH_TOKEN, TWILIO_NUMBER, base_url=twilio.base_url)
        channel = SmsChannel([provider], status_callback_for=lambda m: f"{receiver.base_url}/phone/status?page=7")
        message = Message(idempotency_key="k", kind="page", incident_ref="INC-7", title="Disk full", severity="P2",
                          summary="", recipient="+447700900123")
        delivery = channel.send(message)
        assert delivery.ok and delivery.provider_id
        sid = delivery.provider_id.removeprefix("twilio:")
        for status in ("sent", "delivered", "sent", "failed"):
            assert twilio.send_status_callback(sid, status) == 200

    stored: str | None = "queued"
    for url, pairs, signature in receiver.seen:
        assert url == f"{receiver.base_url}/phone/status?page=7"
        assert verify_twilio_signature(AUTH_TOKEN, url, pairs, signature)
        assert not verify_twilio_signature("another-token", url, pairs, signature)
        fields = dict(pairs)
        assert fields["MessageSid"] == sid
        if receipt_advances(stored, fields["MessageStatus"]):
            stored = fields["MessageStatus"]
    assert stored == "delivered"


def test_an_inbound_reply_verifies_and_parses(receiver: CallbackReceiver) -> None:
    with FakeTwilio() as twilio:
        assert twilio.send_inbound_sms(f"{receiver.base_url}/phone/sms", "+447700900123", " ACK inc-7 ") == 200
    ((url, pairs, signature),) = receiver.seen
    assert verify_twilio_signature(AUTH_TOKEN, url, pairs, signature)
    fields = dict(pairs)
    assert fields["From"] == "+447700900123" and fields["AccountSid"] == ACCOUNT_SID
    assert parse_sms_reply(fields["Body"]) == SmsReply("acknowledge", 7)
