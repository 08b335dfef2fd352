"""SMS and voice pages through phone providers, failing over from one provider to the next.

`SmsChannel` and `VoiceChannel` address `message.recipient`, an E.164 number ("+" then 8 to 15 digits, the
first not 0). They try each provider in order and stop at the first that accepts. A provider that is down,
rate limited, misconfigured or refuses our credentials is skipped for the next one; a provider that says the
number itself is wrong (`RecipientRejected`: invalid, not a mobile, unsubscribed) ends the attempt, since
another provider would only fail the same way or, worse, text someone who opted out. The verdict's detail
names every provider tried, e.g. "twilio: HTTP 503 Service Unavailable; backup-sms: accepted". When every
provider failed, the verdict is retryable if any of them was (the engine's backoff gives them time).

"Accepted" means the provider took the message, not that the handset got it: delivery receipts arrive later
as status callbacks to the URL from `status_callback_for` (see `firebell.core.phone_replies`).

Twilio's REST API takes no idempotency key, so a timeout after Twilio received a request followed by a
failover or retry can page someone twice. For paging, a duplicate is the lesser harm.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from firebell.notify.channels.base import (
    TRANSPORT_ERRORS,
    Delivery,
    Message,
    http_status_delivery,
    transport_delivery,
)
from firebell.notify.channels.webhook import decode_webhook_secret, sign_standard_webhook

SMS_MAX_CHARS = 1600  # Twilio's limit on Body; longer texts are cut by the channel
TWILIO_MAX_TWIML_CHARS = 4000  # Twilio's limit on the inline Twiml parameter
_GSM7_SEGMENT = 160
_UCS2_SEGMENT = 70
_MAX_RESPONSE_BYTES = 64 * 1024
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")

# Twilio error codes that are about the destination number, not about the provider or our account.
# 21612 ("not reachable from this From number") is deliberately absent: another sender may reach it.
RECIPIENT_ERROR_CODES = frozenset({
    21211,  # invalid 'To' phone number
    21217,  # phone number does not appear to be valid (calls)
    21610,  # recipient replied STOP: unsubscribed from this sender
    21614,  # 'To' is not a mobile number (e.g. a landline)
})


@dataclass(frozen=True)
class RecipientRejected(Delivery):
    """A permanent failure caused by the number itself. Channels do not fail over after one."""


class PhoneProvider(Protocol):
    """Something that sends an SMS or places a call. Like channels, providers never raise for delivery
    problems; they return RecipientRejected when the fault is the number. `provider_id` is "<name>:<id>"."""

    name: str

    def send_sms(self, to: str, body: str, idempotency_key: str, status_callback: str | None) -> Delivery: ...

    def place_call(self, to: str, twiml: str, idempotency_key: str, status_callback: str | None) -> Delivery: ...


def e164_problem(number: str) -> str | None:
    """Why `number` cannot be dialled as given, or None when it is a plausible E.164 number."""
    if _E164.fullmatch(number):
        return None
    return f"{number!r} is not an E.164 phone number ('+', country code and number, 8 to 15 digits in all)"


class TwilioProvider:
    """Twilio's Messages and Calls REST resources (API version 2010-04-01), HTTP basic auth, form bodies.

    `messaging_service_sid`, when given, sends SMS through that Messaging Service instead of `from_number`;
    calls always come from `from_number`.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = "https://api.twilio.com",
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        *,
        name: str = "twilio",
        messaging_service_sid: str | None = None,
    ) -> None:
        if not account_sid.isalnum() or not account_sid.isascii():
            raise ValueError("a Twilio account SID is letters and digits, e.g. AC followed by 32 hex digits")
        if not auth_token:
            raise ValueError("a Twilio auth token is required")
        if e164_problem(from_number):
            raise ValueError(f"Twilio from_number: {e164_problem(from_number)}")
        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        self.name = name
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self._timeout = timeout
        self._account_url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{quote(account_sid, safe='')}"
        self._client = httpx.Client(
            auth=(account_sid, auth_token),
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
            headers={"accept": "application/json", "user-agent": "Firebell-Phone/1"},
        )

    def close(self) -> None:
        self._client.close()

    def send_sms(self, to: str, body: str, idempotency_key: str, status_callback: str | None) -> Delivery:
        fields = {"To": to, "Body": body}
        if self.messaging_service_sid:
            fields["MessagingServiceSid"] = self.messaging_service_sid
        else:
            fields["From"] = self.from_number
        return self._create("Messages.json", fields, status_callback)

    def place_call(self, to: str, twiml: str, idempotency_key: str, status_callback: str | None) -> Delivery:
        if len(twiml) > TWILIO_MAX_TWIML_CHARS:
            return Delivery.failed(f"TwiML is {len(twiml)} characters; Twilio takes at most {TWILIO_MAX_TWIML_CHARS}")
        return self._create("Calls.json", {"To": to, "From": self.from_number, "Twiml": twiml}, status_callback)

    def _create(self, resource: str, fields: dict[str, str], status_callback: str | None) -> Delivery:
        if status_callback:
            fields["StatusCallback"] = status_callback
        reply = _post(self._client, f"{self._account_url}/{resource}", self._timeout, data=fields)
        if isinstance(reply, Delivery):
            return reply
        parsed = _json_object(reply.body)
        if 200 <= reply.status < 300:
            sid, state = parsed.get("sid"), parsed.get("status")
            detail = f"accepted ({state})" if isinstance(state, str) else "accepted"
            return Delivery.delivered(detail, f"{self.name}:{sid}" if isinstance(sid, str) and sid else None)
        verdict = http_status_delivery(reply.status, location=reply.location)
        code, text = parsed.get("code"), parsed.get("message")
        if not isinstance(code, int):
            return verdict
        detail = f"{verdict.detail}: Twilio error {code}"
        if isinstance(text, str) and text:
            detail += f" {text[:200]}"
        if reply.status == 401:
            detail += " (check the account SID and auth token)"
        if code in RECIPIENT_ERROR_CODES:
            return RecipientRejected(ok=False, retryable=False, detail=detail)
        return Delivery(ok=False, retryable=verdict.retryable, detail=detail)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class GenericHttpProvider:
    """Any SMS/voice gateway behind a small HTTP contract, signed like Firebell's webhooks.

    Request: `POST url` with a JSON body `{"kind": "sms" | "voice", "to": "+...", "body": "..." (sms) or
    "twiml": "..." (voice), "idempotency_key": "...", "status_callback": url | null}` and the Standard Webhooks
    headers webhook-id (the idempotency key), webhook-timestamp and webhook-signature (see
    `firebell.notify.channels.webhook`). Answer: any 2xx with `{"id": "..."}`; other statuses are classified
    like every HTTP channel (see `firebell.notify.channels.base`).
    """

    def __init__(
        self,
        url: str,
        secret: str,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        *,
        name: str = "generic",
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        decode_webhook_secret(secret)
        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        self.name = name
        self.url = url
        self._secret = secret
        self._timeout = timeout
        self._clock = clock
        self._client = httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport, headers={"user-agent": "Firebell-Phone/1"}
        )

    def close(self) -> None:
        self._client.close()

    def send_sms(self, to: str, body: str, idempotency_key: str, status_callback: str | None) -> Delivery:
        return self._post({"kind": "sms", "to": to, "body": body}, idempotency_key, status_callback)

    def place_call(self, to: str, twiml: str, idempotency_key: str, status_callback: str | None) -> Delivery:
        return self._post({"kind": "voice", "to": to, "twiml": twiml}, idempotency_key, status_callback)

    def _post(self, payload: dict[str, Any], idempotency_key: str, status_callback: str | None) -> Delivery:
        if not idempotency_key.isascii() or not idempotency_key.isprintable():
            return Delivery.failed("the idempotency key must be printable ASCII to travel in webhook-id")
        payload |= {"idempotency_key": idempotency_key, "status_callback": status_callback}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self._clock().timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": idempotency_key,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard_webhook(self._secret, idempotency_key, timestamp, body),
        }
        reply = _post(self._client, self.url, self._timeout, content=body, headers=headers)
        if isinstance(reply, Delivery):
            return reply
        verdict = http_status_delivery(reply.status, location=reply.location)
        if not verdict.ok:
            return verdict
        response_id = _json_object(reply.body).get("id")
        if isinstance(response_id, str | int) and str(response_id):
            return Delivery.delivered("accepted", f"{self.name}:{response_id}")
        return Delivery.delivered("accepted (no id in the response)")


