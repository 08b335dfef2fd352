"""Delivery receipts from the SMS and voice provider (Twilio's status callbacks).

A receipt moves each page the message carried forward (`delivery_status` never goes back: receipts
arrive out of order); a message that ends undelivered, or a call that is not answered, is a
`notification_undelivered` timeline event and fails over to the person's next contact method.

A receipt can overtake the sender: Twilio may call back before the sender has recorded the message's
id (it records a batch of sends at once). Such a receipt is held, and applied when the id is
recorded; receipts for ids nobody records are dropped after a day. Both paths take a lock named by
the id first, so on PostgreSQL one of them always sees the other's commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from firebell.core.phone_replies import call_status_advances, receipt_advances
from firebell.core.timeline.paging import NotificationUndelivered
from firebell.incidents import timeline
from firebell.notify.failover import fail_after_receipt
from firebell.notify.models import HeldReceipt, Notification
from firebell.org.models import User
from firebell.store.locks import advisory_lock

log = logging.getLogger(__name__)
HELD_FOR = timedelta(days=1)
# Outcomes after which the person was not reached.
UNDELIVERED_MESSAGE = frozenset({"undelivered", "failed"})
UNREACHED_CALL = frozenset({"failed", "busy", "no-answer"})
# Twilio's most common reasons an SMS was not delivered (www.twilio.com/docs/api/errors).
SMS_ERRORS = {
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier",
    "30008": "unknown error",
}


def receive(session: Session, provider_id: str, status: str, is_call: bool, error_code: str, now: datetime) -> bool:
    """Apply a receipt to the pages with this provider id; hold it when there are none yet.
    True when it was applied."""
    advisory_lock(session, "receipt", provider_id)
    if _apply(session, provider_id, status, is_call, error_code, now):
        return True
    log.info("a delivery receipt for %s, which no notification has yet: held", provider_id)
    session.add(HeldReceipt(provider_id=provider_id, status=status, is_call=is_call, error_code=error_code,
                            received_at=now))
    return False


def apply_held(session: Session, provider_id: str, now: datetime) -> None:
    """The sender has just recorded `provider_id`: apply the receipts that came before it did."""
    advisory_lock(session, "receipt", provider_id)
    held = session.execute(select(HeldReceipt).where(HeldReceipt.provider_id == provider_id)
                           .order_by(HeldReceipt.id)).scalars().all()
    for receipt in held:
        _apply(session, provider_id, receipt.status, receipt.is_call, receipt.error_code, now)
        session.delete(receipt)


def prune(session: Session, now: datetime) -> None:
    session.execute(delete(HeldReceipt).where(HeldReceipt.received_at < now - HELD_FOR))


def _apply(session: Session, provider_id: str, status: str, is_call: bool, error_code: str, now: datetime) -> bool:
    found = session.execute(select(Notification)
                            .where(Notification.channel.in_(("sms", "voice")), Notification.provider_id == provider_id)
                            .order_by(Notification.created_at, Notification.id)
                            .with_for_update(), execution_options={"populate_existing": True}).scalars().all()
    if not found:
        return False
    advances = call_status_advances if is_call else receipt_advances
    for row in found:
        if not advances(row.delivery_status, status):
            continue
        row.delivery_status = status
        if status in (UNREACHED_CALL if is_call else UNDELIVERED_MESSAGE):
            _undelivered(session, row, status, error_code, is_call, now)
            fail_after_receipt(session, row, f"{row.channel} {status}" + (f" (error {error_code})" if error_code
                                                                            else ""), now)
    return True


def _undelivered(session: Session, row: Notification, status: str, error_code: str, is_call: bool,
                 now: datetime) -> None:
    user = session.execute(select(User.name).where(User.id == row.user_id)).scalar() if row.user_id else None
    timeline.append(session, row.incident_id, NotificationUndelivered(
        notification=row.id, user=user, channel=row.channel, target=row.target, status=status,
        error_code=int(error_code) if error_code.isdigit() else (error_code or None),
        provider=(row.provider_id or "").partition(":")[0],
        error=SMS_ERRORS[error_code] if error_code in SMS_ERRORS and not is_call else None), at=now)
