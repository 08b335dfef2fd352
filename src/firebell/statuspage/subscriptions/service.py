"""Subscribers' use cases: subscribe from the public form (double opt-in), confirm, unsubscribe, and
the admin's list, add, remove, release and CSV import. The caller's unit of work commits; mail goes
through the delivery outbox (outbox.py), never from inside a request.

The public form always answers the same way, whatever the address's state, so it cannot be used to
learn who subscribed; a pending address gets at most one confirmation mail per `RESEND_AFTER`, so it
cannot be used to flood someone's inbox either.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.audit.log import record
from firebell.core import status_subscriptions as rules
from firebell.errors import Forbidden, Invalid, NotFound
from firebell.notify.channels.webhook import decode_webhook_secret
from firebell.statuspage.subscriptions.models import StatusDelivery, StatusSubscriber
from firebell.store.secrets import link_secret
from firebell.store.uow import due_after_commit

RESEND_AFTER = timedelta(minutes=10)
MAX_ADDRESS = 320
MAX_URL = 2000
MAX_COMPONENTS = 100
MAX_IMPORT_ROWS = 50_000
MAX_CSV_BYTES = 1_000_000  # the API's body limit (app.py): some 25,000 rows
CHAT_MODES = ("slack", "teams", "google_chat")


def normal_email(text: str) -> str:
    """The address as stored (trimmed, lower case), or Invalid."""
    address = text.strip().lower()
    local, _, domain = address.rpartition("@")
    if (not local or "." not in domain or any(not label for label in domain.split(".")) or len(address) > MAX_ADDRESS
            or any(c.isspace() or ord(c) < 32 or c in "<>,;\"()[]\\@" for c in local + domain)):
        raise Invalid(f"{text.strip()[:80]!r} is not an email address")
    if not address.isascii():  # mail goes out without SMTPUTF8; U+FFFD is what bad bytes became
        raise Invalid(f"{text.strip()[:80]!r}: use an ASCII address (an international domain in its xn-- form)")
    return address


def normal_endpoint(text: str) -> str:
    url = text.strip()
    parts = urlsplit(url) if url.isascii() and len(url) <= MAX_URL else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise Invalid("an endpoint is an http(s) URL of at most 2000 ASCII characters")
    return url


def normal_components(ids: Collection[str] | None, known: Collection[str] | None = None) -> list[str] | None:
    """None (or empty): the whole page. `known`, when given, is every component a subscriber may pick."""
    if not ids:
        return None
    chosen = sorted({i.strip() for i in ids if i.strip()})
    if len(chosen) > MAX_COMPONENTS:
        raise Invalid(f"at most {MAX_COMPONENTS} components")
    unknown = [i for i in chosen if known is not None and i not in known]
    if unknown:
        raise Invalid(f"no such component: {', '.join(unknown[:5])}")
    return chosen or None


def state(subscriber: StatusSubscriber) -> rules.State:
    return rules.state_of(subscriber.confirmed_at, subscriber.unsubscribed_at, subscriber.quarantined_at)


def subscriber_of(session: Session, mode: str, address: str) -> StatusSubscriber | None:
    return session.execute(select(StatusSubscriber).where(StatusSubscriber.mode == mode,
                                                          StatusSubscriber.address == address)).scalar_one_or_none()


def queue_confirmation(session: Session, subscriber: StatusSubscriber, now: datetime) -> None:
    """A new confirmation link (the old one stops working) and its mail in the outbox. The row keeps the
    token's hash, the outbox only the nonce the sender makes the token from with the server's secret."""
    nonce = secrets.token_urlsafe(16)
    token = rules.confirmation_token(link_secret(session), subscriber.id, nonce)
    subscriber.confirm_token_hash = rules.token_hash(token)
    subscriber.confirm_expires_at = now + rules.CONFIRMATION_TTL
    session.add(StatusDelivery(subscriber_id=subscriber.id, notice_id=None, notice_key="confirmation",
                               idempotency_key=f"confirm:{subscriber.id}:{nonce}", payload={"nonce": nonce},
                               status="pending", attempts=0, next_attempt_at=now, created_at=now, last_error=""))
    due_after_commit(session)


def subscribe_email(session: Session, email: str, component_ids: Collection[str] | None, now: datetime,
                    known: Collection[str] | None = None) -> None:
    """The public form: a pending subscriber and a confirmation mail, or nothing visible at all."""
    address = normal_email(email)
    components = normal_components(component_ids, known)
    subscriber = subscriber_of(session, "email", address)
    if not _may_confirm(session, address, now):
        return  # the same answer as ever: nobody learns that a limit was met, and no mail goes out
    if subscriber is None:
        subscriber = StatusSubscriber(mode="email", address=address, component_ids=components, source="form",
                                      created_at=now, consecutive_failures=0, last_error="", webhook_secret="")
        session.add(subscriber)
        session.flush()
        queue_confirmation(session, subscriber, now)
        return
    current = state(subscriber)
    if current in (rules.State.CONFIRMED, rules.State.QUARANTINED):
        return  # already receiving (or held by an admin): said nothing, changed nothing
    if current is rules.State.PENDING and subscriber.confirm_expires_at is not None \
            and subscriber.confirm_expires_at - rules.CONFIRMATION_TTL > now - RESEND_AFTER:
        return  # a link went out moments ago
    rules.next_state(current, rules.Event.SUBSCRIBE)
    subscriber.unsubscribed_at, subscriber.component_ids = None, components
    queue_confirmation(session, subscriber, now)


def _may_confirm(session: Session, address: str, now: datetime) -> bool:
    """Under the hourly caps on confirmation mails (core/status_subscriptions.may_send_confirmation)."""
    recent = (select(StatusDelivery.id)
              .join(StatusSubscriber, StatusSubscriber.id == StatusDelivery.subscriber_id)
              .where(StatusDelivery.notice_key == "confirmation",
                     StatusDelivery.created_at >= now - rules.CONFIRMATION_WINDOW))
    box = rules.mailbox(address)
    local, _, domain = box.rpartition("@")
    to_page = session.scalar(select(func.count()).select_from(recent.subquery())) or 0
    near = session.scalars(recent.with_only_columns(StatusSubscriber.address).where(
        StatusSubscriber.address.startswith(local, autoescape=True),
        StatusSubscriber.address.endswith(f"@{domain}", autoescape=True)))
    return rules.may_send_confirmation(sum(1 for other in near if rules.mailbox(other) == box), to_page)


@dataclass(frozen=True)
class Confirmation:
    outcome: str  # "ready" (GET: the button), "confirmed", "expired", "unknown"
    address: str = ""


def _by_token(session: Session, token: str) -> StatusSubscriber | None:
    if not token or len(token) > 200:
        return None
    return session.execute(select(StatusSubscriber).where(
        StatusSubscriber.confirm_token_hash == rules.token_hash(token))).scalar_one_or_none()


def look_up_confirmation(session: Session, token: str, now: datetime) -> Confirmation:
    subscriber = _by_token(session, token)
    if subscriber is None or state(subscriber) is not rules.State.PENDING:
        return Confirmation("unknown")
    if not rules.confirmation_open(subscriber.confirm_expires_at, now):
        return Confirmation("expired")
    return Confirmation("ready", subscriber.address)


def confirm(session: Session, token: str, now: datetime) -> Confirmation:
    looked = look_up_confirmation(session, token, now)
    if looked.outcome != "ready":
        return looked
    subscriber = _by_token(session, token)
    assert subscriber is not None
    rules.next_state(rules.State.PENDING, rules.Event.CONFIRM)
    subscriber.confirmed_at, subscriber.confirm_token_hash, subscriber.confirm_expires_at = now, None, None
    return Confirmation("confirmed", subscriber.address)


def unsubscriber(session: Session, token: str) -> StatusSubscriber | None:
    """The subscriber a signed unsubscribe token names, if it still exists."""
    subscriber_id = rules.read_unsubscribe_token(link_secret(session), token)
    return None if subscriber_id is None else session.get(StatusSubscriber, subscriber_id)


def unsubscribe(session: Session, token: str, now: datetime) -> StatusSubscriber | None:
    """One click: the subscriber receives nothing from now on (what was queued is cancelled)."""
    subscriber = unsubscriber(session, token)
    if subscriber is None:
        return None
    rules.next_state(state(subscriber), rules.Event.UNSUBSCRIBE)
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = now
        subscriber.confirm_token_hash = subscriber.confirm_expires_at = None
        cancel_queued(session, subscriber.id, "unsubscribed")
    return subscriber


def cancel_queued(session: Session, subscriber_id: str, why: str) -> None:
    session.execute(update(StatusDelivery).where(StatusDelivery.subscriber_id == subscriber_id,
                                                 StatusDelivery.status == "pending")
                    .values(status="cancelled", last_error=f"not sent: {why}"))


def unsubscribe_url(session: Session, public_url: str, subscriber_id: str) -> str:
    return f"{public_url}/subscriptions/unsubscribe/{rules.unsubscribe_token(link_secret(session), subscriber_id)}"


# ---- the admin's side -------------------------------------------------------------------------------

def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("only an admin manages status page subscribers")


def shown_address(subscriber: StatusSubscriber) -> str:
    """An email address as it is; an endpoint by its origin only (a chat or webhook URL's path is
    often its credential)."""
    if subscriber.mode == "email":
        return subscriber.address
    parts = urlsplit(subscriber.address)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def describe(subscriber: StatusSubscriber) -> dict[str, Any]:
    """What admins see of a subscriber: never its secret or a token."""
    return {"id": subscriber.id, "mode": subscriber.mode, "address": shown_address(subscriber),
            "component_ids": subscriber.component_ids, "state": state(subscriber).value,
            "source": subscriber.source, "created_at": subscriber.created_at,
            "confirmed_at": subscriber.confirmed_at, "unsubscribed_at": subscriber.unsubscribed_at,
            "quarantined_at": subscriber.quarantined_at, "purge_at": subscriber.purge_at,
            "consecutive_failures": subscriber.consecutive_failures, "last_error": subscriber.last_error}


def listing(session: Session, actor: Actor, state_filter: str | None = None) -> list[dict[str, Any]]:
    _require_admin(actor)
    rows = session.execute(select(StatusSubscriber).order_by(StatusSubscriber.created_at,
                                                             StatusSubscriber.id)).scalars().all()
    shown = [describe(row) for row in rows]
    return [s for s in shown if state_filter is None or s["state"] == state_filter]


def add(session: Session, actor: Actor, mode: str, address: str, now: datetime, *,
        component_ids: Collection[str] | None = None, skip_confirmation: bool = False, webhook_secret: str = "",
        source: str = "api") -> StatusSubscriber:
    """An admin's subscriber. Email waits for its confirmation unless `skip_confirmation`; webhooks and
    chat endpoints are the admin's own word and start confirmed."""
    _require_admin(actor)
    subscriber = _add(session, mode, address, now, component_ids, skip_confirmation, webhook_secret, source)
    record(session, actor=actor.label, action="status_subscriber.add", subject=subscriber.id,
           details={"mode": mode, "skip_confirmation": skip_confirmation, "source": source}, now=now)
    return subscriber


