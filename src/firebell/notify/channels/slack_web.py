"""Sending to Slack: the Web API (chat.postMessage, chat.update), incoming webhooks and response_urls.

Nothing here raises for a delivery problem. Every call answers with a `SlackResult` that says whether the
message landed and, if not, whether trying again later can help, so the caller can schedule a retry or
give up and record why.

Web API (`POST {base_url}/{method}`, JSON, `Authorization: Bearer <token>`): Slack answers HTTP 200 with
`{"ok": false, "error": "..."}` for most failures, and HTTP 429 with `Retry-After: <seconds>` when rate
limited. Retryable: 429, any 5xx, connection failures and timeouts, and the errors in
`RETRYABLE_API_ERRORS`. Everything else (invalid_auth, channel_not_found, not_in_channel, is_archived,
msg_too_long, invalid_blocks, message_not_found, ...) needs a person to fix something, so it is permanent.

Incoming webhooks and response_urls answer with a status and a short plain-text body: 200 `ok` on success,
else e.g. 404 `channel_not_found`, 410 `channel_is_archived`. 429 and 5xx are retryable; every other
status is permanent.

Redirects are never followed: the request carries a bot token or is addressed to a secret webhook URL, and
a redirect would hand either to an address nobody configured. Webhook URLs are credentials, so they never
appear in a result's `error`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import httpx

from firebell.notify.channels.base import Delivery, seconds_text

SLACK_API_BASE_URL = "https://slack.com/api"
POST_MESSAGE = "chat.postMessage"
UPDATE_MESSAGE = "chat.update"
INCOMING_WEBHOOK = "incoming webhook"
RESPONSE_URL = "response_url"

RETRYABLE_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_JSON_CONTENT_TYPE = "application/json; charset=utf-8"
_MAX_ERROR_TEXT = 200


@dataclass(frozen=True)
class SlackResult:
    """The outcome of one call. `operation` names the call ("chat.postMessage", "incoming webhook", ...).

    On success `ts` and `channel` identify the message (Web API only; keep `ts` to update it later).
    On failure `error` is Slack's error code when it gave one ("channel_not_found"), else a description
    ("HTTP 503 Service Unavailable", "timeout after 5 s"). `retry_after` is Slack's requested wait in
    seconds, when it sent one.
    """

    operation: str
    ok: bool
    ts: str | None = None
    channel: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    status_code: int | None = None

    def __post_init__(self) -> None:
        if self.ok and (self.retryable or self.error is not None):
            raise ValueError("a successful Slack call has no error and nothing to retry")


def delivery_of(result: SlackResult) -> Delivery:
    """The notification layer's verdict for a Slack call, e.g. "Slack chat.postMessage: channel_not_found"."""
    if result.ok:
        return Delivery.delivered(f"Slack {result.operation}: ok", provider_id=result.ts)
    detail = f"Slack {result.operation}: {result.error}"
    if result.retry_after is not None:
        detail += f" (retry after {seconds_text(result.retry_after)})"
    return Delivery.retry(detail) if result.retryable else Delivery.failed(detail)


