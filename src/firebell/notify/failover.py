"""Failover: a page that failed goes to the person's next contact method, and when none is left,
to the admins.

A page fails when the sender gives up on it (a permanent failure, attempts run out, or a send
interrupted by a crash that is not repeated blindly: notify/sender.py) or when the provider took it
but reports later that it was not delivered (notify/receipts.py). Both call here, and this module
calls neither of them back.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.outbox_states import TELLING_KINDS, Event, allows, may_still_reach, next_state
from firebell.core.timeline import paging as events
from firebell.escalation.targets import Page, Recipient
from firebell.incidents import timeline
from firebell.incidents.models import Incident
from firebell.notify.models import Notification
from firebell.notify.outbox import base_step, enqueue, insert_planned, needless, step_key_of
from firebell.notify.outbox import describe as _describe
from firebell.org.models import User

log = logging.getLogger(__name__)


def fail_after_receipt(session: Session, row: Notification, reason: str, now: datetime) -> None:
    """The provider took a page but later reported it undelivered (a failed SMS, an unanswered
    call): fail over to the next contact method as if the send had failed, unless the incident no
    longer needs the page."""
    if not allows(row.state, Event.UNDELIVERED):
        return
    status = session.execute(select(Incident.status).where(Incident.id == row.incident_id)).scalar()
    if not needless(row, status):
        fail(session, row, reason, now, Event.UNDELIVERED)


def fail(session: Session, row: Notification, reason: str, now: datetime, event: Event) -> None:
    """Fail the page (`event` says why: an attempt failed, a send was interrupted, a receipt said it
    never arrived), then hand it to the person's next contact method, or tell the admins."""
    row.state, row.deadline_at, row.last_error = next_state(row.state, event), None, reason[:1000]
    timeline.append(session, row.incident_id, events.NotificationFailed(**_describe(session, row), reason=reason),
                    at=now)
    if row.kind == "admin":
        log.error("could not tell admins that a page failed: %s", reason)
        return
    if row.kind in TELLING_KINDS:  # news for a chat space, not a page: the timeline says it failed
        return
    if row.user_id:
        # The other notifications of this step to this person (a rule may have planned several
        # methods): failover skips methods already planned, and while one of them may still reach
        # the person, running out of methods is not yet a reason to tell the admins.
        base = base_step(step_key_of(row))
        siblings = [(other.contact_position, other.state) for other in session.execute(
            select(Notification).where(Notification.incident_id == row.incident_id,
                                       Notification.user_id == row.user_id, Notification.id != row.id)).scalars()
            if base_step(step_key_of(other)) == base]
        used = {position for position, _state in siblings} | {row.contact_position}
        position = row.contact_position + 1
        while position in used:
            position += 1
        following = enqueue(session, incident_id=row.incident_id,
                            recipient=Recipient(target=row.target, user_id=row.user_id, user_name=""),
                            step_key=step_key_of(row), level=row.level, loop=row.loop, kind=row.kind,
                            message=row.message, now=now, position=position)
        if following is not None:
            timeline.append(session, row.incident_id, events.NotificationFailover(
                **_describe(session, row), next_channel=following.channel), at=now)
            return
        if any(may_still_reach(state) for _position, state in siblings):
            return
    _page_admins(session, row, reason, now)


def _page_admins(session: Session, failed: Notification, reason: str, now: datetime) -> None:
    """Every way to reach someone failed: tell the admins, through their own contact methods."""
    incident = session.get(Incident, failed.incident_id)
    admins = session.execute(select(User.id, User.name).where(User.access == "admin",
                                                              User.archived_at.is_(None))).all()
    message = dict(failed.message) | {
        "title": f"Page could not be delivered: {incident.ref if incident else ''} {failed.message.get('title', '')}",
        "reason": f"{failed.channel} to {failed.target} failed: {reason}"}
    insert_planned(session, [Page(incident_id=failed.incident_id, step_key=f"A:{failed.id}", level=failed.level,
                                  loop=failed.loop, kind="admin", message=message,
                                  recipient=Recipient(target="admins", user_id=admin.id, user_name=admin.name))
                             for admin in admins], now)
    timeline.append(session, failed.incident_id, events.PageUndeliverable(
        **_describe(session, failed), reason=reason, admins_told=[a.name for a in admins]), at=now)