def _add(session: Session, mode: str, address: str, now: datetime, component_ids: Collection[str] | None,
         skip_confirmation: bool, webhook_secret: str, source: str) -> StatusSubscriber:
    if mode not in rules.MODES:
        raise Invalid(f"mode is one of {', '.join(rules.MODES)}")
    normal = normal_email(address) if mode == "email" else normal_endpoint(address)
    if webhook_secret:
        if mode != "webhook":
            raise Invalid("only webhook subscribers take a secret")
        try:
            decode_webhook_secret(webhook_secret)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
    if subscriber_of(session, mode, normal) is not None:
        raise Invalid(f"that {mode} subscriber exists already")
    confirmed = mode != "email" or skip_confirmation
    subscriber = StatusSubscriber(mode=mode, address=normal, component_ids=normal_components(component_ids),
                                  source=source, created_at=now, confirmed_at=now if confirmed else None,
                                  consecutive_failures=0, last_error="", webhook_secret=webhook_secret)
    session.add(subscriber)
    session.flush()
    if not confirmed:
        queue_confirmation(session, subscriber, now)
    return subscriber


def _admin_row(session: Session, actor: Actor, subscriber_id: str) -> StatusSubscriber:
    _require_admin(actor)
    subscriber = session.get(StatusSubscriber, subscriber_id)
    if subscriber is None:
        raise NotFound(f"no subscriber {subscriber_id}")
    return subscriber