@dataclass(frozen=True)
class _Reply:
    status: int
    location: str | None
    body: bytes


def _post(client: httpx.Client, url: str, timeout: float, **request: Any) -> _Reply | Delivery:
    """POST and return the status and up to 64 KiB of body, or the Delivery for a transport failure.

    Once the status line is in, a body that is slow, huge or broken must not turn an accepted page into a
    failure (a retry would page twice), so body errors only shorten the body.
    """
    try:
        with client.stream("POST", url, **request) as response:
            collected = b""
            try:
                for chunk in response.iter_bytes():
                    collected += chunk
                    if len(collected) > _MAX_RESPONSE_BYTES:
                        break
            except (httpx.HTTPError, httpx.StreamError):
                pass
            return _Reply(response.status_code, response.headers.get("location"), collected[:_MAX_RESPONSE_BYTES])
    except TRANSPORT_ERRORS as exc:
        return transport_delivery(exc, f"provider URL {url!r}", timeout, timeout)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: a hostile answer nested thousands deep
        return {}
    return parsed if isinstance(parsed, dict) else {}


# GSM 03.38: characters that cost one septet, and those that cost two (escape + character).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
# Punctuation that editors and alert sources love and GSM-7 lacks; one of these would force the whole SMS
# into UCS-2, which holds 70 characters instead of 160.
_GSM7_LOOKALIKES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2026": "...", "\u2022": "-", "\u00a0": " ",
})


