"""One Slack message per incident per channel, redrawn whenever the incident changes.

Channels are chosen by configuration (`slack.channels`: severities and tags). Each (incident,
channel) has a `SlackCard` remembering Slack's message id (`ts`) and the incident version the message
shows. A pass finds incidents that changed since the last pass, marks cards whose version is behind,
and posts (first time) or updates (`chat.update`) them from the incident as it is now, so ten changes
in a second cost one update, and a change made while Slack was down shows up when it is back.

Routes through an incoming webhook can only post: their card gets its first message and nothing
after (Slack offers no way to edit a webhook's message). Private incidents are never posted; one
made private after it was posted has its bot messages redrawn as a bare "INC-7 is now private" (a
webhook's message cannot be withdrawn).
Runs under the sender's lease, so two engines never post the same card twice.
"""

from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.chat_fallback import failing_since_after
from firebell.core.timeline.kinds import EventKind
from firebell.core.timeline.paging import SlackMessageFailed
from firebell.incidents import timeline
from firebell.incidents.models import Incident, IncidentService, RoleAssignment, TimelineEvent
from firebell.messages import render
from firebell.messages.send import Audience
from firebell.notify.channels.slack_blocks import IncidentCard, incident_message, private_message
from firebell.notify.channels.slack_web import IncomingWebhookClient, SlackResult
from firebell.notify.settings import Channels
from firebell.org.models import Service, User
from firebell.slack.models import COORDINATION, STAKEHOLDERS, SlackCard, SlackChannelRoute, SlackRouteHealth

log = logging.getLogger(__name__)
LOOK_BACK = timedelta(days=1)  # on start: incidents changed this recently get their messages checked
MAX_ATTEMPTS = 10
IN_FLIGHT = timedelta(minutes=2)  # longer than a pass of Slack calls (50 x 5 s timeouts at worst)
WEBHOOK_POSTED = "webhook"  # an incoming webhook's message has no ts; this marks it posted
BACKOFF_CAP = timedelta(minutes=5)


@dataclass(frozen=True)
class CardJob:
    card_id: str
    incident_id: str
    channel: str
    ts: str | None
    version: int
    message: dict[str, Any]
    webhook_url_env: str
    attempts: int
    private: bool = False  # the redraw hiding a private incident: retried until Slack says it cannot be done


def routes(session: Session) -> list[SlackChannelRoute]:
    """The channels that carry incident cards (stakeholder channels get new messages instead)."""
    return list(session.execute(select(SlackChannelRoute).where(SlackChannelRoute.purpose == COORDINATION)).scalars())


def stakeholder_channels(session: Session, incident: Incident) -> list[Audience]:
    """The `purpose: stakeholders` channels the incident is for, as audiences of messages/send.py."""
    found = session.execute(select(SlackChannelRoute).where(SlackChannelRoute.purpose == STAKEHOLDERS)
                            .order_by(SlackChannelRoute.channel_id)).scalars()
    return [Audience("slack", route.channel_id, route.name or route.channel_id) for route in found
            if wanted(route, incident)]


def wanted(route: SlackChannelRoute, incident: Incident) -> bool:
    return incident.severity in route.severities or bool(set(route.tags) & set(incident.tags or []))


def _bot_posted(card: SlackCard) -> bool:
    """The card's message was posted by the bot, so the bot can redraw it (a webhook's cannot be)."""
    return bool(card.ts) and card.ts != WEBHOOK_POSTED


def has_work(session: Session, since: datetime, now: datetime, bot: bool = True) -> bool:
    """A read first: is there anything to post? (On SQLite a write transaction takes the one write
    lock, which ingestion is waiting on, so an idle pass must not open one.)"""
    if not bot and not any(r.webhook_url_env for r in routes(session)):
        return False
    changed = session.execute(select(Incident.id).where(Incident.updated_at >= since).limit(1)).first()
    due = session.execute(select(SlackCard.id).where(SlackCard.next_attempt_at <= now).limit(1)).first()
    return changed is not None or due is not None


