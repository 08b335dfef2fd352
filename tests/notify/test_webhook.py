"""Webhook channel against real HTTP receivers on 127.0.0.1 that check signatures the way the spec says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from firebell.notify.channels import Channel, Links, Message
from firebell.notify.channels.webhook import (
    WebhookChannel,
    WebhookSettings,
    sign_standard_webhook,
    verify_standard_webhook,
)

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
KEY = "inc-42:l1:loop0:user-7:webhook-3"


def _message(url: str, **overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "idempotency_key": KEY,
        "kind": "page",
        "incident_ref": "INC-42",
        "title": "Database down",
        "severity": "P1",
        "summary": "Primary is not accepting connections.",
        "recipient": url,
        "links": Links(acknowledge="https://fb.example/ack", resolve="https://fb.example/res",
                       incident="https://fb.example/incidents/42"),
        "details": {"service": "db", "opened_at": NOW},
    }
    fields.update(overrides)
    return Message(**fields)


def signed_per_spec(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification written from the spec, independent of the code under test."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed_content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode()
    return any(entry.split(",", 1) == ["v1", expected] for entry in headers["webhook-signature"].split(" "))


@dataclass
class Receiver:
    """What the loopback endpoint does, and what it saw."""

    status: int = 204
    delay_s: float = 0.0
    location: str | None = None
    reply_json: dict[str, Any] | None = None
    seen: list[tuple[dict[str, str], bytes, bool]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], *, hang_ups_expected: bool = False) -> Iterator[int]:
    """A loopback HTTP server answering with `handler`; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if hang_ups_expected:  # the client hangs up mid-answer, on purpose
        server.daemon_threads = True
        server.handle_error = lambda *_: None  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def http_receiver(receiver: Receiver) -> Iterator[str]:
    class Endpoint(Quiet):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            genuine = signed_per_spec(SECRET, headers, body)
            receiver.seen.append((headers, body, genuine))
            receiver.release.wait(receiver.delay_s)
            reply = json.dumps(receiver.reply_json).encode() if receiver.reply_json else b""
            self.send_response(receiver.status if genuine else 401)
            if receiver.location:
                self.send_header("location", receiver.location)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    with serving(Endpoint) as port:
        try:
            yield f"http://127.0.0.1:{port}/hooks/firebell"
        finally:
            receiver.release.set()


@pytest.fixture
def channel() -> Iterator[WebhookChannel]:
    settings = WebhookSettings(secret=SECRET, connect_timeout_s=1.0, read_timeout_s=0.5)
    with WebhookChannel(settings, clock=lambda: NOW) as opened:
        yield opened


def test_webhook_channel_is_a_channel(channel: WebhookChannel) -> None:
    assert isinstance(channel, Channel)


def test_delivers_signed_json_the_receiver_can_verify(channel: WebhookChannel) -> None:
    receiver = Receiver(status=200, reply_json={"id": "evt_981"})
    with http_receiver(receiver) as url:
        delivery = channel.send(_message(url))
    assert delivery.ok and not delivery.retryable
    assert delivery.provider_id == "evt_981"
    ((headers, body, genuine),) = receiver.seen
    assert genuine
    assert headers["webhook-id"] == KEY
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "type": "incident.page",
        "idempotency_key": KEY,
        "incident": {"ref": "INC-42", "title": "Database down", "severity": "P1",
                     "url": "https://fb.example/incidents/42"},
        "summary": "Primary is not accepting connections.",
        "links": {"acknowledge": "https://fb.example/ack", "resolve": "https://fb.example/res",
                  "incident": "https://fb.example/incidents/42"},
        "details": {"service": "db", "opened_at": "2024-05-01T12:00:00+00:00"},
        "sent_at": "2024-05-01T12:00:00Z",
    }


