"""The rules of status-page subscriptions: a subscriber's states, who receives a notice, when a failed
delivery is tried again, and the signed links in every mail. Pure: the standard library, `now` given.

A subscriber's state follows from its timestamps (so the table cannot hold two states at once):

    pending ──confirm──▶ confirmed ──unsubscribe──▶ unsubscribed
       │                    │  ▲                          │
       │              quarantine release            subscribe again (a new confirmation)
       ▼                    ▼  │                          ▼
    (expired: a new      quarantined                  pending
     subscribe sends
     a new link)

Quarantine: `QUARANTINE_AFTER` failed attempts in a row, or one hard failure (an SMTP 5xx reply, an
HTTP 4xx or 3xx answer: nothing a retry can fix). Only an admin releases it; unsubscribing still works.
Only confirmed subscribers receive notices; quarantined and unsubscribed ones receive nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from firebell.core.statuspage.notices import DEFAULT, NoticeChoice, heard
from firebell.core.statuspage.notices import MODES as MODES  # the subscriber modes, said once

CONFIRMATION_TTL = timedelta(hours=48)
# The public form must not be a way to flood an inbox: at most this many confirmation mails an hour to
# one mailbox (counting its +tag sub-addresses together), and to everyone together.
CONFIRMATION_WINDOW = timedelta(hours=1)
CONFIRMATIONS_PER_MAILBOX = 3
CONFIRMATIONS_PER_PAGE = 2000
QUARANTINE_AFTER = 5  # failed attempts in a row
PURGE_AFTER = timedelta(days=90)  # a quarantined subscriber nobody released is deleted then
# Standard Webhooks' example schedule (wire-formats section 8) after the first try: 5 s, 5 min, 30 min,
# 2 h, 5 h, 10 h; a subscriber failing that long has long been quarantined (QUARANTINE_AFTER).
RETRY_SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                  timedelta(hours=5), timedelta(hours=10))
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
JITTER = 0.2  # each wait is stretched by up to a fifth, so a receiver back up is not hit by everyone at once


_UNSUBSCRIBE_CONTEXT = b"firebell.status-unsubscribe.v1\x00"
_CONFIRM_CONTEXT = b"firebell.status-confirm.v1\x00"
_MIN_SECRET_BYTES = 16
_MAX_TOKEN_CHARS = 200


class State(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    QUARANTINED = "quarantined"


class Event(StrEnum):
    CONFIRM = "confirm"  # the link in the confirmation mail, or an admin's skip_confirmation
    UNSUBSCRIBE = "unsubscribe"
    QUARANTINE = "quarantine"
    RELEASE = "release"  # an admin lets a quarantined subscriber receive again
    SUBSCRIBE = "subscribe"  # the form again: a new confirmation link


TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.PENDING, Event.CONFIRM): State.CONFIRMED,
    (State.PENDING, Event.UNSUBSCRIBE): State.UNSUBSCRIBED,
    (State.PENDING, Event.SUBSCRIBE): State.PENDING,
    (State.PENDING, Event.QUARANTINE): State.QUARANTINED,  # its confirmation mail bounced
    (State.CONFIRMED, Event.UNSUBSCRIBE): State.UNSUBSCRIBED,
    (State.CONFIRMED, Event.QUARANTINE): State.QUARANTINED,
    (State.CONFIRMED, Event.CONFIRM): State.CONFIRMED,  # the link used twice: nothing changes
    (State.QUARANTINED, Event.RELEASE): State.CONFIRMED,
    (State.QUARANTINED, Event.UNSUBSCRIBE): State.UNSUBSCRIBED,
    (State.UNSUBSCRIBED, Event.SUBSCRIBE): State.PENDING,
    (State.UNSUBSCRIBED, Event.UNSUBSCRIBE): State.UNSUBSCRIBED,  # a second click: still unsubscribed
}


class Refused(ValueError):
    """The event does not apply to the subscriber's state."""


def state_of(confirmed_at: datetime | None, unsubscribed_at: datetime | None,
             quarantined_at: datetime | None) -> State:
    """The state a subscriber's timestamps say; unsubscribing wins over everything."""
    if unsubscribed_at is not None:
        return State.UNSUBSCRIBED
    if quarantined_at is not None:
        return State.QUARANTINED
    return State.CONFIRMED if confirmed_at is not None else State.PENDING