def _retry_after(response: httpx.Response) -> float | None:
    """Slack sends whole seconds; an HTTP-date or garbage is ignored rather than guessed at."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < 86_400 else None


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _transport_failure(operation: str, exc: httpx.HTTPError | httpx.InvalidURL, timeout: float) -> SlackResult:
    if isinstance(exc, httpx.TimeoutException):
        return SlackResult(operation, ok=False, error=f"timeout after {seconds_text(timeout)}", retryable=True)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return SlackResult(operation, ok=False, error=f"unusable URL: {type(exc).__name__}")
    if isinstance(exc, httpx.ConnectError):
        return SlackResult(operation, ok=False, error=f"cannot connect: {exc}", retryable=True)
    return SlackResult(operation, ok=False, error=f"connection failed: {type(exc).__name__}: {exc}", retryable=True)


def _encode(body: Mapping[str, Any]) -> bytes:
    # allow_nan=False: NaN is not JSON and Slack would refuse the whole message.
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def _unencodable(operation: str, exc: Exception) -> SlackResult:
    return SlackResult(operation, ok=False, error=f"cannot encode message as JSON: {exc}")


def _redirect(operation: str, response: httpx.Response) -> SlackResult:
    location = response.headers.get("location")
    target = f" to {location}" if location and operation in (POST_MESSAGE, UPDATE_MESSAGE) else ""
    error = f"{_status_text(response.status_code)}: redirect{target} not followed"
    return SlackResult(operation, ok=False, error=error, status_code=response.status_code)


def _api_error_code(response: httpx.Response) -> str | None:
    try:
        parsed = response.json()
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return error if isinstance(error, str) and error else None


def _api_result(operation: str, response: httpx.Response) -> SlackResult:
    status = response.status_code
    if 300 <= status < 400:
        return _redirect(operation, response)
    if status == 429 or status >= 500:
        error = _api_error_code(response) or _status_text(status)
        return SlackResult(
            operation, ok=False, error=error, retryable=True, retry_after=_retry_after(response), status_code=status
        )
    if status != 200:
        return SlackResult(
            operation, ok=False, error=_api_error_code(response) or _status_text(status), status_code=status
        )
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("ok"), bool):
        # Not Slack (a proxy's page, say). Whether the message was posted is unknown; retrying could post it
        # twice, so stop and let a person look.
        return SlackResult(operation, ok=False, error="response is not a Slack API answer", status_code=status)
    if parsed["ok"]:
        ts, channel = parsed.get("ts"), parsed.get("channel")
        return SlackResult(
            operation,
            ok=True,
            ts=ts if isinstance(ts, str) else None,
            channel=channel if isinstance(channel, str) else None,
            status_code=status,
        )
    code = parsed.get("error")
    if not isinstance(code, str) or not code:
        code = "unknown_error"
    return SlackResult(
        operation,
        ok=False,
        error=code,
        retryable=code in RETRYABLE_API_ERRORS,
        retry_after=_retry_after(response),
        status_code=status,
    )


class SlackWebClient:
    """A bot token's view of the Slack Web API. One instance can be shared across threads (httpx.Client is)."""

    def __init__(
        self,
        token: str,
        base_url: str = SLACK_API_BASE_URL,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise ValueError("a Slack token is a non-empty printable ASCII string such as xoxb-...")
        if timeout <= 0:
            raise ValueError("the Slack timeout must be positive")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._headers = {"authorization": f"Bearer {token}", "content-type": _JSON_CONTENT_TYPE}
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SlackWebClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def post_message(self, channel: str, message: Mapping[str, Any]) -> SlackResult:
        """Post `message` ({"text": ..., "blocks": [...]}) to `channel` (an id such as C0123ABCD)."""
        return self._call(POST_MESSAGE, {**message, "channel": channel})

    def update_message(self, channel: str, ts: str, message: Mapping[str, Any]) -> SlackResult:
        """Replace the text and blocks of the message `ts` in `channel` (as returned by `post_message`)."""
        return self._call(UPDATE_MESSAGE, {**message, "channel": channel, "ts": ts})

    def user_email(self, user: str, timeout: float | None = None) -> str | None:
        """The email on a member's Slack profile (bot scope users:read.email), or None when Slack
        will not say: unknown member, missing scope, Slack unreachable."""
        try:
            response = self._client.post(f"{self.base_url}/users.info", data={"user": user},
                                         headers={"authorization": self._headers["authorization"]},
                                         timeout=timeout if timeout is not None else self.timeout)
            body = response.json()
        except (httpx.HTTPError, httpx.InvalidURL, ValueError):
            return None
        if not isinstance(body, dict) or not body.get("ok"):
            return None
        email = ((body.get("user") or {}).get("profile") or {}).get("email")
        return str(email).lower() if email else None

    def _call(self, method: str, body: Mapping[str, Any]) -> SlackResult:
        try:
            content = _encode(body)
        except (TypeError, ValueError) as exc:
            return _unencodable(method, exc)
        try:
            response = self._client.post(f"{self.base_url}/{method}", content=content, headers=self._headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _transport_failure(method, exc, self.timeout)
        return _api_result(method, response)


def _plain_error(response: httpx.Response) -> str:
    """A webhook's short error body ("channel_not_found"), or the status when the body is empty."""
    text = response.text.strip()
    if not text:
        return _status_text(response.status_code)
    return text if len(text) <= _MAX_ERROR_TEXT else text[: _MAX_ERROR_TEXT - 1] + "…"


def _plain_result(operation: str, response: httpx.Response) -> SlackResult:
    status = response.status_code
    if status == 200 and response.text.strip() == "ok":
        return SlackResult(operation, ok=True, status_code=status)
    if 300 <= status < 400:
        return _redirect(operation, response)
    if status == 429 or status >= 500:
        return SlackResult(
            operation,
            ok=False,
            error=_plain_error(response),
            retryable=True,
            retry_after=_retry_after(response),
            status_code=status,
        )
    if 200 <= status < 300:
        # Slack answers success with exactly "ok"; anything else came from something in between, and the
        # message may or may not have arrived. Retrying could post it twice, so report and stop.
        return SlackResult(
            operation, ok=False, error=f"unexpected answer: {_plain_error(response)}", status_code=status
        )
    return SlackResult(operation, ok=False, error=_plain_error(response), status_code=status)


def _post_plain(client: httpx.Client, operation: str, url: str, body: Mapping[str, Any], timeout: float) -> SlackResult:
    try:
        content = _encode(body)
    except (TypeError, ValueError) as exc:
        return _unencodable(operation, exc)
    try:
        response = client.post(url, content=content, headers={"content-type": _JSON_CONTENT_TYPE})
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return _transport_failure(operation, exc, timeout)
    return _plain_result(operation, response)


def _require_http_url(url: str, what: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"a Slack {what} must be an http(s) URL")


class IncomingWebhookClient:
    """Posts to one incoming webhook (`https://hooks.slack.com/services/T…/B…/…`). Post-only: no updates."""

    def __init__(self, url: str, timeout: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        _require_http_url(url, "incoming webhook URL")
        if timeout <= 0:
            raise ValueError("the Slack timeout must be positive")
        self._url = url
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport)

    def __repr__(self) -> str:
        # The URL is the credential; keep it out of logs and tracebacks.
        return f"IncomingWebhookClient(timeout={self.timeout})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> IncomingWebhookClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def post(self, message: Mapping[str, Any]) -> SlackResult:
        """Post `message` ({"text": ..., "blocks": [...]}); send `text` even with blocks, as a fallback."""
        return _post_plain(self._client, INCOMING_WEBHOOK, self._url, message, self.timeout)


def post_to_response_url(
    url: str, body: Mapping[str, Any], timeout: float = 5.0, transport: httpx.BaseTransport | None = None
) -> SlackResult:
    """A delayed reply to a slash command or button click. Slack accepts at most 5 within 30 minutes.

    `body` is e.g. `text_reply(...)`, or `{"replace_original": true, **incident_message(card)}` to redraw
    the message a button was clicked on.
    """
    _require_http_url(url, "response_url")
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
        return _post_plain(client, RESPONSE_URL, url, body, timeout)
