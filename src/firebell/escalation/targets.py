"""Who a policy's targets mean at one instant: users by name, whoever is on call in a schedule,
the holders of an organisational role, the members of a team, a named outbound webhook, or a
mention posted in a Slack channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.escalation import Target
from firebell.org.models import OrgRole, Team, TeamMembership, User, UserRole


@dataclass(frozen=True)
class Recipient:
    target: str  # the label of the target that found them, e.g. schedule:primary
    user_id: str | None = None
    user_name: str = ""
    webhook: str = ""  # name of an outbound webhook (ticket/webhook targets)
    webhook_url: str = ""
    webhook_secret_env: str = ""
    # Reached at an address rather than through a person's contact methods (a Slack mention; chat
    # routes use it too): the channel, the address on it, the key's recipient part, and what the
    # message needs besides (the mention, the variable holding a URL).
    channel: str = ""
    address: str = ""
    who: str = ""
    details: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Page:
    """One recipient to page for one step, and what to tell them: what escalation decides and
    notify/outbox.py writes (escalation never imports notify)."""

    incident_id: str
    recipient: Recipient
    step_key: str  # the step part of the idempotency key: level and loop, a trigger, a request
    level: int
    loop: int
    kind: str  # page, trigger, manual, admin
    message: dict[str, Any]


def _users(session: Session, query: Any) -> list[tuple[str, str]]:
    """(id, name) of the live users `query` finds (columns only: a User row loads its relations)."""
    return list(dict.fromkeys(session.execute(query.where(User.archived_at.is_(None)).order_by(User.name)).all()))


def resolve(session: Session, target: Target, now: datetime, webhooks: dict[str, Any]) -> list[Recipient]:
    """The recipients of one target now; empty when it names nobody (a coverage gap, an empty role),
    which the caller records on the timeline rather than failing the step."""
    label = target.label()
    if target.kind in ("ticket", "webhook"):
        hook = webhooks.get(target.name) or {}
        if not hook.get("url"):
            return []
        return [Recipient(target=label, webhook=target.name, webhook_url=str(hook["url"]),
                          webhook_secret_env=str(hook.get("secret_env") or ""))]
    if target.kind == "slack_mention":
        return [slack_mention(label, target.name, target.channel)]
    if target.kind == "user":
        users = _users(session, select(User.id, User.name).where(User.name == target.name))
    elif target.kind == "role":
        users = _users(session, select(User.id, User.name).join(UserRole, UserRole.user_id == User.id)
                       .join(OrgRole, OrgRole.id == UserRole.role_id).where(OrgRole.name == target.name))
    elif target.kind == "team":
        users = _users(session, select(User.id, User.name).join(TeamMembership, TeamMembership.user_id == User.id)
                       .join(Team, Team.id == TeamMembership.team_id).where(Team.name == target.name))
    else:
        from firebell.oncall.service import on_call_names  # schedules build on org, not the reverse

        names = on_call_names(session, target.name, now)
        users = _users(session, select(User.id, User.name).where(User.name.in_(names))) if names else []
    return [Recipient(target=label, user_id=user_id, user_name=name) for user_id, name in users]


def slack_mention(label: str, mention: str, channel: str) -> Recipient:
    """A Slack member (U.../W...) or user group (S...) mentioned by the bot in `channel`."""
    return Recipient(target=label, channel="slack_mention", address=channel, who=f"slack_mention:{mention}@{channel}",
                     details=(("mention", mention),))
