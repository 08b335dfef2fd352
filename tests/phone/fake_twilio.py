"""Loopback stand-ins for Twilio's REST API and for a generic SMS/voice gateway.

`FakeTwilio` serves `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` and `.../Calls.json` on
127.0.0.1 and checks what Twilio checks, answering with Twilio's JSON error shape
(`{"code", "message", "more_info", "status"}`):

    HTTP basic auth must be AccountSid:AuthToken ........................ 401, 20003
    the path's account must be the authenticated one ..................... 404, 20404
    body must be application/x-www-form-urlencoded (else no fields) ...... (the required-field errors)
    Messages: To required 21604; From or MessagingServiceSid required 21603; To in E.164 21211;
              From one of our numbers 21606; Body required 21602; Body at most 1600 chars 21617;
              To not unsubscribed 21610; To a mobile 21614; StatusCallback absolute http(s) 21609
    Calls:    To required 21201; From required 21213; To in E.164 21211; To a real number 21217;
              From one of our numbers 21210; Url or Twiml required 21205; Twiml at most 4000 chars 32018;
              Twiml well-formed with a <Response> root 12100 (Twilio finds that out when the call starts)

Accepted requests get 201 with a resource whose sid is "SM"/"CA" + 32 hex digits. `fail_next(n, status)`
makes the next n requests fail with 500 (20500) or 429 (20429) before any check. Status callbacks and
inbound SMS are sent the way Twilio sends them: form POSTs signed with X-Twilio-Signature, computed here
independently of firebell's code.

`FakeGateway` is the generic provider's receiver: it checks the Standard Webhooks signature (again written
from the spec) and the JSON body, and answers 201 `{"id": "gw-N"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f1rebell-test-auth-token"
TWILIO_NUMBER = "+15005550006"

_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_RESOURCE = re.compile(r"/2010-04-01/Accounts/([^/]+)/(Messages|Calls)\.json")


@dataclass
class Answer:
    status: int
    body: dict[str, Any]


class _LoopbackServer:
    """A ThreadingHTTPServer on a free 127.0.0.1 port that hands each POST to `self.answer`."""

    def __init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = owner.answer(self.path, headers, body)
                reply = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def twilio_error(status: int, code: int, message: str) -> Answer:
    return Answer(status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                           "status": status})


class FakeTwilio(_LoopbackServer):
    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        numbers: tuple[str, ...] = (TWILIO_NUMBER,),
        *,
        invalid_numbers: tuple[str, ...] = (),
        landlines: tuple[str, ...] = (),
        unsubscribed: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.account_sid, self.auth_token, self.numbers = account_sid, auth_token, set(numbers)
        self.invalid_numbers, self.landlines = set(invalid_numbers), set(landlines)
        self.unsubscribed = set(unsubscribed)
        self.messages: list[dict[str, str]] = []
        self.calls: list[dict[str, str]] = []
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self._failures: deque[int] = deque()
        # Status callbacks to send for the next message or call before answering its creation (a
        # receipt overtaking the sender), each used once.
        self.early_receipts: deque[tuple[str, int | None]] = deque()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self.lock:
            self._failures.extend([status] * count)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self.lock:
            self.requests.append((path, headers, body))
            scripted = self._failures.popleft() if self._failures else None
        if scripted == 429:
            return twilio_error(429, 20429, "Too Many Requests")
        if scripted is not None:
            return twilio_error(scripted, 20500, "An internal server error has occurred")
        if not self._authenticated(headers.get("authorization", "")):
            return twilio_error(401, 20003, "Authenticate")
        resource = _RESOURCE.fullmatch(path)
        if resource is None or resource[1] != self.account_sid:
            return twilio_error(404, 20404, f"The requested resource {path} was not found")
        is_form = headers.get("content-type", "").startswith("application/x-www-form-urlencoded")
        form = dict(parse_qsl(body.decode(), keep_blank_values=True)) if is_form else {}
        if resource[2] == "Messages":
            return self._create_message(form)
        return self._create_call(form)

    def _authenticated(self, authorization: str) -> bool:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(user, self.account_sid) and hmac.compare_digest(password, self.auth_token)

    def _create_message(self, form: dict[str, str]) -> Answer:
        to, sender, text = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        checks = [
            (not to, 21604, "A 'To' phone number is required."),
            (not sender and not form.get("MessagingServiceSid"),
             21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message."),
            (not _E164.fullmatch(to) or to in self.invalid_numbers, 21211, f"Invalid 'To' Phone Number: {to}"),
            (bool(sender) and sender not in self.numbers,
             21606, f"The From phone number {sender} is not a valid, SMS-capable inbound phone number"),
            (not text, 21602, "Message body is required."),
            (len(text) > 1600, 21617, "The concatenated message body exceeds the 1600 character limit."),
            (to in self.unsubscribed, 21610, "Attempt to send to unsubscribed recipient"),
            (to in self.landlines, 21614, f"'To' number {to} is not a valid mobile number"),
            (not _absolute_url(form.get("StatusCallback")), 21609, "Invalid 'StatusCallback'"),
        ]
        return self._create(form, checks, "SM", self.messages, {"body": text, "num_segments": "1"})

    def _create_call(self, form: dict[str, str]) -> Answer:
        to, sender, twiml = form.get("To", ""), form.get("From", ""), form.get("Twiml")
        checks = [
            (not to, 21201, "No 'To' number is specified"),
            (not sender, 21213, "No 'From' number is specified"),
            (not _E164.fullmatch(to), 21211, f"Invalid 'To' Phone Number: {to}"),
            (to in self.invalid_numbers, 21217, "Phone number does not appear to be valid"),
            (sender not in self.numbers, 21210, f"'From' phone number not verified: {sender}"),
            (twiml is None and not _absolute_url(form.get("Url", "")), 21205, "Url parameter is required"),
            (twiml is not None and len(twiml) > 4000, 32018, "Twiml size exceeded maximum allowed value"),
            (twiml is not None and not _twiml_document(twiml), 12100, "Document parse failure"),
            (not _absolute_url(form.get("StatusCallback")), 21609, "Invalid 'StatusCallback'"),
        ]
        return self._create(form, checks, "CA", self.calls, {})

    def _create(
        self, form: dict[str, str], checks: list[tuple[bool, int, str]], prefix: str,
        records: list[dict[str, str]], extra: dict[str, str],
    ) -> Answer:
        for failed, code, message in checks:
            if failed:
                return twilio_error(400, code, message)
        sid = prefix + uuid.uuid4().hex
        with self.lock:
            records.append({"sid": sid, **form})
            early, self.early_receipts = list(self.early_receipts), deque()
        for status, code in early:
            self.send_status_callback(sid, status, code)
        return Answer(201, {
            "sid": sid, "account_sid": self.account_sid, "to": form["To"], "from": form.get("From"),
            "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
            "error_code": None, "error_message": None, "price": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/{'Messages' if prefix == 'SM' else 'Calls'}/{sid}.json",
            **extra,
        })

    def send_status_callback(self, sid: str, status: str, error_code: int | None = None) -> int:
        """POST a signed status callback for `sid` to the StatusCallback it was created with; the receiver's status."""
        with self.lock:
            record = next(r for r in self.messages + self.calls if r["sid"] == sid)
        common = {"AccountSid": self.account_sid, "From": record.get("From", ""), "To": record["To"],
                  "ApiVersion": "2010-04-01"}
        if sid.startswith("SM"):
            params = {**common, "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status}
        else:
            params = {**common, "CallSid": sid, "CallStatus": status, "Direction": "outbound-api"}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self.post_signed(record["StatusCallback"], params)

    def send_inbound_sms(self, url: str, from_number: str, body: str) -> int:
        """POST an incoming SMS the way Twilio calls a number's messaging webhook."""
        sid = "SM" + uuid.uuid4().hex
        return self.post_signed(url, {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid,
                                      "From": from_number, "To": TWILIO_NUMBER, "Body": body, "NumMedia": "0"})

    def post_signed(self, url: str, params: dict[str, str]) -> int:
        signed = url + "".join(name + params[name] for name in sorted(params))
        signature = base64.b64encode(hmac.new(self.auth_token.encode(), signed.encode(), hashlib.sha1).digest())
        request = urllib.request.Request(url, data=urlencode(params).encode(), method="POST", headers={
            "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature.decode(),
            "user-agent": "TwilioProxy/1.1",
        })
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code


@dataclass
class GatewayRequest:
    headers: dict[str, str]
    payload: dict[str, Any]
    genuine: bool


class FakeGateway(_LoopbackServer):
    """The generic provider's far side: Standard Webhooks signature, JSON body, `{"id"}` answer."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.key = base64.b64decode(secret.removeprefix("whsec_"))
        self.received: list[GatewayRequest] = []
        self._failures: deque[int] = deque()

    @property
    def url(self) -> str:
        return self.base_url + "/send"

    def fail_next(self, count: int, status: int = 500) -> None:
        with self.lock:
            self._failures.extend([status] * count)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        signed = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
        expected = "v1," + base64.b64encode(hmac.new(self.key, signed, hashlib.sha256).digest()).decode()
        fresh = abs(time.time() - int(headers.get("webhook-timestamp") or 0)) < 300
        genuine = fresh and expected in headers.get("webhook-signature", "").split(" ")
        payload = json.loads(body) if headers.get("content-type") == "application/json" else {}
        with self.lock:
            self.received.append(GatewayRequest(headers, payload, genuine))
            scripted = self._failures.popleft() if self._failures else None
        if scripted is not None:
            return Answer(scripted, {"error": "scripted failure"})
        if not genuine:
            return Answer(401, {"error": "bad signature"})
        content = {"sms": "body", "voice": "twiml"}.get(payload.get("kind", ""))
        if content is None or not payload.get(content) or not _E164.fullmatch(payload.get("to", "")):
            return Answer(422, {"error": "kind, to and body/twiml are required"})
        return Answer(201, {"id": f"gw-{len(self.received)}"})


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens, so connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _absolute_url(url: str | None) -> bool:
    if url is None:
        return True
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def _twiml_document(twiml: str) -> bool:
    try:
        return ET.fromstring(twiml).tag == "Response"
    except ET.ParseError:
        return False


class CallbackReceiver(_LoopbackServer):
    """An endpoint for status callbacks and inbound SMS: records each request's full URL, form pairs and
    X-Twilio-Signature, and answers 200."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str]], str | None]] = []

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
        with self.lock:
            self.seen.append((self.base_url + path, pairs, headers.get("x-twilio-signature")))
        return Answer(200, {})