def _gsm7_cost(char: str) -> int | None:
    """Septets `char` takes in GSM-7, or None when GSM-7 cannot carry it."""
    if char in _GSM7_BASIC:
        return 1
    return 2 if char in _GSM7_EXTENDED else None


def _septets(char: str) -> int:
    return _gsm7_cost(char) or 1


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _gsm7_friendly(text: str) -> str:
    """`text` with look-alike punctuation replaced and accents dropped where GSM-7 lacks the accented letter."""
    out = []
    for char in " ".join(text.translate(_GSM7_LOOKALIKES).split()):
        if _gsm7_cost(char) is None:
            bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            if bare and all(_gsm7_cost(c) is not None for c in bare):
                char = bare
        out.append(char)
    return "".join(out)


def _fit(text: str, budget: int, cost: Callable[[str], int]) -> str:
    """`text`, or its longest prefix plus '...' that costs at most `budget`."""
    if sum(map(cost, text)) <= budget:
        return text
    spent, end = 3, 0
    while end < len(text) and spent + cost(text[end]) <= budget:
        spent += cost(text[end])
        end += 1
    return text[:end].rstrip() + "..."


def gsm7_friendly(text: str) -> str:
    """`text` on one line, with look-alike punctuation and accents GSM-7 lacks replaced (see `_gsm7_friendly`)."""
    return _gsm7_friendly(text)


def fits_one_sms(text: str) -> bool:
    """Whether `text` is one SMS segment: 160 GSM-7 septets, or 70 UTF-16 units when GSM-7 cannot carry it."""
    if all(_gsm7_cost(c) is not None for c in text):
        return sum(map(_septets, text)) <= _GSM7_SEGMENT
    return sum(map(_utf16_units, text)) <= _UCS2_SEGMENT


