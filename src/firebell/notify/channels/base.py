"""The contract every notification channel keeps, and the shared rule for what counts as worth retrying.

A channel is handed one `Message` for one recipient and answers with a `Delivery`. It never raises for
delivery problems: the escalation engine needs a verdict it can act on (done, retry with backoff, give up
and move to the next contact method), not an exception it has to interpret per channel.

Classification (the same everywhere so the engine's retry policy is channel-agnostic):

| outcome                                                        | ok    | retryable |
|----------------------------------------------------------------|-------|-----------|
| SMTP message accepted (250)                                    | True  | False     |
| SMTP 4xx reply (greeting, AUTH, MAIL, RCPT or DATA)            | False | True      |
| SMTP 5xx reply (e.g. 550 mailbox unavailable, 535 bad login)   | False | False     |
| connection refused, reset or dropped; DNS failure; timeout     | False | True      |
| TLS certificate rejected; server lacks STARTTLS or AUTH        | False | False     |
| HTTP 2xx                                                       | True  | False     |
| HTTP 408, 425, 429 and every 5xx                               | False | True      |
| HTTP 3xx (redirects are not followed, see below)               | False | False     |
| any other HTTP 4xx (e.g. 400, 401, 404, 410)                   | False | False     |
| message cannot be built (bad address, unserialisable details)  | False | False     |

Redirects are refused because following one would send a signed incident payload to an address the
operator never configured; a moved endpoint is a configuration change, not a transient fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import httpx

RETRYABLE_HTTP_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True)
class Links:
    """Where a recipient can act. Absent links are simply not shown."""

    acknowledge: str | None = None
    resolve: str | None = None
    incident: str | None = None
    # Mail to people who subscribed (the status page): the one-click unsubscribe URL (RFC 8058).
    unsubscribe: str | None = None


@dataclass(frozen=True)
class Rendered:
    """A message's words for one channel, made from a template (messages/): the channel sends them as
    they are, adding only what its transport needs (headers, buttons, the keys of a call). Parts a
    channel does not use are empty."""

    subject: str = ""  # email
    text: str = ""  # email plain text, SMS, the spoken part of a call, Slack mrkdwn, chat cards
    html: str = ""  # email: the HTML body's content (the channel wraps it in a document)
    title: str = ""  # chat cards, status page


@dataclass(frozen=True)
class Message:
    """One notification for one recipient over one channel.

    `idempotency_key` is unique per page and is built by the caller from (incident, escalation level, loop,
    user, contact method); a retry of the same page reuses it so receivers can drop duplicates.
    `kind` is "page", "update" or "resolved". `recipient` is whatever the channel addresses: an email
    address, a webhook URL, a phone number. `html_body`, when given, is trusted pre-rendered HTML
    (render it with autoescaping); otherwise channels that need HTML derive it from `summary`.
    `details` is copied into a read-only mapping and lands in machine-readable payloads as is.
    """

    idempotency_key: str
    kind: str
    incident_ref: str
    title: str
    severity: str
    summary: str
    recipient: str
    links: Links = field(default_factory=Links)
    html_body: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    rendered: Rendered | None = None  # the words from a template; None: the channel's own wording

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("a message needs an idempotency key so retries can be deduplicated")
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))


@dataclass(frozen=True)
class Delivery:
    """The verdict on one send: delivered, worth retrying later, or permanently failed.

    `detail` is for people reading the incident timeline ("SMTP 550 mailbox unavailable", "HTTP 503",
    "timeout after 5 s"). `provider_id` is what the far side called the message (Message-ID, response id).
    """

    ok: bool
    retryable: bool
    detail: str
    provider_id: str | None = None

    def __post_init__(self) -> None:
        if self.ok and self.retryable:
            raise ValueError("a successful delivery cannot also be retryable")

    @classmethod
    def delivered(cls, detail: str, provider_id: str | None = None) -> Delivery:
        return cls(ok=True, retryable=False, detail=detail, provider_id=provider_id)

    @classmethod
    def retry(cls, detail: str) -> Delivery:
        return cls(ok=False, retryable=True, detail=detail)

    @classmethod
    def failed(cls, detail: str) -> Delivery:
        return cls(ok=False, retryable=False, detail=detail)


@runtime_checkable
class Channel(Protocol):
    """A way of reaching someone. `send` is synchronous: the engine runs it on a worker thread."""

    name: str

    def send(self, message: Message) -> Delivery: ...


def http_status_delivery(status: int, provider_id: str | None = None, location: str | None = None) -> Delivery:
    """Classify an HTTP response status by the table in this module's docstring."""
    try:
        detail = f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        detail = f"HTTP {status}"
    if 200 <= status < 300:
        return Delivery.delivered(detail, provider_id)
    if 300 <= status < 400:
        target = f" to {location}" if location else ""
        return Delivery.failed(f"{detail}: redirect{target} not followed")
    if status in RETRYABLE_HTTP_STATUSES or status >= 500:
        return Delivery.retry(detail)
    return Delivery.failed(detail)


# What an HTTP channel's request can fail with before a status arrives (classified below); any other
# exception is a bug, left to the sender's "channel error" net.
TRANSPORT_ERRORS = (httpx.TransportError, httpx.InvalidURL, httpx.StreamError)


def transport_delivery(exc: Exception, target: str, connect_timeout_s: float, read_timeout_s: float) -> Delivery:
    """Classify an httpx request that got no status by the table above; `target` names the URL in
    the detail ("webhook URL 'https://...'")."""
    if isinstance(exc, httpx.ConnectTimeout):
        kind = "connect_timeout"
    elif isinstance(exc, httpx.TimeoutException):
        kind = "timeout"
    elif isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        kind = "unusable"
    elif isinstance(exc, httpx.ConnectError):
        kind = "connect"
    elif isinstance(exc, httpx.TransportError):
        return failure_delivery("connection", f"{type(exc).__name__}: {exc}", target, connect_timeout_s,
                                read_timeout_s)
    else:
        kind = "stream"
    return failure_delivery(kind, str(exc), target, connect_timeout_s, read_timeout_s)


def failure_delivery(kind: str, detail: str, target: str, connect_timeout_s: float, read_timeout_s: float) -> Delivery:
    """A request that got no status, by what went wrong: "connect_timeout", "timeout", "unusable"
    (the URL; permanent), "connect", "connection" (dropped after connecting) or "stream"."""
    if kind == "connect_timeout":
        return Delivery.retry(f"connect timeout after {seconds_text(connect_timeout_s)}")
    if kind == "timeout":
        return Delivery.retry(f"timeout after {seconds_text(read_timeout_s)}")
    if kind == "unusable":
        return Delivery.failed(f"{target} is unusable: {detail}")
    if kind == "connect":
        return Delivery.retry(f"cannot connect: {detail}")
    if kind == "connection":
        return Delivery.retry(f"connection failed: {detail}")
    return Delivery.retry(f"response stream failed: {detail}")


def seconds_text(seconds: float) -> str:
    """'5 s', '0.5 s': how timeouts read in a delivery detail."""
    return f"{seconds:g} s"
