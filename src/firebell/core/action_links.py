"""Signed acknowledge/resolve links: tokens that let a person act on an incident from an email.

A token binds (action, incident id, user id, nonce) to an expiry and is signed with HMAC-SHA256 under a
server secret. It is URL-safe base64 without padding: `<payload>.<signature>`.

What this module does not do: enforce single use. Verification here is pure, so a token stays valid until
it expires; the store records each nonce when its link is used and refuses a nonce it has seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Reason = Literal["malformed", "bad signature", "expired"]

_VERSION = 1
# Domain separation: a signature made for another purpose with the same secret never verifies here.
_CONTEXT = b"firebell.action-link.v1\x00"
_MIN_SECRET_BYTES = 16
_MAX_TOKEN_CHARS = 2048


class InvalidToken(ValueError):
    """The token cannot be honoured. `reason` is "malformed", "bad signature" or "expired"."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(f"action link is invalid: {reason}")
        self.reason: Reason = reason


@dataclass(frozen=True)
class ActionClaim:
    """What a verified token says: who may do what to which incident, until when."""

    action: str
    incident_id: str
    user_id: str
    nonce: str
    expires_at: datetime


def make_token(
    secret: bytes, action: str, incident_id: str, user_id: str, nonce: str, expires_at: datetime
) -> str:
    """Sign a claim. `expires_at` must be timezone-aware; it is kept to whole seconds, rounded down."""
    _check_secret(secret)
    for label, value in (("action", action), ("incident_id", incident_id), ("user_id", user_id), ("nonce", nonce)):
        if not value:
            raise ValueError(f"{label} must not be empty")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    expires_unix = math.floor(expires_at.timestamp())
    payload = json.dumps(
        [_VERSION, action, incident_id, user_id, nonce, expires_unix], separators=(",", ":"), ensure_ascii=False
    ).encode()
    return f"{_encode(payload)}.{_encode(_sign(secret, payload))}"


def read_token(secret: bytes, token: str, now: datetime) -> ActionClaim:
    """The claim in `token` if it is well formed, signed with `secret` and unexpired at `now`.

    Raises InvalidToken. A token is expired from its `expires_at` second onwards. The signature is checked
    before the expiry so a forged token never learns anything about timing.
    """
    _check_secret(secret)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidToken("malformed")
    payload_text, signature_text = token.split(".")
    payload = _decode(payload_text)
    signature = _decode(signature_text)
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        raise InvalidToken("bad signature")
    claim = _parse_claim(payload)
    if now >= claim.expires_at:
        raise InvalidToken("expired")
    return claim


def _check_secret(secret: bytes) -> None:
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"the action link secret must be at least {_MIN_SECRET_BYTES} bytes")


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    # The decoder ignores stray characters and the unused low bits of the last one; demanding the one
    # canonical spelling makes every edited character a rejected token instead of a silent equivalent.
    if not text or not text.isascii():
        raise InvalidToken("malformed")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed") from None
    if _encode(raw) != text:
        raise InvalidToken("malformed")
    return raw


def _parse_claim(payload: bytes) -> ActionClaim:
    try:
        fields = json.loads(payload)
    except ValueError:
        raise InvalidToken("malformed") from None
    if not isinstance(fields, list) or len(fields) != 6 or fields[0] != _VERSION:
        raise InvalidToken("malformed")
    _, action, incident_id, user_id, nonce, expires_unix = fields
    texts = (action, incident_id, user_id, nonce)
    if not all(isinstance(t, str) and t for t in texts) or type(expires_unix) is not int:
        raise InvalidToken("malformed")
    try:
        expires_at = datetime.fromtimestamp(expires_unix, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidToken("malformed") from None
    return ActionClaim(
        action=str(action), incident_id=str(incident_id), user_id=str(user_id), nonce=str(nonce), expires_at=expires_at
    )
