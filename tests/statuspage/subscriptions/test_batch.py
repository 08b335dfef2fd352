"""The sender sends a batch of mail over one SMTP connection, on both stores, against a real SMTP
server: one refused recipient costs the others nothing, and a connection the server closes (hung up
between messages, or a 421 after its limit of messages a session) is opened again without losing or
repeating a mail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session

from firebell.notify.channels.email import EmailChannel, SmtpSettings
from tests.notify.test_email import MailSink, smtp_server
from tests.statuspage.subscriptions.conftest import Subs, notice

READERS = [f"reader{i}@example.com" for i in range(6)]


@dataclass
class CountingSink(MailSink):
    """Counts connections; refuses one address; ends a session after `per_session` mails, by hanging up
    (`hang_up`) or with 421, as a server with a limit of messages a connection does."""

    sessions: list[Session] = field(default_factory=list)
    refuse: str = ""
    per_session: int = 0
    hang_up: bool = False
    _mails: dict[int, int] = field(default_factory=dict)

    async def handle_MAIL(self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if all(s is not session for s in self.sessions):
            self.sessions.append(session)
        done = self._mails.get(id(session), 0)
        if self.per_session and done >= self.per_session:
            if self.hang_up:
                assert server.transport is not None
                server.transport.close()
            return "421 4.7.0 Too many messages in this session, closing"
        self._mails[id(session)] = done + 1
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTPServer, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        return await super().handle_RCPT(server, session, envelope, address, options)


@contextmanager
def counting(subs: Subs, **options: Any) -> Iterator[CountingSink]:
    """The sender's mail goes to a second SMTP server with this handler while the block runs."""
    sink = CountingSink(**options)
    with smtp_server(sink) as port:
        before = subs.channels.by_name["email"]
        subs.channels.by_name["email"] = EmailChannel(SmtpSettings(
            host="127.0.0.1", port=port, from_address="Acme Status <status@acme.example>", security="none",
            timeout_s=5.0), clock=subs.clock)
        try:
            yield sink
        finally:
            subs.channels.by_name["email"] = before


def _readers(subs: Subs) -> None:
    for address in READERS:
        answer = subs.api("POST", "/api/v1/status-page/subscribers",
                          json={"email": address, "skip_confirmation_notification": True})
        assert answer.status_code == 201, answer.text


def test_a_batch_goes_over_one_connection_and_a_refused_recipient_fails_alone(subs: Subs) -> None:
    _readers(subs)
    subs.queue(notice("n1"))
    with counting(subs, refuse="reader2@example.com") as sink:
        assert subs.send_due() == len(READERS)
    assert len(sink.sessions) == 1
    assert sorted(m["To"] for m in sink.received) == sorted(a for a in READERS if a != "reader2@example.com")
    refused = subs.subscriber("reader2@example.com")
    assert refused.quarantined_at is not None and refused.last_error.startswith("SMTP 550")  # rules unchanged
    assert all(subs.deliveries(a)[-1].status == "sent" for a in READERS if a != "reader2@example.com")


def test_a_session_the_server_ends_is_opened_again_and_nobody_gets_two(subs: Subs) -> None:
    _readers(subs)
    for key, hang_up in (("n1", False), ("n2", True)):
        subs.queue(notice(key))
        with counting(subs, per_session=2, hang_up=hang_up) as sink:
            assert subs.send_due() == len(READERS)
        assert sorted(m["To"] for m in sink.received) == sorted(READERS), hang_up
        assert len(sink.sessions) == 3, hang_up  # two mails a connection
    assert all(d.status == "sent" and d.attempts == 1 for a in READERS for d in subs.deliveries(a))
