"""Email channel against a real aiosmtpd server on 127.0.0.1 (plain, STARTTLS with AUTH, implicit TLS)."""

from __future__ import annotations

import email
import email.policy
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from firebell.notify.channels import Channel, Links, Message
from firebell.notify.channels.email import IDEMPOTENCY_HEADER, EmailChannel, SmtpSettings

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ACK = "https://firebell.example/a/ack?t=abc.def&x=1"
RESOLVE = "https://firebell.example/a/resolve?t=ghi.jkl"


def _message(**overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "idempotency_key": "inc-42:l1:loop0:user-7:email-1",
        "kind": "page",
        "incident_ref": "INC-42",
        "title": "Database down",
        "severity": "P1",
        "summary": "Primary is not accepting connections.\nReplica lag 40 s.",
        "recipient": "oncall@example.com",
        "links": Links(acknowledge=ACK, resolve=RESOLVE, incident="https://firebell.example/incidents/42"),
    }
    fields.update(overrides)
    return Message(**fields)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class MailSink:
    """aiosmtpd handler that keeps what it accepts and can answer RCPT or DATA with a chosen failure."""

    received: list[EmailMessage] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        assert isinstance(envelope.content, bytes)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 Message accepted for delivery"


@dataclass
class PasswordCheck:
    attempts: list[tuple[str, bytes, bytes]] = field(default_factory=list)

    def __call__(self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any) -> Any:
        assert isinstance(data, LoginPassword)
        self.attempts.append((mechanism, data.login, data.password))
        return AuthResult(success=data.login == b"pager" and data.password == b"correct horse", handled=False)


@contextmanager
def smtp_server(sink: MailSink, **server_options: Any) -> Iterator[int]:
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **server_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1; `cryptography` is not in the venv, so openssl makes it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl binary is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key


@pytest.fixture(scope="module")
def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


def _settings(port: int, **overrides: Any) -> SmtpSettings:
    fields: dict[str, Any] = {"host": "127.0.0.1", "port": port, "from_address": "Firebell <pager@firebell.example>",
                              "security": "none", "timeout_s": 2.0}
    fields.update(overrides)
    return SmtpSettings(**fields)


def _channel(settings: SmtpSettings) -> EmailChannel:
    return EmailChannel(settings, clock=lambda: NOW)


def test_email_channel_is_a_channel() -> None:
    assert isinstance(_channel(_settings(25)), Channel)


def test_plain_delivery_has_subject_both_parts_links_and_idempotency_key() -> None:
    sink = MailSink()
    with smtp_server(sink) as port:
        delivery = _channel(_settings(port)).send(_message())
    assert delivery.ok and not delivery.retryable, delivery.detail
    (received,) = sink.received
    assert received["Subject"] == "[P1] INC-42 Database down"
    assert received["To"] == "oncall@example.com"
    assert received[IDEMPOTENCY_HEADER] == "inc-42:l1:loop0:user-7:email-1"
    assert received["Message-ID"] == delivery.provider_id
    assert received["Message-ID"].endswith("@firebell.example>")
    assert received.get_content_type() == "multipart/alternative"
    plain = received.get_body(("plain",))
    html_part = received.get_body(("html",))
    assert plain is not None and html_part is not None
    text, markup = plain.get_content(), html_part.get_content()
    assert "Primary is not accepting connections." in text
    assert f"Acknowledge: {ACK}" in text and f"Resolve: {RESOLVE}" in text
    assert 'href="https://firebell.example/a/ack?t=abc.def&amp;x=1"' in markup
    assert f'href="{RESOLVE}"' in markup
    assert "Replica lag 40 s." in markup


def test_a_retried_page_keeps_its_message_id() -> None:
    sink = MailSink()
    with smtp_server(sink) as port:
        channel = _channel(_settings(port))
        first, second = channel.send(_message()), channel.send(_message())
        other = channel.send(_message(idempotency_key="inc-42:l2:loop0:user-7:email-1"))
    assert first.provider_id == second.provider_id != other.provider_id


def test_html_from_the_alert_is_escaped_and_follow_ups_are_labelled() -> None:
    sink = MailSink()
    evil = _message(kind="resolved", title="<script>alert(1)</script>\nBcc: x@evil", summary="a < b & c")
    with smtp_server(sink) as port:
        assert _channel(_settings(port)).send(evil).ok
    (received,) = sink.received
    assert received["Subject"] == "[P1] INC-42 Resolved: <script>alert(1)</script> Bcc: x@evil"
    assert received["Bcc"] is None
    html_part = received.get_body(("html",))
    assert html_part is not None
    markup = html_part.get_content()
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup and "a &lt; b &amp; c" in markup