def remove(session: Session, actor: Actor, subscriber_id: str, now: datetime) -> None:
    subscriber = _admin_row(session, actor, subscriber_id)
    session.delete(subscriber)  # its deliveries go with it (ON DELETE CASCADE)
    record(session, actor=actor.label, action="status_subscriber.remove", subject=subscriber_id,
           details={"mode": subscriber.mode}, now=now)


def release(session: Session, actor: Actor, subscriber_id: str, now: datetime) -> StatusSubscriber:
    """Out of quarantine: it receives the next notices (those cancelled meanwhile are not re-sent)."""
    subscriber = _admin_row(session, actor, subscriber_id)
    try:
        rules.next_state(state(subscriber), rules.Event.RELEASE)
    except rules.Refused as exc:
        raise Invalid(str(exc)) from None
    subscriber.quarantined_at = subscriber.purge_at = None
    subscriber.consecutive_failures, subscriber.last_error = 0, ""
    if subscriber.confirmed_at is None:  # its confirmation bounced: it never confirmed
        queue_confirmation(session, subscriber, now)
    record(session, actor=actor.label, action="status_subscriber.release", subject=subscriber_id, now=now)
    return subscriber


@dataclass
class Imported:
    added: int = 0
    existing: int = 0
    invalid: list[dict[str, Any]] = field(default_factory=list)  # {"line", "reason"}


