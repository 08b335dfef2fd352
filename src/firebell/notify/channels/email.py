"""Email over SMTP: plain, STARTTLS or implicit TLS (SMTPS), with optional AUTH.

Each message is multipart/alternative (plain text and HTML) and carries the page's idempotency key in
`X-Firebell-Idempotency-Key`. The Message-ID is derived from that key, so a retried page keeps its
Message-ID and mail systems that deduplicate on it drop the copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Literal

from firebell.notify.channels.base import Delivery, Message, seconds_text

Security = Literal["none", "starttls", "tls"]
IDEMPOTENCY_HEADER = "X-Firebell-Idempotency-Key"
_KIND_PREFIX = {"page": "", "update": "Update: ", "resolved": "Resolved: ", "account": ""}


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the outgoing mail server.

    `security`: "none" (plain SMTP, for a local relay), "starttls" (upgrade on the submission port, usually
    587) or "tls" (implicit TLS, usually 465). `verify_tls=False` accepts any certificate; prefer `ca_file`
    for a private CA.
    """

    host: str
    port: int
    from_address: str
    security: Security = "starttls"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0
    verify_tls: bool = True
    ca_file: str | None = None

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError(f"SMTP security must be none, starttls or tls, not {self.security!r}")
        if (self.username is None) != (self.password is None):
            raise ValueError("SMTP username and password go together: give both or neither")
        if "@" not in parseaddr(self.from_address)[1]:
            raise ValueError(f"SMTP from address {self.from_address!r} is not an email address")
        if self.timeout_s <= 0:
            raise ValueError("SMTP timeout must be positive")


def subject_line(message: Message) -> str:
    """'[P1] INC-42 Database down', with 'Update: ' or 'Resolved: ' before the title for follow-ups."""
    prefix = _KIND_PREFIX.get(message.kind, f"{message.kind.capitalize()}: ")
    # Titles come from alert payloads; line breaks there would otherwise be refused as header injection.
    severity = f"[{message.severity}]" if message.severity else ""  # account mail has none: no "[]"
    return " ".join(f"{severity} {message.incident_ref} {prefix}{message.title}".split())


def message_id_for(idempotency_key: str, from_address: str) -> str:
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "firebell.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def _link_lines(message: Message) -> list[tuple[str, str]]:
    labelled = [
        ("Acknowledge", message.links.acknowledge),
        ("Resolve", message.links.resolve),
        ("View incident", message.links.incident),
    ]
    return [(label, url) for label, url in labelled if url]


def plain_text_body(message: Message) -> str:
    if message.rendered is not None:  # from a template (messages/): its links are in the text
        return message.rendered.text.rstrip() + "\n"
    lines = [f"{message.incident_ref} [{message.severity}] {message.title}", "", message.summary.strip(), ""]
    lines += [f"{label}: {url}" for label, url in _link_lines(message)]
    return "\n".join(lines).rstrip() + "\n"


def html_body(message: Message) -> str:
    """Everything from the message is escaped except `message.html_body`, which the caller rendered."""
    esc = html.escape
    if message.rendered is not None and message.rendered.html:  # rendered with autoescape (messages/)
        return f"<!DOCTYPE html>\n<html><body>\n{message.rendered.html}\n</body></html>\n"
    if message.rendered is not None:
        return ("<!DOCTYPE html>\n<html><body>\n<p>" + esc(message.rendered.text.strip()).replace("\n", "<br>\n")
                + "</p>\n</body></html>\n")
    content = message.html_body if message.html_body is not None else (
        "<p>" + esc(message.summary.strip()).replace("\n", "<br>\n") + "</p>"
    )
    buttons = "\n".join(
        f'<p><a href="{esc(url, quote=True)}">{esc(label)}</a></p>' for label, url in _link_lines(message)
    )
    return (
        "<!DOCTYPE html>\n<html><body>\n"
        f"<h2>{esc(message.incident_ref)} [{esc(message.severity)}] {esc(message.title)}</h2>\n"
        f"{content}\n{buttons}\n</body></html>\n"
    )