def sms_text(message: Message) -> str:
    """The SMS for a page, update or resolution: one 160-character GSM-7 segment where the text allows.

    'Firebell INC-12 P1: Database down - Reply ack 12 / resolve 12'. The title is shortened to fit. A title
    GSM-7 cannot carry (most non-Latin scripts, emoji) makes the SMS UCS-2; it then fits one 70-character
    segment. Pages name the incident in the reply codes so that answering an older SMS acts on the right one.
    """
    if message.rendered is not None:  # from a template (messages/), already fitted
        return message.rendered.text
    if message.details.get("bundle_refs"):  # several incidents: the summary lists them; replies name one
        text = _gsm7_friendly(f"Firebell: {message.title} - Reply ack N / resolve N (N = incident number)")
        return _fit(text, SMS_MAX_CHARS, _utf16_units)
    ref = _gsm7_friendly(message.incident_ref)[:24] or "incident"
    severity = _gsm7_friendly(message.severity)[:12]
    title = _gsm7_friendly(message.title) or "(untitled)"
    number = re.fullmatch(r"(?:INC-)?0*([1-9][0-9]{0,11})", ref, re.IGNORECASE)
    if message.kind == "resolved":
        head, tail = f"Firebell {ref} resolved: ", ""
    else:
        label = " ".join(part for part in (ref, severity, "update" if message.kind == "update" else "") if part)
        head = f"Firebell {label}: "
        tail = f" - Reply ack {number[1]} / resolve {number[1]}" if number else " - Reply 4 to ack, 6 to resolve"
    if all(_gsm7_cost(c) is not None for c in head + title + tail):
        cost, segment = _septets, _GSM7_SEGMENT
    else:
        cost, segment = _utf16_units, _UCS2_SEGMENT
    title = _fit(title, segment - sum(map(cost, head + tail)), cost)
    return _fit(head + title + tail, segment, cost)


def _no_status_callback(message: Message) -> str | None:
    return None


def _fail_over(providers: Sequence[PhoneProvider], attempt: Callable[[PhoneProvider], Delivery]) -> Delivery:
    notes: list[str] = []
    worth_retrying = False
    for provider in providers:
        verdict = attempt(provider)
        notes.append(f"{provider.name}: {verdict.detail}")
        if verdict.ok:
            return Delivery.delivered("; ".join(notes), verdict.provider_id)
        if isinstance(verdict, RecipientRejected):
            return RecipientRejected(ok=False, retryable=False, detail="; ".join(notes))
        worth_retrying = worth_retrying or verdict.retryable
    detail = "; ".join(notes)
    return Delivery.retry(detail) if worth_retrying else Delivery.failed(detail)


class _PhoneChannel:
    def __init__(
        self, providers: Sequence[PhoneProvider], status_callback_for: Callable[[Message], str | None]
    ) -> None:
        if not providers:
            raise ValueError("a phone channel needs at least one provider")
        self.providers = tuple(providers)
        self._status_callback_for = status_callback_for

    def close(self) -> None:
        for provider in self.providers:
            close = getattr(provider, "close", None)
            if callable(close):
                close()


class SmsChannel(_PhoneChannel):
    """Texts `message.recipient`. Texts longer than Twilio's 1600 characters are cut to fit (counting UTF-16
    units, so an emoji counts twice: the stricter reading of Twilio's limit)."""

    name = "sms"

    def __init__(
        self,
        providers: Sequence[PhoneProvider],
        text_for: Callable[[Message], str] = sms_text,
        status_callback_for: Callable[[Message], str | None] = _no_status_callback,
    ) -> None:
        super().__init__(providers, status_callback_for)
        self._text_for = text_for

    def send(self, message: Message) -> Delivery:
        problem = e164_problem(message.recipient)
        if problem:
            return Delivery.failed(problem)
        text = _fit(self._text_for(message), SMS_MAX_CHARS, _utf16_units)
        if not text.strip():
            return Delivery.failed("the SMS text is empty")
        callback = self._status_callback_for(message)
        key = message.idempotency_key
        return _fail_over(self.providers, lambda p: p.send_sms(message.recipient, text, key, callback))


class VoiceChannel(_PhoneChannel):
    """Calls `message.recipient` and plays the TwiML from `twiml_for` (e.g. built with notify.twiml)."""

    name = "voice"

    def __init__(
        self,
        providers: Sequence[PhoneProvider],
        twiml_for: Callable[[Message], str],
        status_callback_for: Callable[[Message], str | None] = _no_status_callback,
    ) -> None:
        super().__init__(providers, status_callback_for)
        self._twiml_for = twiml_for

    def send(self, message: Message) -> Delivery:
        problem = e164_problem(message.recipient)
        if problem:
            return Delivery.failed(problem)
        try:
            twiml = self._twiml_for(message)
        except ValueError as exc:
            return Delivery.failed(f"cannot build the call: {exc}")
        callback = self._status_callback_for(message)
        key = message.idempotency_key
        return _fail_over(self.providers, lambda p: p.place_call(message.recipient, twiml, key, callback))
