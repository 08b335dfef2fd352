"""The subscribers' sender: claim due deliveries, send them outside any transaction, record each result.

A claim marks rows `sending` with a deadline and attempts + 1 and commits before anything is sent; a
result is recorded only while the row is still that attempt (a fence). A success clears the
subscriber's run of failures; a failure counts toward its quarantine (core/status_subscriptions:
`QUARANTINE_AFTER` in a row, or one hard failure such as an SMTP 5xx bounce or an HTTP 4xx), and a
retryable one is tried again on the Standard Webhooks schedule until the attempts run out. A
quarantined or unsubscribed subscriber's queued deliveries are cancelled.

The crash rule: a row still `sending` after its deadline was interrupted. Mail and webhooks carry
the delivery's key to the receiver (Message-ID, webhook-id), so such a row is simply due again; chat
cards carry none, so theirs fail as "delivery uncertain" rather than post twice.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.core import status_subscriptions as rules
from firebell.core.message_text import utc_text
from firebell.notify.channels.base import Delivery
from firebell.statuspage.public import live_page
from firebell.statuspage.subscriptions import mail, service, words
from firebell.statuspage.subscriptions.models import StatusDelivery, StatusNotice, StatusSubscriber
from firebell.statuspage.subscriptions.transports import NotConfigured, Outgoing, Transports
from firebell.store.secrets import link_secret

SEND_DEADLINE = timedelta(minutes=2)
PER_SEND_BUDGET = timedelta(seconds=1)  # mail and webhooks answer in milliseconds; the deadline covers a slow one
NOT_CONFIGURED_WAIT = timedelta(minutes=5)
KEYED_MODES = frozenset({"email", "webhook"})
CLAIM_BATCH = 200


@dataclass(frozen=True)
class Claimed:
    id: str
    attempt: int
    subscriber_id: str
    outgoing: Outgoing


def _lockable(session: Session, query: Any) -> Any:
    if session.get_bind().dialect.name != "postgresql":
        return query
    return query.with_for_update(skip_locked=True, of=StatusDelivery)


def _recover_interrupted(session: Session, now: datetime) -> None:
    stale = session.execute(_lockable(session, select(StatusDelivery, StatusSubscriber.mode)
                                      .join(StatusSubscriber, StatusSubscriber.id == StatusDelivery.subscriber_id)
                                      .where(StatusDelivery.status == "sending", StatusDelivery.next_attempt_at < now)
                                      .limit(CLAIM_BATCH))).all()
    for row, mode in stale:
        if mode in KEYED_MODES and row.attempts < rules.MAX_ATTEMPTS:
            row.status, row.next_attempt_at = "pending", now
        else:
            row.status, row.last_error = "failed", "delivery uncertain: the send was interrupted"


def claim(session: Session, public_url: str, now: datetime, limit: int = CLAIM_BATCH) -> list[Claimed]:
    """Due deliveries of subscribers still receiving, marked `sending` (the caller commits first)."""
    _recover_interrupted(session, now)
    rows = session.execute(_lockable(session, select(StatusDelivery, StatusSubscriber)
                                     .join(StatusSubscriber, StatusSubscriber.id == StatusDelivery.subscriber_id)
                                     .where(StatusDelivery.status == "pending", StatusDelivery.next_attempt_at <= now)
                                     .order_by(StatusDelivery.next_attempt_at, StatusDelivery.id)
                                     .limit(limit))).all()
    notice_ids = {row.notice_id for row, _ in rows if row.notice_id}
    notices: dict[str, dict[str, Any]] = dict(session.execute(select(StatusNotice.id, StatusNotice.notice)
                                   .where(StatusNotice.id.in_(notice_ids))).all()) if notice_ids else {}
    secret = link_secret(session) if rows else b""
    said: dict[str, words.Words] = {}
    mails: dict[str, mail.Mail] = {}  # rendered once per notice, not per subscriber
    claimed: list[Claimed] = []
    for row, subscriber in rows:
        current = service.state(subscriber)
        confirmation = row.notice_id is None
        if current is not (rules.State.PENDING if confirmation else rules.State.CONFIRMED):
            row.status, row.last_error = "cancelled", f"not sent: the subscriber is {current.value}"
            continue
        row.status, row.attempts = "sending", row.attempts + 1
        row.next_attempt_at = now + SEND_DEADLINE + len(claimed) * PER_SEND_BUDGET
        unsubscribe = f"{public_url}/subscriptions/unsubscribe/{rules.unsubscribe_token(secret, subscriber.id)}"
        if confirmation:
            outgoing = _confirmation(session, row, subscriber, secret, public_url, unsubscribe, now)
        else:
            notice = notices[row.notice_id]
            if row.notice_id not in said:
                said[row.notice_id] = words.notice_words(notice)
            written = None
            if subscriber.mode == "email":
                if row.notice_id not in mails:
                    mails[row.notice_id] = mail.notice_mail(session, notice, utc_text(now))
                written = mails[row.notice_id]
            outgoing = _notice(row, subscriber, notice, said[row.notice_id], written, unsubscribe, public_url)
        claimed.append(Claimed(row.id, row.attempts, subscriber.id, outgoing))
    return claimed


_UNNAMED_PAGE = "the status page"


def _page_name(session: Session) -> str:
    """The page's own name for the confirmation mail (the notices carry theirs)."""
    page = live_page(session)
    return page.name if page is not None and page.name else _UNNAMED_PAGE