def test_receiver_rejects_a_channel_with_the_wrong_secret() -> None:
    other_secret = "whsec_" + base64.b64encode(b"another secret of enough length!").decode()
    receiver = Receiver()
    with http_receiver(receiver) as url, WebhookChannel(WebhookSettings(secret=other_secret)) as wrong:
        delivery = wrong.send(_message(url))
    assert receiver.seen[0][2] is False
    assert not delivery.ok and not delivery.retryable
    assert delivery.detail == "HTTP 401 Unauthorized"


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (408, True), (410, False), (400, False)]
)
def test_error_statuses_are_classified(channel: WebhookChannel, status: int, retryable: bool) -> None:
    with http_receiver(Receiver(status=status)) as url:
        delivery = channel.send(_message(url))
    assert not delivery.ok
    assert delivery.retryable is retryable
    assert delivery.detail.startswith(f"HTTP {status}")


def test_redirect_is_not_followed_and_is_permanent(channel: WebhookChannel) -> None:
    elsewhere = Receiver()
    with http_receiver(elsewhere) as target, http_receiver(Receiver(status=302, location=target)) as url:
        delivery = channel.send(_message(url))
    assert not delivery.ok and not delivery.retryable
    assert delivery.detail == f"HTTP 302 Found: redirect to {target} not followed"
    assert elsewhere.seen == []


def test_slow_receiver_times_out_and_is_retryable(channel: WebhookChannel) -> None:
    receiver = Receiver(delay_s=2.0)
    with http_receiver(receiver) as url:
        delivery = channel.send(_message(url))
    assert len(receiver.seen) == 1
    assert not delivery.ok and delivery.retryable
    assert delivery.detail == "timeout after 0.5 s"


def test_nothing_listening_is_retryable(channel: WebhookChannel) -> None:
    with http_receiver(Receiver()) as url:
        pass
    delivery = channel.send(_message(url))
    assert not delivery.ok and delivery.retryable
    assert delivery.detail.startswith("cannot connect")


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hook", "not a url", "http://"])
def test_unusable_url_is_permanent(channel: WebhookChannel, url: str) -> None:
    delivery = channel.send(_message(url))
    assert not delivery.ok and not delivery.retryable


def test_details_that_cannot_be_json_are_permanent(channel: WebhookChannel) -> None:
    delivery = channel.send(_message("http://127.0.0.1:9/", details={"blob": object()}))
    assert not delivery.ok and not delivery.retryable
    assert "not JSON serialisable" in delivery.detail


def test_settings_refuse_a_secret_that_is_not_base64() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        WebhookSettings(secret="whsec_not base64!")


