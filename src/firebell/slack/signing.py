"""Slack request signing (v0): every request Slack sends us carries an HMAC of its raw body.

    X-Slack-Request-Timestamp: 1700000000
    X-Slack-Signature:         v0=<hex HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")>

Verify against the exact bytes received, before any form or JSON parsing. Requests whose timestamp is
more than `MAX_REQUEST_AGE_S` away from our clock, in either direction, are refused so a captured request
cannot be replayed later; a request from the future means one of the two clocks is wrong, and saying so in
the reason saves an operator from hunting for a wrong secret.
"""

from __future__ import annotations

import hashlib
import hmac

from firebell.core.constant_time import constant_time_equals

SIGNATURE_VERSION = "v0"
MAX_REQUEST_AGE_S = 300
# Unix seconds stay at 10 digits until the year 2286; a longer "timestamp" is garbage, and refusing it
# early keeps a huge digit string from reaching int() and float arithmetic.
_MAX_TIMESTAMP_DIGITS = 12


class SlackSignatureError(Exception):
    """A request that must not be treated as coming from Slack. `reason` is safe to log and to return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign_slack_request(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The `X-Slack-Signature` value Slack would send for `body` at `timestamp`."""
    base_string = f"{SIGNATURE_VERSION}:{timestamp}:".encode() + body
    digest = hmac.new(signing_secret.encode("utf-8"), base_string, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def _parse_timestamp(timestamp: str) -> int:
    # isdigit() alone accepts non-ASCII digits such as "²" or Arabic-Indic numerals, which int() would
    # partly accept; Slack only ever sends ASCII digits.
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise SlackSignatureError(f"X-Slack-Request-Timestamp {timestamp[:40]!r} is not a Unix time in seconds")
    return int(timestamp)


def verify_slack_request(
    signing_secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> None:
    """Return if Slack signed `body` within `MAX_REQUEST_AGE_S` of `now` (Unix seconds); else raise.

    Raises `SlackSignatureError` with a reason for people. Raises ValueError when `signing_secret` is empty:
    an empty HMAC key is a configuration fault on our side, and accepting requests signed with it would let
    anyone in.
    """
    if not signing_secret:
        raise ValueError("the Slack signing secret is empty; set it from the app's Basic Information page")
    if not timestamp:
        raise SlackSignatureError("missing X-Slack-Request-Timestamp header")
    if not signature:
        raise SlackSignatureError("missing X-Slack-Signature header")
    sent_at = _parse_timestamp(timestamp)
    age = now - sent_at
    if age > MAX_REQUEST_AGE_S:
        raise SlackSignatureError(
            f"request timestamp is {int(age)} s old; Slack requests are accepted for {MAX_REQUEST_AGE_S} s"
        )
    if -age > MAX_REQUEST_AGE_S:
        raise SlackSignatureError(
            f"request timestamp is {int(-age)} s in the future; check this server's clock "
            f"(Slack requests are accepted within {MAX_REQUEST_AGE_S} s)"
        )
    if not signature.startswith(f"{SIGNATURE_VERSION}="):
        raise SlackSignatureError(f"X-Slack-Signature is not a {SIGNATURE_VERSION}= signature")
    expected = sign_slack_request(signing_secret, timestamp, body)
    if not constant_time_equals(expected, signature):  # a hostile header may hold any character
        raise SlackSignatureError("signature does not match")