def build_email(message: Message, from_address: str, now: datetime) -> EmailMessage:
    """The full MIME message. Raises ValueError for an unusable recipient address."""
    recipient = message.recipient.strip()
    if "@" not in recipient or any(c in recipient for c in "\r\n"):
        raise ValueError(f"{message.recipient!r} is not an email address")
    email = EmailMessage()
    email["From"] = from_address
    email["To"] = Address(addr_spec=recipient)
    email["Subject"] = (" ".join(message.rendered.subject.split()) if message.rendered is not None
                        and message.rendered.subject else subject_line(message))
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id_for(message.idempotency_key, from_address)
    email[IDEMPOTENCY_HEADER] = message.idempotency_key
    email["Auto-Submitted"] = "auto-generated"
    if message.links.unsubscribe:  # RFC 8058: mail clients offer the button and POST to the URL
        email["List-Unsubscribe"] = f"<{message.links.unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(plain_text_body(message))
    email.add_alternative(html_body(message), subtype="html")
    return email


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EmailChannel:
    """Sends each message in its own SMTP session; pages are rare enough that pooling buys nothing.
    A batch of many mails (status page subscribers) goes through `session()` instead: one connection."""

    name = "email"

    def __init__(self, settings: SmtpSettings, clock: Callable[[], datetime] = _utc_now) -> None:
        self.settings = settings
        self._clock = clock

    def send(self, message: Message) -> Delivery:
        return self._deliver(message, self._transmit)

    def session(self) -> SmtpSession:
        """A connection kept across the messages sent through it; close it (or use `with`) when done."""
        return SmtpSession(self)

    def _deliver(self, message: Message, transmit: Callable[[EmailMessage], None]) -> Delivery:
        try:
            email = build_email(message, self.settings.from_address, self._clock())
        except (ValueError, TypeError, MessageError) as exc:
            return Delivery.failed(f"cannot build email: {exc}")
        try:
            transmit(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return _smtp_reply_delivery(code, reply)
        except smtplib.SMTPResponseException as exc:
            return _smtp_reply_delivery(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPNotSupportedError as exc:
            return Delivery.failed(f"SMTP server does not support what the settings require: {exc}")
        except smtplib.SMTPServerDisconnected as exc:
            # smtplib reports a read timeout as a disconnect; the timeout is the more useful thing to say.
            if isinstance(exc.__context__, TimeoutError):
                return Delivery.retry(f"timeout after {seconds_text(self.settings.timeout_s)}")
            return Delivery.retry(f"SMTP server disconnected: {exc}")
        except smtplib.SMTPException as exc:
            return Delivery.failed(f"SMTP error: {exc}")
        except ssl.SSLCertVerificationError as exc:
            return Delivery.failed(f"TLS certificate rejected: {exc.verify_message}")
        except TimeoutError:
            return Delivery.retry(f"timeout after {seconds_text(self.settings.timeout_s)}")
        except ConnectionRefusedError:
            return Delivery.retry(f"connection refused by {self.settings.host}:{self.settings.port}")
        except OSError as exc:
            return Delivery.retry(f"cannot reach {self.settings.host}:{self.settings.port}: {exc}")
        return Delivery.delivered("SMTP 250 accepted", provider_id=str(email["Message-ID"]))

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.settings.ca_file)
        if not self.settings.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self) -> smtplib.SMTP:
        """A connected session, upgraded to TLS and signed in as the settings say."""
        s = self.settings
        # The host goes to the constructor, not connect(): smtplib takes the TLS server name from it.
        smtp: smtplib.SMTP
        if s.security == "tls":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=self._tls_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            if s.security == "starttls":
                # starttls() raises SMTPNotSupportedError rather than silently staying in plain text.
                smtp.starttls(context=self._tls_context())
            if s.username is not None and s.password is not None:
                smtp.login(s.username, s.password)
        except BaseException:
            _close_quietly(smtp)
            raise
        return smtp

    def _transmit(self, email: EmailMessage) -> None:
        with self._open() as smtp:
            smtp.send_message(email)


# Failures after which smtplib has reset the transaction (RSET) and the connection still serves the
# next message: one recipient's refusal must not cost the others their session.
_SESSION_SURVIVES = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
_SERVER_CLOSING = 421  # "service not available, closing transmission channel"


class SmtpSession:
    """One SMTP connection for many messages, opened at the first and closed by `close()`.

    Each message keeps the channel's verdicts (`EmailChannel.send`). A refused recipient or message
    leaves the connection in use (smtplib resets the transaction). Any other failure drops it, and the
    next message opens a new one. A connection the server closed while it sat between messages (an
    idle timeout, a limit of messages per session) is found out when the next message is sent: that
    message is sent once more on a new connection, so a dropped session costs no one their mail. If
    the server took the message before it hung up, the copy has the same Message-ID, which mail
    systems deduplicate on (as for any retry)."""

    def __init__(self, channel: EmailChannel) -> None:
        self.channel = channel
        self._smtp: smtplib.SMTP | None = None
        self.connections = 0  # how many were opened: what a batch saves is visible in tests

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, message: Message) -> Delivery:
        return self.channel._deliver(message, self._transmit)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _close_quietly(smtp)

    def _transmit(self, email: EmailMessage) -> None:
        if self._smtp is not None:
            try:
                self._send(email)
                return
            except smtplib.SMTPServerDisconnected:
                self._drop()  # closed while idle or used up: once more, on a new connection
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code != _SERVER_CLOSING:
                    raise
                self._drop()
        self._smtp = self.channel._open()
        self.connections += 1
        self._send(email)

    def _send(self, email: EmailMessage) -> None:
        assert self._smtp is not None
        try:
            self._smtp.send_message(email)
        except _SESSION_SURVIVES as exc:
            if getattr(exc, "smtp_code", 0) == _SERVER_CLOSING:
                self._drop()
            raise
        except BaseException:
            self._drop()
            raise

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            _close_quietly(smtp)


def _close_quietly(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


def _smtp_reply_delivery(code: int, reply: bytes | str) -> Delivery:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    detail = " ".join(f"SMTP {code} {text}".split())
    if 400 <= code < 500:
        return Delivery.retry(detail)
    return Delivery.failed(detail)
