"""Verifying a contact method: a short code goes to it, its owner types the code back.

Nobody is paged through a method until it is verified, so a typo in a phone number is found when
the number is added, not at 3 a.m. when the page goes nowhere. Codes are stored hashed, live ten
minutes, allow five wrong guesses, and a new code replaces the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from firebell.errors import Conflict, Invalid, NotFound
from firebell.notify.channels.base import Delivery, Message
from firebell.notify.models import ContactVerification
from firebell.notify.settings import Channels
from firebell.org.models import ContactMethod, User
from firebell.store.uow import Database

CODE_TTL = timedelta(minutes=10)
MAX_GUESSES = 5
RESEND_AFTER = timedelta(seconds=30)  # one code per half minute: a stuck button must not flood a phone


@dataclass(frozen=True)
class CodeToSend:
    method: ContactMethod
    code: str


def _hash(method_id: str, code: str) -> str:
    return hashlib.sha256(f"{method_id}:{code}".encode()).hexdigest()


def find_method(user: User, selector: str) -> ContactMethod:
    """A user's contact method by id, address, label or type; an ambiguous or unknown selector says
    which methods there are."""
    methods = user.contact_methods
    for matches in ([m for m in methods if m.id == selector], [m for m in methods if m.address == selector],
                    [m for m in methods if m.label and m.label == selector],
                    [m for m in methods if m.type == selector]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise Invalid(f"{selector!r} matches {len(matches)} of your contact methods; name one by its "
                          f"address: {', '.join(m.address for m in matches)}")
    known = ", ".join(f"{m.type} {m.address}" for m in methods) or "none"
    raise NotFound(f"you have no contact method {selector!r}; yours are: {known}")


def start(session: Session, user: User, selector: str, now: datetime) -> CodeToSend:
    """Make a new code for the method (the caller sends it after committing)."""
    method = find_method(user, selector)
    pending = session.get(ContactVerification, method.id, with_for_update=True)
    if pending is not None and now - pending.sent_at < RESEND_AFTER:
        wait = int((pending.sent_at + RESEND_AFTER - now).total_seconds()) + 1
        raise Conflict(f"a code was sent to {method.address} moments ago; wait {wait} s before asking again")
    code = f"{secrets.randbelow(1_000_000):06d}"
    if pending is None:
        pending = ContactVerification(contact_method_id=method.id)
        session.add(pending)
    pending.code_hash, pending.attempts = _hash(method.id, code), 0
    pending.sent_at, pending.expires_at = now, now + CODE_TTL
    return CodeToSend(method=method, code=code)


def confirm(session: Session, user: User, selector: str, code: str, now: datetime) -> ContactMethod:
    """Mark the method verified when the code matches. Wrong guesses count (and are committed even
    though the call fails, which is why this returns errors as values to the caller's transaction)."""
    method = find_method(user, selector)
    pending = session.get(ContactVerification, method.id, with_for_update=True)
    if pending is None:
        if method.verified_at is not None:
            return method
        raise Conflict(f"no code was sent to {method.address}; ask for one first (`firebell me verify "
                       f"{method.address}`)")
    if now >= pending.expires_at:
        raise Conflict(f"the code sent to {method.address} has expired; ask for a new one")
    if pending.attempts >= MAX_GUESSES:
        raise Conflict(f"too many wrong codes for {method.address}; ask for a new one")
    if not hmac.compare_digest(pending.code_hash, _hash(method.id, code.strip())):
        pending.attempts += 1
        left = MAX_GUESSES - pending.attempts
        raise WrongCode(f"that is not the code sent to {method.address}; {left} tries left")
    method.verified_at = now
    session.delete(pending)
    return method


class WrongCode(Invalid):
    """A wrong guess: the guess still counts, so the caller commits before reporting it."""


def send_code(channels: Channels, to_send: CodeToSend, user_name: str) -> Delivery:
    """Send the code through the method's own channel, outside any transaction."""
    method = to_send.method
    channel = channels.channel(method.type)
    if channel is None:
        return Delivery.failed(f"this server cannot send {method.type} messages (not configured)")
    minutes = int(CODE_TTL.total_seconds() // 60)
    text = f"Your Firebell verification code is {to_send.code}. It expires in {minutes} min."
    message = Message(idempotency_key=f"verify:{method.id}:{to_send.code}", kind="verification", incident_ref="",
                      title="Firebell verification code", severity="", summary=text, recipient=method.address,
                      details={"user": user_name, "code": to_send.code})
    try:
        return channel.send(message)
    except Exception as exc:  # a channel bug must come back as an answer, not a 500
        return Delivery.failed(f"channel error: {type(exc).__name__}")


@dataclass(frozen=True)
class SentCode:
    address: str
    expires_at: datetime
    delivery: Delivery


def send_new_code(db: Database, user_id: str, selector: str, channels: Channels, now: datetime) -> SentCode:
    """Make a code (committed), send it, and forget it again when it could not be sent (asking again
    must not have to wait). Blocking: the API and the web call it from a worker thread."""
    with db.unit_of_work() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("this user no longer exists")
        to_send = start(session, user, selector, now)
        user_name = user.name
    delivery = send_code(channels, to_send, user_name)
    if not delivery.ok:
        with db.unit_of_work() as session:
            pending = session.get(ContactVerification, to_send.method.id)
            if pending is not None:
                session.delete(pending)
    return SentCode(address=to_send.method.address, expires_at=now + CODE_TTL, delivery=delivery)


def confirm_code(db: Database, user_id: str, selector: str, code: str, now: datetime) -> str:
    """`confirm` in its own unit of work, which is committed even for a wrong code (the guess counts)
    before WrongCode is raised; the verified method's id."""
    wrong: WrongCode | None = None
    with db.unit_of_work() as session:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("this user no longer exists")
        try:
            method_id = confirm(session, user, selector, code, now).id
        except WrongCode as exc:
            wrong = exc
    if wrong is not None:
        raise wrong
    return method_id
