"""The engine's jobs: every domain's background work, in the order a pass runs it. A feature with
work of its own adds its job here; engine/loop.py runs whatever this lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from firebell.alerts import jobs as alerts
from firebell.chat import jobs as chat
from firebell.engine.loop import TICK_SECONDS, EngineLoop
from firebell.messages import jobs as messages
from firebell.messages import pages
from firebell.notify import jobs as notify
from firebell.notify.settings import Channels, channels_from_env
from firebell.slack import jobs as slack
from firebell.slack.cards import stakeholder_channels
from firebell.statuspage import jobs as statuspage
from firebell.statuspage.subscriptions import jobs as status_subscribers
from firebell.store import jobs as store
from firebell.store.jobs import Job
from firebell.store.uow import Database


def registered(channels: Channels) -> list[Job]:
    """New instances each call: a job may keep state of its own engine's (the WAL's last size)."""
    if channels.render_page is None:
        channels.render_page = pages.render_page  # pages in the words of the templates (messages/)
    return [
        # timers: escalation steps first, so a timer is never late behind housekeeping
        notify.escalation_pass(),
        store.wal_checkpoint(),
        alerts.heartbeats(),
        notify.cadence_reminders(),
        statuspage.maintenance_clock(),
        statuspage.severity_policy(),
        statuspage.export_refresh(),
        alerts.history_pruning(),
        store.prune_replay_guard(),
        notify.receipt_pruning(),
        # sender: chat and stakeholder messages planned into the outbox, pages sent, then the Slack
        # incident messages
        chat.post_planning(),
        messages.alert_made_telling(stakeholder_channels, channels.public_url),
        notify.page_sender(channels),
        slack.card_sync(channels),
        status_subscribers.subscriber_sender(channels),
        status_subscribers.quarantine_purge(),
    ]


def engine_loop(db: Database, clock: Callable[[], datetime], *, tick: float = TICK_SECONDS,
                channels: Channels | None = None) -> EngineLoop:
    """The engine with every registered job; `channels` default to those of the environment."""
    channels = channels if channels is not None else channels_from_env(clock=clock)
    return EngineLoop(db, clock, registered(channels), tick=tick)