def discover(session: Session, since: datetime, now: datetime, bot: bool = True) -> int:
    """Mark the cards of incidents changed since `since` that are behind; make missing ones.
    Without a bot token (`bot` False) only incoming-webhook channels can be posted to."""
    configured = [r for r in routes(session) if bot or r.webhook_url_env]
    if not configured and not bot:
        return 0
    changed = session.execute(select(Incident).where(Incident.updated_at >= since)).scalars().all()
    if not changed:
        return 0
    cards = {(c.incident_id, c.channel_id): c for c in session.execute(
        select(SlackCard).where(SlackCard.incident_id.in_([i.id for i in changed]))).scalars()}
    marked = 0
    for incident in changed:
        if incident.private:
            # Hidden wherever the bot posted it, whatever the routes say now (a route removed or
            # moved to a webhook since); never posted, or posted by a webhook: nothing to hide.
            for posted in cards.values():
                if (posted.incident_id == incident.id and _bot_posted(posted)
                        and posted.synced_version < incident.version and posted.next_attempt_at is None):
                    posted.next_attempt_at, posted.attempts = now, 0
                    marked += 1
            continue
        for route in configured:
            card = cards.get((incident.id, route.channel_id))
            if card is None:
                if not wanted(route, incident) or incident.status == "resolved":
                    continue  # an incident resolved before it was ever posted needs no message
                card = SlackCard(incident_id=incident.id, channel_id=route.channel_id, synced_version=0,
                                 attempts=0, last_error="")
                session.add(card)
            if card.synced_version < incident.version and card.next_attempt_at is None:
                card.next_attempt_at, card.attempts = now, 0
                marked += 1
    return marked


def _card_view(session: Session, incident: Incident, public_url: str, now: datetime) -> IncidentCard:
    commander = session.execute(select(User.full_name, User.name, User.slack_user_id)
                                .join(RoleAssignment, RoleAssignment.user_id == User.id)
                                .where(RoleAssignment.incident_id == incident.id,
                                       RoleAssignment.role == "commander")).first()
    commander_text = None
    if commander is not None:
        commander_text = f"<@{commander.slack_user_id}>" if commander.slack_user_id else \
            (commander.full_name or commander.name)
    acked_by = None
    if incident.acknowledged_at is not None:
        acked_by = session.execute(select(TimelineEvent.actor).where(
            TimelineEvent.incident_id == incident.id, TimelineEvent.type == EventKind.ACKNOWLEDGED)
            .order_by(TimelineEvent.id.desc()).limit(1)).scalar()
    service = session.execute(select(Service.name).join(IncidentService, IncidentService.service_id == Service.id)
                              .where(IncidentService.incident_id == incident.id).limit(1)).scalar()
    return IncidentCard(ref=incident.ref, title=incident.title, severity=incident.severity, status=incident.status,
                        opened_at=incident.declared_at, stage=incident.stage, commander=commander_text,
                        service=service or "", url=f"{public_url}/incidents/{incident.ref}",
                        acknowledged_by=acked_by, resolved=incident.status == "resolved",
                        text=render.for_incident(session, "card", "slack", incident, now, public_url=public_url).text)


def claim(session: Session, channels: Channels, now: datetime, limit: int = 50) -> list[CardJob]:
    """Due cards, each with the message for its incident as it is now."""
    due = session.execute(select(SlackCard, Incident, SlackChannelRoute.webhook_url_env, SlackChannelRoute.purpose)
                          .join(Incident, Incident.id == SlackCard.incident_id)
                          .outerjoin(SlackChannelRoute, SlackChannelRoute.channel_id == SlackCard.channel_id)
                          .where(SlackCard.next_attempt_at <= now)
                          .order_by(SlackCard.next_attempt_at).limit(limit)).all()
    jobs = []
    for card, incident, webhook_env, purpose in due:
        if incident.private:
            if not _bot_posted(card):  # never posted, or posted by a webhook: nothing the bot can hide
                card.next_attempt_at = None
                continue
            card.next_attempt_at = now + IN_FLIGHT
            hidden = private_message(incident.ref, f"{channels.public_url}/incidents/{incident.ref}")
            jobs.append(CardJob(card_id=card.id, incident_id=incident.id, channel=card.channel_id, ts=card.ts,
                                version=incident.version, webhook_url_env="", attempts=card.attempts, private=True,
                                message=hidden))
            continue
        if webhook_env is None or purpose != COORDINATION:  # the route was removed, or carries no cards now
            card.next_attempt_at = None
            continue
        if webhook_env and card.ts:
            card.synced_version, card.next_attempt_at = incident.version, None  # webhooks cannot edit
            continue
        # In flight until recorded: another engine that takes over the lease meanwhile leaves it alone.
        card.next_attempt_at = now + IN_FLIGHT
        jobs.append(CardJob(card_id=card.id, incident_id=incident.id, channel=card.channel_id, ts=card.ts,
                            version=incident.version, webhook_url_env=webhook_env, attempts=card.attempts,
                            message=incident_message(_card_view(session, incident, channels.public_url, now))))
    return jobs