def test_starttls_with_auth_checks_credentials(tls_files: tuple[Path, Path], server_tls: ssl.SSLContext) -> None:
    sink, check = MailSink(), PasswordCheck()
    options = {"tls_context": server_tls, "require_starttls": True, "auth_required": True, "authenticator": check}
    with smtp_server(sink, **options) as port:
        good = _settings(port, security="starttls", username="pager", password="correct horse",
                         ca_file=str(tls_files[0]))
        delivery = _channel(good).send(_message())
        wrong = _channel(SmtpSettings(**{**good.__dict__, "password": "wrong"})).send(_message())
    assert delivery.ok, delivery.detail
    assert len(sink.received) == 1
    # smtplib falls back from PLAIN to LOGIN after a rejection, so the wrong password is tried more than once.
    credentials = [(login, password) for _, login, password in check.attempts]
    assert credentials[0] == (b"pager", b"correct horse")
    assert set(credentials[1:]) == {(b"pager", b"wrong")}
    assert not wrong.ok and not wrong.retryable
    assert wrong.detail.startswith("SMTP 535")


def test_plain_client_against_a_server_requiring_starttls_fails_permanently(server_tls: ssl.SSLContext) -> None:
    with smtp_server(MailSink(), tls_context=server_tls, require_starttls=True) as port:
        delivery = _channel(_settings(port, security="none")).send(_message())
    assert not delivery.ok and not delivery.retryable
    assert delivery.detail.startswith("SMTP 530")


def test_starttls_required_but_not_offered_is_never_downgraded() -> None:
    sink = MailSink()
    with smtp_server(sink) as port:
        delivery = _channel(_settings(port, security="starttls")).send(_message())
    assert not delivery.ok and not delivery.retryable
    assert "STARTTLS" in delivery.detail
    assert sink.received == []


def test_implicit_tls(tls_files: tuple[Path, Path], server_tls: ssl.SSLContext) -> None:
    sink = MailSink()
    with smtp_server(sink, ssl_context=server_tls) as port:
        delivery = _channel(_settings(port, security="tls", ca_file=str(tls_files[0]))).send(_message())
    assert delivery.ok, delivery.detail
    assert len(sink.received) == 1


def test_untrusted_certificate_is_a_permanent_failure(server_tls: ssl.SSLContext) -> None:
    sink = MailSink()
    with smtp_server(sink, ssl_context=server_tls) as port:
        rejected = _channel(_settings(port, security="tls")).send(_message())
        accepted = _channel(_settings(port, security="tls", verify_tls=False)).send(_message())
    assert not rejected.ok and not rejected.retryable
    assert "certificate" in rejected.detail
    assert accepted.ok
    assert len(sink.received) == 1


@pytest.mark.parametrize(
    ("where", "reply", "retryable"),
    [
        ("rcpt_reply", "451 4.3.0 Try again later", True),
        ("data_reply", "451 4.3.0 Try again later", True),
        ("rcpt_reply", "550 5.1.1 mailbox unavailable", False),
        ("data_reply", "554 5.7.1 rejected as spam", False),
    ],
)
def test_smtp_replies_are_classified(where: str, reply: str, retryable: bool) -> None:
    sink = MailSink(**{where: reply})
    with smtp_server(sink) as port:
        delivery = _channel(_settings(port)).send(_message())
    assert not delivery.ok
    assert delivery.retryable is retryable
    assert delivery.detail == "SMTP " + reply


def test_closed_port_is_retryable() -> None:
    delivery = _channel(_settings(_free_port())).send(_message())
    assert not delivery.ok and delivery.retryable
    assert "refused" in delivery.detail


def test_silent_server_times_out_and_is_retryable() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        delivery = _channel(_settings(silent.getsockname()[1], timeout_s=0.3)).send(_message())
    assert not delivery.ok and delivery.retryable
    assert delivery.detail == "timeout after 0.3 s"


@pytest.mark.parametrize("recipient", ["not-an-address", "a@b.example\r\nBcc: x@evil.example"])
def test_unusable_recipient_fails_permanently_without_connecting(recipient: str) -> None:
    delivery = _channel(_settings(_free_port())).send(_message(recipient=recipient))
    assert not delivery.ok and not delivery.retryable
    assert delivery.detail.startswith("cannot build email")


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="none, starttls or tls"):
        _settings(25, security="ssl")
    with pytest.raises(ValueError, match="give both or neither"):
        _settings(25, username="pager")
