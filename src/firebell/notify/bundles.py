"""Rate limits and bundling in the sender: the I/O around `core.bundling.decide`.

Channels that buzz a person (SMS, voice, Slack DMs) are limited per address and per channel, and a
burst of pages to one address goes as one message ("3 incidents need you: ..."). Held pages stay
pending with their reason in `held_reason` (shown by the API and CLI) and a timeline event when a
rate limit holds them; a bundle is a timeline event on each incident it carries.

Email and webhooks are not limited here: a webhook URL is often one receiver for a whole
organisation (limiting it would delay everybody's pages), and mail is threaded by the reader.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from firebell.core import bundling
from firebell.core.notification_rules import Channel
from firebell.core.outbox_states import TELLING_KINDS
from firebell.core.timeline.paging import NotificationBundled, NotificationHeld
from firebell.incidents import timeline
from firebell.notify.models import Notification

LIMITED: frozenset[str] = frozenset({"sms", "voice", "slack"})
# Reasons that mean "would have gone, but held by us": such pages are gathered into the next bundle.
HOLD_PREFIXES = ("bundling:", "rate limited:")


@dataclass
class Group:
    """Pages going out as one message: the first carries it, all share the outcome."""

    rows: list[Notification]
    summary: str = ""
    bundle_id: str | None = None


def _pending(row: Notification) -> bundling.PendingPage:
    m = row.message
    return bundling.PendingPage(id=row.id, incident_ref=str(m.get("ref", "")), title=str(m.get("title", "")),
                                severity=str(m.get("severity", "")), created_at=row.created_at)


def _sent_since(session: Session, since: datetime, address: str | None, channel: str) -> list[datetime]:
    """When messages went out (a bundle counts once)."""
    query = select(func.min(Notification.sent_at)).where(Notification.state == "sent", Notification.sent_at > since,
                                                         Notification.channel == channel)
    if address is not None:
        query = query.where(Notification.address == address)
    query = query.group_by(func.coalesce(Notification.bundle_id, Notification.id))
    return [at for at in session.execute(query).scalars() if at is not None]


def plan(session: Session, live: Sequence[Notification], held_rows: Any, now: datetime) -> list[Group]:
    """Split due rows into what goes now (as groups) and what is held (updated in place).
    `held_rows(channel, address)` returns the pages already held for bundling or a rate limit."""
    groups: list[Group] = []
    by_address: dict[tuple[str, str], list[Notification]] = {}
    for row in live:
        if row.channel in LIMITED and row.kind not in TELLING_KINDS:  # news for an audience, not a person's page
            by_address.setdefault((row.channel, row.address), []).append(row)
        else:
            groups.append(Group([row]))
    channel_sends: dict[str, list[datetime]] = {}  # the channel-wide window, read once per claim
    for (channel, address), rows in by_address.items():
        waiting = {r.id: r for r in held_rows(channel, address)} | {r.id: r for r in rows}
        limits = bundling.limits_for(cast(Channel, channel))
        if channel not in channel_sends:
            channel_sends[channel] = _sent_since(session, now - limits.global_window, None, channel)
        decision = bundling.decide(
            [_pending(r) for r in waiting.values()],
            _sent_since(session, now - limits.method_window, address, channel), channel_sends[channel],
            cast(Channel, channel), now, limits, address=address)
        channel_sends[channel].extend([now] * len(decision.sends))
        for held in decision.held:
            row = waiting[held.page_id]
            if held.reason.startswith("rate limited") and not row.held_reason.startswith("rate limited"):
                timeline.append(session, row.incident_id, NotificationHeld(
                    notification=row.id, channel=channel, reason=held.reason, until=held.until.isoformat()), at=now)
            row.held_reason, row.next_attempt_at = held.reason, held.until
        for bundle in decision.sends:
            members = [waiting[i] for i in bundle.page_ids]
            for row in members:
                row.held_reason = ""
            if len(members) == 1:
                groups.append(Group(members))
                continue
            bundle_id = str(uuid.uuid4())
            group = Group(members, summary=bundle.text_summary, bundle_id=bundle_id)
            refs = sorted({str(r.message.get("ref", "")) for r in members})
            for row in members:
                row.bundle_id = group.bundle_id
                timeline.append(session, row.incident_id, NotificationBundled(
                    notification=row.id, channel=channel, bundle=bundle_id, incidents=refs,
                    text=bundle.text_summary), at=now)
            groups.append(group)
    return groups