def next_state(state: State, event: Event) -> State:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise Refused(f"a {state.value} subscriber cannot {event.value}") from None


def receives(state: State) -> bool:
    return state is State.CONFIRMED


@dataclass(frozen=True)
class Failures:
    """After one failed attempt: the run of failures, and whether the subscriber is quarantined now."""

    in_a_row: int
    quarantine: bool


def after_failure(in_a_row: int, *, hard: bool, threshold: int = QUARANTINE_AFTER) -> Failures:
    count = in_a_row + 1
    return Failures(count, hard or count >= threshold)


def wants(mode: str, components: Collection[str] | None, kind: str, event: str, touched: Iterable[str],
          choice: NoticeChoice = DEFAULT) -> bool:
    """Whether a subscriber (`components` None: the whole page) receives a notice of `kind` and
    `event` about the components `touched`, under the page's choice of what it tells
    (core/statuspage/notices.py). A notice that names no component concerns the whole page, so
    everyone hears of it."""
    if not heard(choice, kind, event, mode):
        return False
    if components is None:
        return True
    named = set(touched)
    return not named or not named.isdisjoint(components)


def retry_at(attempts: int, now: datetime, spread: float) -> datetime | None:
    """When to try again after `attempts` failed tries (`spread` in [0, 1), the caller's random draw);
    None: the attempts are spent."""
    if attempts < 1 or attempts >= MAX_ATTEMPTS:
        return None
    wait = RETRY_SCHEDULE[attempts - 1]
    return now + wait + wait * (JITTER * min(max(spread, 0.0), 1.0))


def confirmation_open(expires_at: datetime | None, now: datetime) -> bool:
    """A confirmation link works until its expiry second, not from it on."""
    return expires_at is not None and now < expires_at


def token_hash(token: str) -> str:
    """What the store keeps of a confirmation token: reading the database yields no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def confirmation_token(secret: bytes, subscriber_id: str, nonce: str) -> str:
    """The token in a confirmation link, made again from the server's secret when the mail is sent:
    the outbox holds only the nonce, the subscriber only the token's hash."""
    _check(secret, subscriber_id)
    if not nonce:
        raise ValueError("a confirmation needs a nonce")
    return _b64(hmac.new(secret, _CONFIRM_CONTEXT + f"{subscriber_id}\x00{nonce}".encode(), hashlib.sha256).digest())


def unsubscribe_token(secret: bytes, subscriber_id: str) -> str:
    """`<subscriber id>.<signature>`: the one-click link works for as long as the subscriber exists."""
    _check(secret, subscriber_id)
    if "." in subscriber_id:
        raise ValueError("a subscriber id must not contain '.'")
    return f"{subscriber_id}.{_b64(_sign(secret, subscriber_id))}"


def read_unsubscribe_token(secret: bytes, token: str) -> str | None:
    """The subscriber id a token was signed for, or None (malformed or a bad signature); compared in
    constant time."""
    if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 1:
        return None
    subscriber_id, signature = token.split(".")
    if not subscriber_id:
        return None
    try:
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        return None
    return subscriber_id if hmac.compare_digest(given, _sign(secret, subscriber_id)) else None


def _sign(secret: bytes, subscriber_id: str) -> bytes:
    return hmac.new(secret, _UNSUBSCRIBE_CONTEXT + subscriber_id.encode(), hashlib.sha256).digest()


def _check(secret: bytes, subscriber_id: str) -> None:
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"the signing secret must be at least {_MIN_SECRET_BYTES} bytes")
    if not subscriber_id:
        raise ValueError("a subscriber id must not be empty")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def mailbox(address: str) -> str:
    """The mailbox an address reaches: its local part without a +tag (sub-addressing), lower case."""
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def may_send_confirmation(to_mailbox: int, to_page: int) -> bool:
    """Whether another confirmation mail may go out, given those of the last CONFIRMATION_WINDOW."""
    return to_mailbox < CONFIRMATIONS_PER_MAILBOX and to_page < CONFIRMATIONS_PER_PAGE
