"""The outbox sender: claim due notifications, send them outside any transaction, record the result.

Each attempt is fenced by its attempt number: the claim sets `sending`, a deadline and attempts+1,
and the result is recorded only if the row is still that attempt. Temporary failures retry with
exponential backoff and equal jitter (`backoff`); when attempts run out or the failure is permanent,
the row fails and notify/failover.py hands the page to the person's next contact method, and when
none is left, pages the admins about it.

The crash rule. A row still `sending` after its deadline was interrupted (the process died between
claiming and recording), so nobody knows whether it arrived:
- email and webhooks carry the idempotency key to the receiver (`webhook-id`, the Message-ID and
  `X-Firebell-Idempotency-Key`), which lets a receiver drop a repeat: such a row is sent once more,
  with the same key, and marked uncertain; if that attempt is interrupted too, it fails as
  "delivery uncertain" and fails over instead of trying a third time;
- channels whose receivers cannot drop a repeat (SMS, voice) are never resent blindly: the row fails
  as "delivery uncertain" and the page fails over to the next contact method.
Each outcome is a timeline event on the incident.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from firebell.core.outbox_states import Event, State, after_attempt, after_interruption, next_state
from firebell.core.timeline import paging as events
from firebell.core.timeline.messages import MessageSent
from firebell.incidents import timeline
from firebell.incidents.models import Incident
from firebell.notify import bundles, failover, receipts
from firebell.notify.channels.base import Delivery, Links, Message, Rendered
from firebell.notify.links import action_urls
from firebell.notify.models import Notification
from firebell.notify.outbox import MESSAGE, needless
from firebell.notify.outbox import describe as _describe
from firebell.notify.settings import Channels
from firebell.org.models import User
from firebell.store.rawsql import Statement, raw
from firebell.store.secrets import link_secret

log = logging.getLogger(__name__)
# Longer than any channel's own timeouts (webhooks: 5 s connect + 10 s read): past it, a row still
# "sending" was interrupted. FIREBELL_SEND_DEADLINE_S shortens it for crash tests.
SEND_DEADLINE = timedelta(seconds=60)
PER_SEND_BUDGET = timedelta(seconds=20)  # the slowest channel's timeouts (SMTP 10 s; webhooks 5 + 10 s)
# Eight attempts with the waits below span at least ~18 minutes: a receiver down for a deploy or
# a short outage still gets the page, and the next contact method is tried after that.
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=5)
KEYED_CHANNELS = frozenset({"email", "webhook"})  # receivers get the idempotency key
# Pages whose words come from the "page" template (messages/); reminders and admin notices keep their own,
# and webhooks carry a machine payload.
TEMPLATED_KINDS = frozenset({"page", "manual", "trigger"})
TEMPLATED_CHANNELS = frozenset({"email", "sms", "voice", "slack"})


@dataclass(frozen=True)
class Claimed:
    id: str
    attempt: int
    channel: str
    address: str
    incident_id: str
    described: dict[str, Any]  # the page, for the timeline event that records the outcome (see _describe)
    message: Message
    webhook_secret_env: str
    # The other pages sent in the same message (a bundle): (claimed, for each) share the outcome.
    riders: tuple[Claimed, ...] = ()


def _send_deadline() -> timedelta:
    import os

    configured = os.environ.get("FIREBELL_SEND_DEADLINE_S")
    return timedelta(seconds=float(configured)) if configured else SEND_DEADLINE


def backoff(attempt: int, rng: Callable[[], float] = random.random) -> timedelta:
    """Exponential with "equal jitter": half of base * 2^(attempt-1) (capped) for sure, the other
    half random, so retries spread out but the retry window has a known minimum."""
    ceiling: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(attempt - 1, 0)))
    return ceiling / 2 + (ceiling / 2) * rng()


def _recover_interrupted(session: Session, now: datetime) -> None:
    stale = session.execute(_lockable(session, select(Notification).where(
        Notification.state == State.SENDING, Notification.deadline_at < now).limit(100))).scalars().all()
    for row in stale:
        event = after_interruption(keyed=row.channel in KEYED_CHANNELS, uncertain=row.uncertain != 0)
        if event is Event.RESEND_UNCERTAIN:
            row.uncertain, row.state, row.next_attempt_at = 1, next_state(row.state, event), now
            timeline.append(session, row.incident_id, events.NotificationUncertain(
                **_describe(session, row), action="resent once with the same idempotency key"), at=now)
        else:
            failover.fail(session, row, "delivery uncertain: the send was interrupted and is not repeated blindly", now,
                          event)


def _lockable(session: Session, query: Any) -> Any:
    """Claimed rows stay locked (PostgreSQL) until the claim commits; only outbox rows, never the
    incidents joined for their status."""
    if session.get_bind().dialect.name != "postgresql":
        return query
    return query.with_for_update(skip_locked=True, of=Notification)


def claim(session: Session, channels: Channels, now: datetime, limit: int = 50) -> list[Claimed]:
    """Mark due rows as being sent (committed by the caller before anything is sent).

    Due means: pending, its attempt time reached, and no older page to the same address still
    retrying or in flight (each address gets its pages in the order they were made; blocked rows are
    left out in the query, so a receiver that is down cannot starve everyone else). Pages the
    incident no longer needs are cancelled instead: ladder pages once it is acknowledged or
    resolved, trigger pages once it is resolved."""
    _recover_interrupted(session, now)
    # The first unsent page of each address that is still retrying or in flight: pages to that address
    # made after it wait. Computed once per claim through ix_notifications_due.
    blockers = (select(Notification.address, func.min(Notification.created_at).label("first"))
                .where(or_(Notification.state == State.SENDING,
                           and_(Notification.state == State.PENDING, Notification.next_attempt_at > now,
                                Notification.held_reason == "")))
                .group_by(Notification.address).subquery())
    rows = session.execute(_lockable(session, select(Notification, Incident.status)
                                     .join(Incident, Incident.id == Notification.incident_id)
                                     .outerjoin(blockers, blockers.c.address == Notification.address)
                                     .where(Notification.state == State.PENDING, Notification.next_attempt_at <= now,
                                            or_(blockers.c.first.is_(None), Notification.created_at < blockers.c.first))
                                     .order_by(Notification.created_at, Notification.id).limit(limit))).all()
    live = [row for row, status in rows if not _cancelled(session, row, status, now)]

    def held_for(channel: str, address: str) -> list[Notification]:
        found = session.execute(_lockable(session, select(Notification, Incident.status)
                                          .join(Incident, Incident.id == Notification.incident_id)
                                          .where(Notification.address == address, Notification.channel == channel,
                                                 Notification.state == State.PENDING,
                                                 Notification.next_attempt_at > now,
                                                 or_(*(Notification.held_reason.startswith(p)
                                                       for p in bundles.HOLD_PREFIXES))))).all()
        return [row for row, status in found if not _cancelled(session, row, status, now)]

    groups = bundles.plan(session, live, held_for, now)
    user_ids = {row.user_id for group in groups for row in group.rows if row.user_id}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    claimed = []
    for position, group in enumerate(groups):
        # Sends run one after another: each row's deadline leaves room for those before it.
        deadline = now + _send_deadline() + position * PER_SEND_BUDGET
        each = []
        for row in group.rows:
            row.state, row.deadline_at, row.held_reason = next_state(row.state, Event.CLAIM), deadline, ""
            row.attempts += 1
            each.append(Claimed(id=row.id, attempt=row.attempts, channel=row.channel, address=row.address,
                                incident_id=row.incident_id,
                                described=_describe(session, row, names.get(row.user_id or "")),
                                message=_message(session, channels, row, now, group),
                                webhook_secret_env=str(row.message.get("secret_env") or "")))
        claimed.append(replace(each[0], riders=tuple(each[1:])))
    return claimed


def _cancelled(session: Session, row: Notification, status: str, now: datetime) -> bool:
    """Cancel (and say so on the timeline) a page the incident no longer needs."""
    if needless(row, status):
        row.state, row.last_error = next_state(row.state, Event.CANCEL), f"not sent: the incident was {status} first"
        timeline.append(session, row.incident_id, events.NotificationCancelled(
            **_describe(session, row), reason=f"incident {status}"), at=now)
        return True
    return False


def release(session: Session, claimed: Claimed, now: datetime) -> None:
    """Put back a claimed page that was not attempted (an older page to its address just failed,
    so it waits its turn); the attempt does not count."""
    for rider in claimed.riders:
        release(session, rider, now)
    row = session.get(Notification, claimed.id, with_for_update=True, populate_existing=True)
    if row is not None and row.state == State.SENDING and row.attempts == claimed.attempt:
        row.state, row.deadline_at, row.next_attempt_at = next_state(row.state, Event.RELEASE), None, now
        row.attempts -= 1


def _message(session: Session, channels: Channels, row: Notification, now: datetime,
             group: bundles.Group | None = None) -> Message:
    m = row.message
    if group is not None and group.bundle_id:  # one message for several incidents: no per-incident links
        refs = [str(r.message.get("ref", "")) for r in group.rows]
        return Message(idempotency_key=f"bundle:{group.bundle_id}", kind="page", incident_ref=refs[0],
                       title=group.summary, severity=str(m.get("severity", "")), summary=group.summary,
                       recipient=row.address, links=Links(incident=f"{channels.public_url}/incidents"),
                       details={"bundle_refs": refs, "bundle": group.bundle_id})
    incident_url = f"{channels.public_url}/incidents/{m.get('ref', '')}"
    links = Links(incident=incident_url)
    if row.kind == MESSAGE:  # words for an audience, rendered when the message was made (notify/outbox.py)
        said = _stored_words(m) or Rendered()
        return Message(idempotency_key=row.idempotency_key, kind=str(m.get("purpose") or MESSAGE),
                       incident_ref=str(m.get("ref", "")), title=str(m.get("title", "")),
                       severity=str(m.get("severity", "")), summary=said.text, recipient=row.address,
                       links=links, details={"purpose": m.get("purpose"), "audience": m.get("audience")},
                       rendered=said)
    if row.user_id:
        urls = action_urls(link_secret(session), channels.public_url, incident_id=row.incident_id,
                           user_id=row.user_id, notification_id=row.id, now=now)
        links = Links(acknowledge=urls["acknowledge"], resolve=urls["resolve"], incident=incident_url)
    summary = str(m.get("summary") or m.get("title") or "")
    reason = str(m.get("reason") or "")
    note = str(m.get("note") or "")
    body = "\n".join(part for part in (summary, f"Why you: {reason}" if reason else "", note) if part)
    rendered = _stored_words(m)  # chat cards carry the words rendered when they were planned
    if channels.render_page is not None and row.kind in TEMPLATED_KINDS and row.channel in TEMPLATED_CHANNELS:
        page = {"kind": row.kind, "reason": reason, "note": note,  # help, to, actions: a request for help
                "help": str(m.get("help") or ""), "to": str(m.get("to") or ""), "actions": str(m.get("actions") or "")}
        urls = {"acknowledge": links.acknowledge or "", "resolve": links.resolve or ""}
        rendered = channels.render_page(session, row.incident_id, row.channel, page, urls, now, channels.public_url)
    return Message(idempotency_key=row.idempotency_key, kind=row.kind if row.kind != "trigger" else "page",
                   incident_ref=str(m.get("ref", "")), title=str(m.get("title", "")),
                   severity=str(m.get("severity", "")), summary=body, recipient=row.address, links=links,
                   details={k: v for k, v in m.items() if k not in ("secret_env", "rendered")}, rendered=rendered)


def _stored_words(message: dict[str, Any]) -> Rendered | None:
    """The words an outbox row carries (`rendered`, written by notify/outbox.py or chat/posts.py)."""
    stored = message.get("rendered")
    if not isinstance(stored, dict):
        return None
    return Rendered(**{k: str(v) for k, v in stored.items() if k in ("subject", "text", "html", "title")})


def send(channels: Channels, claimed: Claimed) -> Delivery:
    """The I/O: no transaction is open while this runs."""
    import os

    secret = os.environ.get(claimed.webhook_secret_env, "") if claimed.webhook_secret_env else ""
    channel = channels.channel(claimed.channel, secret)
    if channel is None:
        return Delivery.failed(f"channel {claimed.channel} is not configured on this server")
    try:
        return channel.send(claimed.message)
    except Exception as exc:  # a channel must classify, but a bug there must not lose the page
        log.exception("channel %s raised", claimed.channel)
        return Delivery.retry(f"channel error: {type(exc).__name__}")


# The two outcomes that need no row loaded, as single statements fenced on the attempt.
_SENT = Statement(f"""UPDATE notifications SET state = '{next_state(State.SENDING, Event.DELIVERED)}', sent_at = :now,
    provider_id = :provider_id, deadline_at = NULL WHERE id = :id AND state = '{State.SENDING}'
    AND attempts = :attempt""")
_RETRY = Statement(f"""UPDATE notifications SET state = '{next_state(State.SENDING, Event.RETRY)}', deadline_at = NULL,
    last_error = :error, next_attempt_at = :next_attempt_at WHERE id = :id AND state = '{State.SENDING}'
    AND attempts = :attempt""")


def record(session: Session, claimed: Claimed, delivery: Delivery, now: datetime,
           rng: Callable[[], float] = random.random) -> None:
    """The outcome of one attempt, if the row is still that attempt (fenced on the attempt number).
    Sent and retry are single statements; a failure loads the row to fail over. The pages that rode
    along in the same message (a bundle) get the same outcome. Receipts for the message that came
    before this record are applied now (notify/receipts.py)."""
    for rider in claimed.riders:
        _record_one(session, rider, delivery, now, rng)
    _record_one(session, claimed, delivery, now, rng)
    if delivery.ok and delivery.provider_id and claimed.channel in ("sms", "voice"):
        receipts.apply_held(session, delivery.provider_id, now)


def _record_one(session: Session, claimed: Claimed, delivery: Delivery, now: datetime,
                rng: Callable[[], float]) -> None:
    db = raw(session)
    event = after_attempt(delivery.ok, delivery.retryable, claimed.attempt, MAX_ATTEMPTS)
    if event is Event.DELIVERED:
        if db.run(_SENT, {"now": db.ts(now), "provider_id": delivery.provider_id, "id": claimed.id,
                          "attempt": claimed.attempt}):
            # The detail names the provider that took it ("twilio: HTTP 500; backup-sms: accepted").
            if claimed.described["kind"] == MESSAGE:
                timeline.append(session, claimed.incident_id, MessageSent(
                    purpose=claimed.message.kind, channel=claimed.channel,
                    audience=str(claimed.message.details.get("audience") or claimed.address),
                    detail=delivery.detail), at=now)
            else:
                timeline.append(session, claimed.incident_id, events.NotificationSent(
                    **claimed.described, detail=delivery.detail), at=now)
        return
    if event is Event.RETRY:
        db.run(_RETRY, {"error": delivery.detail[:1000], "next_attempt_at": db.ts(now + backoff(claimed.attempt, rng)),
                        "id": claimed.id, "attempt": claimed.attempt})
        return
    row = session.get(Notification, claimed.id, with_for_update=True, populate_existing=True)
    if row is None or row.state != State.SENDING or row.attempts != claimed.attempt:
        return  # fenced: this attempt was declared interrupted and someone else took the row over
    failover.fail(session, row, delivery.detail, now, event)