def test_signature_matches_the_published_standard_webhooks_vector() -> None:
    signature = sign_standard_webhook(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _signed_headers(body: bytes, at: datetime, secret: str = SECRET) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {"Webhook-Id": "msg_1", "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": sign_standard_webhook(secret, "msg_1", timestamp, body)}


def test_verify_helper_accepts_genuine_and_rejects_tampered_or_stale() -> None:
    body = b'{"type":"incident.page"}'
    headers = _signed_headers(body, NOW)
    assert verify_standard_webhook(SECRET, headers, body, NOW + timedelta(seconds=299))
    assert not verify_standard_webhook(SECRET, headers, body + b" ", NOW)
    assert not verify_standard_webhook(SECRET, headers, body, NOW + timedelta(seconds=301))
    assert not verify_standard_webhook(SECRET, headers, body, NOW - timedelta(seconds=301))
    assert not verify_standard_webhook(SECRET, {**headers, "Webhook-Id": "msg_2"}, body, NOW)
    assert not verify_standard_webhook(SECRET, {k: v for k, v in headers.items() if k != "Webhook-Id"}, body, NOW)
    assert not verify_standard_webhook(SECRET, {**headers, "Webhook-Timestamp": "12e3"}, body, NOW)


def test_verify_helper_accepts_any_listed_signature_for_secret_rotation() -> None:
    body = b"{}"
    old_secret = "whsec_" + base64.b64encode(b"o" * 32).decode()
    headers = _signed_headers(body, NOW)
    rotated = {**headers, "Webhook-Signature": "v1,bm90IGl0 " + headers["Webhook-Signature"]}
    assert verify_standard_webhook(SECRET, rotated, body, NOW)
    assert not verify_standard_webhook(old_secret, rotated, body, NOW)


def test_pages_to_one_receiver_share_one_connection(channel: WebhookChannel) -> None:
    """Whatever the receiver answers (a text body, an error, JSON), the next page reuses the
    connection: a storm of pages must not open a TCP (and TLS) connection each."""
    connections: list[int] = []
    answers = iter([(200, b"ok", "text/plain"), (503, b"busy, try later", "text/plain"),
                    (200, b'{"id": "evt_3"}', "application/json"), (204, b"", "text/plain")])

    class KeepAlive(Quiet):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            connections.append(1)
            super().setup()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            status, reply, kind = next(answers)
            self.send_response(status)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    with serving(KeepAlive) as port:
        results = [channel.send(_message(f"http://127.0.0.1:{port}/hooks", idempotency_key=f"k{i}")) for i in range(4)]
    assert [r.ok for r in results] == [True, False, True, True]
    assert results[1].retryable and results[2].provider_id == "evt_3"
    assert len(connections) == 1


def test_a_receiver_dribbling_its_answer_does_not_hold_the_sender(channel: WebhookChannel) -> None:
    """An error page sent a byte at a time (or any body that is slow to come) is not waited for:
    the page is classified from the status line and the next page goes out."""
    class Dribble(Quiet):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            self.send_response(503)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", "40")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)

    with serving(Dribble, hang_ups_expected=True) as port:
        started = time.monotonic()
        delivery = channel.send(_message(f"http://127.0.0.1:{port}/hooks"))
        took = time.monotonic() - started
    assert not delivery.ok and delivery.retryable
    assert took < 2.5, f"the sender waited {took:.1f} s for a body nobody needs"


def test_a_receiver_closing_its_idle_connection_still_gets_the_next_page_once(channel: WebhookChannel) -> None:
    """Keep-alive receivers close idle connections when they like (a deploy, an idle timeout); the
    next page must find out on its own and arrive, once, on a new connection."""
    seen: list[str] = []

    class ClosesAfterAnswering(Quiet):
        protocol_version = "HTTP/1.1"  # answers as if it kept the connection, then hangs up

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            seen.append(self.headers["webhook-id"])
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()
            self.close_connection = True

    with serving(ClosesAfterAnswering) as port:
        results = []
        for i in range(3):
            results.append(channel.send(_message(f"http://127.0.0.1:{port}/hooks", idempotency_key=f"k{i}")))
            time.sleep(0.05)  # the hang-up reaches this side before the next page
    assert [r.ok for r in results] == [True, True, True]
    assert seen == ["k0", "k1", "k2"]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "ALL_PROXY"])
def test_a_url_the_environment_proxies_goes_through_the_proxy(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    proxied: list[str] = []

    class Proxy(Quiet):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            proxied.append(self.path)  # absolute form: the proxy is asked for the receiver's URL
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    settings = WebhookSettings(secret=SECRET, connect_timeout_s=1.0, read_timeout_s=1.0)
    with serving(Proxy) as port, WebhookChannel(settings) as proxied_channel:
        monkeypatch.setenv(variable, f"http://127.0.0.1:{port}")
        delivery = proxied_channel.send(_message("http://hooks.internal.example/firebell"))
    assert delivery.ok, delivery.detail
    assert proxied == ["http://hooks.internal.example/firebell"]


def test_credentials_in_the_url_reach_the_receiver_as_basic_auth() -> None:
    seen: list[str | None] = []

    class NeedsAuth(Quiet):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["content-length"]))
            seen.append(self.headers.get("authorization"))
            self.send_response(204 if self.headers.get("authorization") else 401)
            self.send_header("content-length", "0")
            self.end_headers()

    settings = WebhookSettings(secret=SECRET, connect_timeout_s=1.0, read_timeout_s=1.0)
    with serving(NeedsAuth) as port, WebhookChannel(settings) as channel:
        delivery = channel.send(_message(f"http://hook:s3cret@127.0.0.1:{port}/in"))
    assert delivery.ok, delivery.detail
    assert seen == ["Basic " + base64.b64encode(b"hook:s3cret").decode()]
