"""Slack request verification: only requests signed with our secret within five minutes get through."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from firebell.slack.signing import SlackSignatureError, sign_slack_request, verify_slack_request

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SENT_AT = 1_700_000_000
BODY = b"token=legacy&team_id=T1&command=%2Fincident&text=ack+INC-12&response_url=https%3A%2F%2Fhooks.slack.com%2Fx"


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What Slack sends, computed from §4.2 directly rather than through the code under test."""
    base_string = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base_string, hashlib.sha256).hexdigest()


def rejection(timestamp: str | None, signature: str | None, body: bytes = BODY, now: float = SENT_AT) -> str:
    with pytest.raises(SlackSignatureError) as caught:
        verify_slack_request(SECRET, timestamp, signature, body, now)
    return caught.value.reason


def test_a_request_signed_by_slack_is_accepted() -> None:
    signature = slack_signature(SECRET, str(SENT_AT), BODY)
    verify_slack_request(SECRET, str(SENT_AT), signature, BODY, now=SENT_AT + 2.5)


def test_sign_slack_request_produces_what_slack_sends() -> None:
    assert sign_slack_request(SECRET, str(SENT_AT), BODY) == slack_signature(SECRET, str(SENT_AT), BODY)


def test_a_body_changed_in_transit_is_rejected() -> None:
    signature = slack_signature(SECRET, str(SENT_AT), BODY)
    tampered = BODY.replace(b"ack+INC-12", b"resolve+INC-12")
    assert rejection(str(SENT_AT), signature, body=tampered) == "signature does not match"


def test_a_request_signed_with_another_secret_is_rejected() -> None:
    signature = slack_signature("someone-elses-secret", str(SENT_AT), BODY)
    assert rejection(str(SENT_AT), signature) == "signature does not match"


def test_the_signature_covers_the_timestamp() -> None:
    signature = slack_signature(SECRET, str(SENT_AT), BODY)
    assert rejection(str(SENT_AT + 60), signature, now=SENT_AT + 60) == "signature does not match"


def test_a_request_older_than_five_minutes_is_rejected_with_its_age() -> None:
    signature = slack_signature(SECRET, str(SENT_AT), BODY)
    reason = rejection(str(SENT_AT), signature, now=SENT_AT + 412)
    assert reason == "request timestamp is 412 s old; Slack requests are accepted for 300 s"


def test_a_request_from_more_than_five_minutes_ahead_is_rejected_and_blames_the_clock() -> None:
    signature = slack_signature(SECRET, str(SENT_AT), BODY)
    reason = rejection(str(SENT_AT), signature, now=SENT_AT - 301)
    assert "301 s in the future" in reason
    assert "clock" in reason


@pytest.mark.parametrize("offset", [-300, 300])
def test_exactly_five_minutes_either_way_is_still_accepted(offset: int) -> None:
    signature = slack_signature(SECRET, str(SENT_AT), BODY)
    verify_slack_request(SECRET, str(SENT_AT), signature, BODY, now=SENT_AT + offset)


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_signature_header_is_named(missing: str | None) -> None:
    assert rejection(str(SENT_AT), missing) == "missing X-Slack-Signature header"


@pytest.mark.parametrize("missing", [None, ""])
def test_a_missing_timestamp_header_is_named(missing: str | None) -> None:
    signature = slack_signature(SECRET, str(SENT_AT), BODY)
    assert rejection(missing, signature) == "missing X-Slack-Request-Timestamp header"


@pytest.mark.parametrize(
    "timestamp",
    ["yesterday", "1.7e9", "-1700000000", " 1700000000", "\u0661\u0667\u0660\u0660", "9" * 5000],
)
def test_a_timestamp_that_is_not_unix_seconds_is_rejected_not_crashed_on(timestamp: str) -> None:
    signature = slack_signature(SECRET, timestamp, BODY)
    assert "is not a Unix time in seconds" in rejection(timestamp, signature)


@pytest.mark.parametrize("signature", ["v1=abc", "a2114d57b48eac39", "v0=caf\u00e9\ud800"])
def test_a_malformed_signature_is_rejected_not_crashed_on(signature: str) -> None:
    assert rejection(str(SENT_AT), signature)


def test_an_unconfigured_secret_refuses_everything_loudly() -> None:
    signature = slack_signature("", str(SENT_AT), BODY)
    with pytest.raises(ValueError, match="signing secret is empty"):
        verify_slack_request("", str(SENT_AT), signature, BODY, now=SENT_AT)