def send(channels: Channels, job: CardJob) -> SlackResult:
    """The I/O, outside any transaction. Never raises: a bad setting is a permanent failure of this
    card, not of the pass (the cards before it were posted and must be recorded)."""
    try:
        return _send(channels, job)
    except Exception as exc:
        log.exception("Slack card for incident %s in %s", job.incident_id, job.channel)
        return SlackResult("chat.postMessage", ok=False, error=f"{type(exc).__name__}: {exc}"[:300])


def _send(channels: Channels, job: CardJob) -> SlackResult:
    if channels.logs_slack:  # the demo: log, send nothing
        log.warning("SLACK %s in %s: %s", "update" if job.ts else "post", job.channel, job.message.get("text"))
        return SlackResult("chat.postMessage", ok=True, ts=job.ts or "logged", channel=job.channel)
    if job.webhook_url_env:
        url = os.environ.get(job.webhook_url_env, "")
        if not url:
            return SlackResult("incoming webhook", ok=False, error=f"environment variable {job.webhook_url_env} "
                               "(the channel's incoming webhook URL) is not set")
        with IncomingWebhookClient(url) as client:
            return client.post(job.message)
    if channels.slack is None:
        return SlackResult("chat.postMessage", ok=False, error="no Slack bot token on this server "
                           "(FIREBELL_SLACK_BOT_TOKEN)")
    if job.ts:
        return channels.slack.update_message(job.channel, job.ts, job.message)
    return channels.slack.post_message(job.channel, job.message)


def _note_health(session: Session, channel: str, result: SlackResult, now: datetime) -> None:
    """Since when calls to the channel have failed (chat/ falls back on it: core/chat_fallback.py)."""
    health = session.get(SlackRouteHealth, channel, with_for_update=True, populate_existing=True)
    if health is None:
        if result.ok:
            return  # healthy and never failed: no row needed
        health = SlackRouteHealth(channel_id=channel, failing_since=None, last_error="")
        session.add(health)
    health.failing_since = failing_since_after(health.failing_since, result.ok, now)
    health.last_error = "" if result.ok else (result.error or "failed")[:1000]


def record(session: Session, job: CardJob, result: SlackResult, now: datetime) -> None:
    _note_health(session, job.channel, result, now)
    card = session.get(SlackCard, job.card_id, with_for_update=True, populate_existing=True)
    if card is None:
        return
    incident_version = session.execute(select(Incident.version).where(Incident.id == job.incident_id)).scalar_one()
    if result.ok:
        card.ts = card.ts or result.ts or WEBHOOK_POSTED
        card.synced_version, card.attempts, card.last_error = max(card.synced_version, job.version), 0, ""
        # Changed while we were talking to Slack: draw it again next pass.
        card.next_attempt_at = now if card.synced_version < incident_version else None
        return
    card.attempts = job.attempts + 1
    previous, card.last_error = card.last_error, (result.error or "failed")[:1000]
    # Hiding a private incident is not given up on while Slack may still take it (an outage, rate limits).
    if result.retryable and (card.attempts < MAX_ATTEMPTS or job.private):
        wait = timedelta(seconds=result.retry_after) if result.retry_after else \
            min(BACKOFF_CAP, timedelta(seconds=2 ** card.attempts)) * (0.5 + random.random() / 2)
        card.next_attempt_at = now + wait
        return
    # Permanent (channel_not_found, not_in_channel, ...) or out of attempts: stop, and say so once
    # (the next change of the incident tries again, and says so again only if the error changed).
    card.synced_version, card.next_attempt_at = job.version, None
    if previous == card.last_error:
        return
    log.warning("Slack message for incident %s in %s failed: %s", job.incident_id, job.channel, card.last_error)
    timeline.append(session, job.incident_id, SlackMessageFailed(
        channel=job.channel, error=card.last_error, attempts=card.attempts), at=now)

