"""Generic outgoing webhooks, signed with the Standard Webhooks scheme (https://www.standardwebhooks.com/).

Request: `POST <message.recipient>` with `Content-Type: application/json` and the headers

    webhook-id:        the page's idempotency key (receivers deduplicate on it)
    webhook-timestamp: integer unix seconds when the request was signed
    webhook-signature: "v1,<base64 HMAC-SHA256 over '{id}.{timestamp}.{body}'>"

The HMAC key is the base64-decoded part of the `whsec_<base64>` secret. Receivers should verify with
`verify_standard_webhook` (or any Standard Webhooks library) and reject timestamps outside a few minutes.

Body (stable; fields are only ever added, never renamed or removed):

    {
      "type": "incident.page" | "incident.update" | "incident.resolved",
      "idempotency_key": "...",
      "incident": {"ref": "INC-42", "title": "...", "severity": "P1", "url": "https://..." | null},
      "summary": "...",
      "links": {"acknowledge": url | null, "resolve": url | null, "incident": url | null},
      "details": {...},
      "sent_at": "2024-05-01T12:00:00Z"
    }
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import httpx

from firebell.notify.channels.base import (
    TRANSPORT_ERRORS,
    Delivery,
    Message,
    failure_delivery,
    http_status_delivery,
    transport_delivery,
)
from firebell.notify.channels.http_post import Poster, PostFailed, needs_httpx, small_body_length

SECRET_PREFIX = "whsec_"
_MAX_RESPONSE_BYTES = 64 * 1024
_BODY_BUDGET_S = 1.0  # reading a small response body; a receiver dribbling it loses its connection instead


def decode_webhook_secret(secret: str) -> bytes:
    """The HMAC key inside a `whsec_<base64>` secret. Raises ValueError for anything else."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def sign_standard_webhook(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one request."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_webhook_secret(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify_standard_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime, tolerance_s: int = 300
) -> bool:
    """True when `body` was signed with `secret` within `tolerance_s` of `now`.

    For receivers of Firebell webhooks. `headers` is matched case-insensitively; any one valid `v1`
    signature in the space-separated list is enough, which lets senders rotate secrets without downtime.
    The timestamp window limits replay; deduplicate on `webhook-id` to stop replays inside it.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    webhook_id = lowered.get("webhook-id")
    timestamp_text = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not webhook_id or not signatures or not timestamp_text or not timestamp_text.isascii():
        return False
    if not timestamp_text.isdigit():
        return False
    timestamp = int(timestamp_text)
    if abs(now.timestamp() - timestamp) > tolerance_s:
        return False
    try:
        expected = sign_standard_webhook(secret, webhook_id, timestamp, body)
    except ValueError:
        return False
    offered = [s for s in signatures.split(" ") if s.startswith("v1,")]
    return any(hmac.compare_digest(expected.encode(), s.encode()) for s in offered)


def webhook_payload(message: Message, sent_at: datetime) -> dict[str, Any]:
    links = message.links
    return {
        "type": f"incident.{message.kind}",
        "idempotency_key": message.idempotency_key,
        "incident": {
            "ref": message.incident_ref,
            "title": message.title,
            "severity": message.severity,
            "url": links.incident,
        },
        "summary": message.summary,
        "links": {"acknowledge": links.acknowledge, "resolve": links.resolve, "incident": links.incident},
        "details": dict(message.details),
        "sent_at": sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode()


@dataclass(frozen=True)
class WebhookSettings:
    secret: str
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    user_agent: str = "Firebell-Webhook/1"

    def __post_init__(self) -> None:
        decode_webhook_secret(self.secret)
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ValueError("webhook timeouts must be positive")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WebhookChannel:
    """POSTs signed JSON to `message.recipient`. Redirects are never followed (see the base module).

    Requests go through the standard library's keep-alive client (http_post.py: a third of httpx's
    CPU per page); URLs that need a proxy, Basic auth from the URL or IDNA go through httpx."""

    name = "webhook"

    def __init__(
        self,
        settings: WebhookSettings,
        clock: Callable[[], datetime] = _utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._transport = transport  # tests hand httpx a transport: then every request goes through httpx
        self._poster = Poster(settings.connect_timeout_s, settings.read_timeout_s, _MAX_RESPONSE_BYTES, _BODY_BUDGET_S)
        self._httpx: httpx.Client | None = None

    def close(self) -> None:
        self._poster.close()
        if self._httpx is not None:
            self._httpx.close()

    def __enter__(self) -> WebhookChannel:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, message: Message) -> Delivery:
        if not message.idempotency_key.isprintable() or not message.idempotency_key.isascii():
            return Delivery.failed("the idempotency key must be printable ASCII to travel in webhook-id")
        now = self._clock()
        timestamp = int(now.timestamp())
        try:
            body = encode_payload(webhook_payload(message, now))
        except (TypeError, ValueError) as exc:
            return Delivery.failed(f"cannot encode webhook payload: {exc}")
        headers = {
            "content-type": "application/json",
            "accept-encoding": "identity",  # the answer's body is read raw, within a size limit
            "user-agent": self.settings.user_agent,
            "webhook-id": message.idempotency_key,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard_webhook(self.settings.secret, message.idempotency_key, timestamp, body),
        }
        if self._transport is not None or needs_httpx(message.recipient):
            return self._send_httpx(message.recipient, body, headers)
        s = self.settings
        try:
            answer = self._poster.post(message.recipient, body, headers)
        except PostFailed as exc:
            return failure_delivery(exc.kind, str(exc), f"webhook URL {message.recipient!r}", s.connect_timeout_s,
                                    s.read_timeout_s)
        return _verdict(answer.status, answer.headers, answer.body)

    def _send_httpx(self, url: str, body: bytes, headers: dict[str, str]) -> Delivery:
        s = self.settings
        if self._httpx is None:
            timeout = httpx.Timeout(connect=s.connect_timeout_s, read=s.read_timeout_s, write=s.read_timeout_s,
                                    pool=s.connect_timeout_s)
            self._httpx = httpx.Client(timeout=timeout, follow_redirects=False, transport=self._transport)
        try:
            with self._httpx.stream("POST", url, content=body, headers=headers) as response:
                # Read a small declared body even when it is not needed: a response closed half-read
                # costs its connection, and a new connection per page was most of the sender's time.
                return _verdict(response.status_code, response.headers, _read_small(response))
        except TRANSPORT_ERRORS as exc:
            return transport_delivery(exc, f"webhook URL {url!r}", s.connect_timeout_s, s.read_timeout_s)


def _verdict(status: int, headers: Mapping[str, str], answer: bytes | None) -> Delivery:
    verdict = http_status_delivery(status, location=headers.get("location"))
    if not verdict.ok:
        return verdict
    return replace(verdict, provider_id=_response_id(headers, answer))


def _read_small(response: httpx.Response) -> bytes | None:
    """The body, when it declares a length within the limit, comes unencoded and arrives within
    `_BODY_BUDGET_S`; else None, and closing the response drops the connection. A body that is
    streamed, large, compressed or slow is never waited for, so a struggling receiver cannot hold
    the sender up for longer than its response headers took."""
    if small_body_length(response.headers, _MAX_RESPONSE_BYTES) is None:
        return None
    started = time.monotonic()
    collected = b""
    try:
        for chunk in response.iter_raw():
            collected += chunk
            if len(collected) > _MAX_RESPONSE_BYTES or time.monotonic() - started > _BODY_BUDGET_S:
                return None
    except (httpx.HTTPError, httpx.StreamError):
        return None
    return collected


def _response_id(headers: Mapping[str, str], body: bytes | None) -> str | None:
    """A receiver's own id for the delivery: a JSON `id` field, else an X-Request-Id header.

    Called only after a 2xx, so a body that is slow, huge or broken must not turn success into failure.
    """
    header_id: str | None = headers.get("x-request-id")
    if body is None or not headers.get("content-type", "").startswith("application/json"):
        return header_id
    try:
        parsed = json.loads(body)
    except ValueError:
        return header_id
    if isinstance(parsed, dict) and isinstance(parsed.get("id"), str | int):
        return str(parsed["id"])
    return header_id