def csv_text(raw: bytes) -> str:
    """An uploaded CSV as text, or Invalid (too large, or not UTF-8): the API's body and the console's file."""
    if len(raw) > MAX_CSV_BYTES:
        raise Invalid(f"at most {MAX_CSV_BYTES} bytes of CSV")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the CSV must be UTF-8") from None


def import_csv(session: Session, actor: Actor, text: str, now: datetime, *, skip_confirmation: bool) -> Imported:
    """Rows of `email` (or `mode,address`), an optional `components` column of ids separated by spaces
    or `;`, and a header row naming them. Each new email waits for its confirmation mail unless the
    admin says `skip_confirmation`. Known addresses are left as they are."""
    _require_admin(actor)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {name.strip().lower() for name in reader.fieldnames or []}
    if not fields & {"email", "address"}:
        raise Invalid("the CSV needs a header row with an `email` (or `mode` and `address`) column")
    result = Imported()
    for number, row in enumerate(reader, start=2):
        if number > MAX_IMPORT_ROWS + 1:
            raise Invalid(f"at most {MAX_IMPORT_ROWS} rows per import")
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        mode = row.get("mode") or "email"
        address = row.get("address") or row.get("email") or ""
        components = row.get("components", "").replace(";", " ").split()
        try:
            normal = normal_email(address) if mode == "email" else normal_endpoint(address)
            if subscriber_of(session, mode, normal) is not None:
                result.existing += 1
                continue
            _add(session, mode, normal, now, components, skip_confirmation, "", "import")
        except Invalid as exc:
            result.invalid.append({"line": number, "reason": exc.message})
            continue
        result.added += 1
    record(session, actor=actor.label, action="status_subscriber.import",
           details={"added": result.added, "existing": result.existing, "invalid": len(result.invalid),
                    "skip_confirmation": skip_confirmation}, now=now)
    return result