def _confirmation(session: Session, row: StatusDelivery, subscriber: StatusSubscriber, secret: bytes,
                  public_url: str, unsubscribe: str, now: datetime) -> Outgoing:
    """Rendered per subscriber (each has its own link; they are one a subscribe, not thousands a notice).
    A template that leaves the link out still sends it: without it nobody could ever confirm."""
    token = rules.confirmation_token(secret, subscriber.id, str(row.payload.get("nonce", "")))
    link = f"{public_url}/subscriptions/confirm/{token}"
    page_name = _page_name(session)
    written = mail.confirmation_mail(session, page_name, link,
                                     int(rules.CONFIRMATION_TTL.total_seconds() // 3600), utc_text(now))
    text, content = written.text, written.html
    if link not in text:
        text = f"{text.rstrip()}\n\nConfirm: {link}\n"
    if html.escape(link, quote=True) not in content:
        content += f'\n<p><a href="{html.escape(link, quote=True)}">Confirm the subscription</a></p>'
    said = words.Words(subject=written.subject, title=written.subject, text=text, url=link)
    return Outgoing(mode=subscriber.mode, address=subscriber.address, idempotency_key=row.idempotency_key,
                    words=said, page_name=page_name, unsubscribe_url=unsubscribe, mail_subject=written.subject,
                    mail_text=words.mail_text(text, page_name, unsubscribe),
                    mail_html=words.mail_html(content, page_name, unsubscribe), subscriber=subscriber.id)


def _notice(row: StatusDelivery, subscriber: StatusSubscriber, notice: dict[str, Any], said: words.Words,
            written: mail.Mail | None, unsubscribe: str, public_url: str) -> Outgoing:
    page_name = str(notice.get("page_name") or _UNNAMED_PAGE)
    return Outgoing(mode=subscriber.mode, address=subscriber.address, idempotency_key=row.idempotency_key,
                    words=said, page_name=page_name, unsubscribe_url=unsubscribe,
                    mail_subject=written.subject if written else "",
                    mail_text=words.mail_text(written.text, page_name, unsubscribe) if written else "",
                    mail_html=words.mail_html(written.html, page_name, unsubscribe) if written else "",
                    webhook_body=words.webhook_body(notice, unsubscribe, f"{public_url}/subscribe")
                    if subscriber.mode == "webhook" else None,
                    webhook_secret=subscriber.webhook_secret, subscriber=subscriber.id)


Result = Delivery | NotConfigured


def send(transports: Transports, claimed: list[Claimed]) -> list[Result]:
    """Each in turn, the batch's mail over one SMTP connection; a failure is that message's alone."""
    results: list[Result] = []
    with transports.batch():
        for one in claimed:
            try:
                results.append(transports.send(one.outgoing))
            except NotConfigured as exc:
                results.append(exc)
    return results


def record(session: Session, claimed: list[Claimed], results: list[Result], now: datetime,
           spread: Callable[[], float] = random.random) -> None:
    """The outcome of each claimed delivery, fenced by its attempt number."""
    ids = [one.id for one in claimed]
    rows = {row.id: row for row in session.execute(
        select(StatusDelivery).where(StatusDelivery.id.in_(ids)).with_for_update()
        .execution_options(populate_existing=True)).scalars()} if ids else {}
    subscribers = {s.id: s for s in session.execute(
        select(StatusSubscriber).where(StatusSubscriber.id.in_({one.subscriber_id for one in claimed}))
        .with_for_update().execution_options(populate_existing=True)).scalars()} if ids else {}
    for one, result in zip(claimed, results, strict=True):
        row, subscriber = rows.get(one.id), subscribers.get(one.subscriber_id)
        if row is None or subscriber is None or row.status != "sending" or row.attempts != one.attempt:
            continue  # removed, or a later attempt owns it
        if isinstance(result, NotConfigured):  # the server's gap, not the subscriber's: wait, uncounted
            row.status, row.attempts, row.last_error = "pending", row.attempts - 1, str(result)
            row.next_attempt_at = now + NOT_CONFIGURED_WAIT
        elif result.ok:
            row.status, row.sent_at, row.last_error = "sent", now, ""
            subscriber.consecutive_failures, subscriber.last_error = 0, ""
        else:
            _failed(session, row, subscriber, result, now, spread())


def _failed(session: Session, row: StatusDelivery, subscriber: StatusSubscriber, result: Delivery, now: datetime,
            spread: float) -> None:
    row.last_error = subscriber.last_error = result.detail[:500]
    failures = rules.after_failure(subscriber.consecutive_failures, hard=not result.retryable)
    subscriber.consecutive_failures = failures.in_a_row
    again = rules.retry_at(row.attempts, now, spread) if result.retryable else None
    if failures.quarantine:
        row.status = "failed"
        if subscriber.quarantined_at is None:
            subscriber.quarantined_at, subscriber.purge_at = now, now + rules.PURGE_AFTER
        service.cancel_queued(session, subscriber.id, "the subscriber is quarantined")
    elif again is None:
        row.status = "failed"
    else:
        row.status, row.next_attempt_at = "pending", again


def next_due(session: Session) -> datetime | None:
    due: datetime | None = session.execute(select(func.min(StatusDelivery.next_attempt_at))
                                           .where(StatusDelivery.status.in_(("pending", "sending")))).scalar()
    return due
