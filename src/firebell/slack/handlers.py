"""What a slash command or a button click does, once its signature has been checked.

Each handler takes the parsed request and answers with the Slack response body to show the person
(ephemeral unless the whole channel should see it). Decisions go through the same services as the
API and the CLI (`incidents.respond` for acknowledge/resolve/escalate/take command), so Slack gets no
rules of its own. Refusals ("INC-4 is already acknowledged") come back as ephemeral text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.auth.service import actor_for
from firebell.core.access import AccessRole
from firebell.errors import DecisionError, Invalid
from firebell.incidents import service
from firebell.incidents.effects import IncidentEffects
from firebell.incidents.models import Incident
from firebell.incidents.respond import respond
from firebell.notify.channels.slack_blocks import (
    ACTION_ACKNOWLEDGE,
    ACTION_ESCALATE,
    ACTION_RESOLVE,
    ACTION_TAKE_COMMAND,
    escape_mrkdwn,
    text_reply,
)
from firebell.oncall import service as oncall
from firebell.oncall.models import Schedule
from firebell.org.models import User
from firebell.severity import levels as severities
from firebell.slack.commands import HELP_TEXT, SlashCommand, mentioned_user_id
from firebell.slack.models import SlackCard
from firebell.store import replay

BUTTONS = {ACTION_ACKNOWLEDGE: "acknowledge", ACTION_RESOLVE: "resolve", ACTION_ESCALATE: "escalate",
           ACTION_TAKE_COMMAND: "command"}


@dataclass(frozen=True)
class SlackRequest:
    """Who asked, where, and the signature that makes this request unique (for the replay guard)."""

    slack_user: str
    channel: str
    signature: str
    email: str | None = None  # the Slack profile's email, when looked up (bot scope users:read.email)


class UnknownSlackUser(Invalid):
    pass


def find_user(session: Session, request: SlackRequest) -> User:
    """The Firebell user behind a Slack member: by the configured `slack_user`, else by email."""
    user = session.execute(select(User).where(User.slack_user_id == request.slack_user,
                                              User.archived_at.is_(None))).scalar()
    if user is None and request.email:
        user = session.execute(select(User).where(User.email == request.email.lower(),
                                                  User.archived_at.is_(None))).scalar()
    if user is None:
        raise UnknownSlackUser(f"your Slack account ({request.slack_user}) is not linked to a Firebell user; "
                               "ask an admin to set `slack_user` for you in the people configuration")
    return user


def _open_in_channel(session: Session, channel: str) -> str:
    """The incident a ref-less command means: the one open incident posted in this channel."""
    refs = session.execute(select(Incident.number).join(SlackCard, SlackCard.incident_id == Incident.id)
                           .where(SlackCard.channel_id == channel, Incident.status != "resolved")
                           .order_by(Incident.number)).scalars().all()
    if len(refs) == 1:
        return f"INC-{refs[0]}"
    if not refs:
        raise Invalid("no open incident is posted in this channel; name one, e.g. `/incident ack INC-12`")
    listed = ", ".join(f"INC-{n}" for n in refs)
    raise Invalid(f"several open incidents are posted in this channel ({listed}); name one, e.g. "
                  f"`/incident ack INC-{refs[-1]}`")


def _default_severity(session: Session) -> str:
    """The least severe level: a person declaring from chat raises it when they know more."""
    levels = severities.severity_levels(session)  # most severe first
    if not levels:
        raise Invalid("no severities are configured; run `firebell config apply` first")
    return levels[-1].key


def _override_user(session: Session, given: str) -> str:
    slack_id = mentioned_user_id(given)
    if slack_id:
        found = session.execute(select(User.name).where(User.slack_user_id == slack_id)).scalar()
        if found is None:
            raise Invalid(f"<@{slack_id}> is not linked to a Firebell user")
        return str(found)
    return given.lstrip("@")


def run_command(session: Session, request: SlackRequest, command: SlashCommand, now: datetime,
                effects: IncidentEffects) -> dict[str, Any]:
    """Carry out one parsed `/incident` command (in the caller's transaction)."""
    if command.verb == "help":
        return text_reply(HELP_TEXT)
    user = find_user(session, request)
    actor = actor_for(user, AccessRole(user.access), via="slack")
    if command.verb == "oncall":
        names = [command.schedule] if command.schedule else list(session.execute(
            select(Schedule.name).where(Schedule.archived_at.is_(None)).order_by(Schedule.name)).scalars())
        lines = [f"*{escape_mrkdwn(n)}*: {', '.join(oncall.on_call_names(session, n, now)) or 'nobody'}"
                 for n in names]
        return text_reply("\n".join(lines) or "no schedules are configured")
    if not replay.first_time(session, "slack", request.signature, now):
        return text_reply("this command was already carried out (Slack sent it twice); nothing more was done")
    if command.verb == "create":
        team = next((m.team.name for m in user.memberships if m.team.archived_at is None), None)
        severity = command.severity or _default_severity(session)
        incident = service.declare(session, actor, service.Declaration(
            title=command.title or "", severity=severity, team=team, commander=user.name), now, effects=effects)
        hint = "" if command.severity else f" (no severity given: {severity}; `/incident severity P2` changes it)"
        return text_reply(f"{incident.ref} declared by {escape_mrkdwn(actor.display_name)}: "
                          f"{escape_mrkdwn(incident.title)} [{incident.severity}]{hint}", in_channel=True)
    if command.verb == "override":
        assert command.duration is not None and command.schedule is not None and command.user is not None
        who = _override_user(session, command.user)
        override = oncall.add_override(session, actor, schedule=command.schedule, user=who, start=now,
                                       end=now + command.duration, reason="from Slack",
                                       created_by=user.name, now=now)
        return text_reply(f"{escape_mrkdwn(who)} is on call for {escape_mrkdwn(command.schedule)} until "
                          f"{override.ends_at:%Y-%m-%d %H:%M} UTC")
    ref = command.ref or _open_in_channel(session, request.channel)
    if command.verb in ("ack", "resolve"):
        done = respond(session, user, ref, "acknowledge" if command.verb == "ack" else "resolve", "slack", now,
                       effects=effects)
        return text_reply(escape_mrkdwn(done), in_channel=True)
    if command.verb == "update":
        update = service.Update(status=command.status or "", known=command.known or "", doing=command.doing or "",
                                text=command.text or "", next_in=command.next_in or "")
        incident = service.post_update(session, actor, ref, update, now, effects=effects)
        said = "; ".join(part for part in (command.text, command.known and f"known: {command.known}",
                                           command.doing and f"doing: {command.doing}") if part)
        status = f" ({command.status})" if command.status else ""
        return text_reply(f"Update{status} posted to {incident.ref} by {escape_mrkdwn(actor.display_name)}: "
                          f"{escape_mrkdwn(said)}", in_channel=True)
    if command.verb == "escalate":
        done = respond(session, user, ref, "escalate", "slack", now, effects=effects, help_needed=command.text or "",
                       actions_taken=command.actions or "")
        return text_reply(escape_mrkdwn(done), in_channel=True)
    if command.verb == "severity":
        incident = service.change_severity(session, actor, ref, command.severity or "",
                                           f"changed from Slack by {actor.display_name}", now, effects=effects)
        return text_reply(f"{incident.ref} is now {incident.severity}", in_channel=True)
    raise Invalid(f"unknown command {command.verb!r}")


def run_button(session: Session, request: SlackRequest, action_id: str, ref: str, now: datetime,
               effects: IncidentEffects) -> str:
    """A button on an incident message or a page: the same response as from any other channel."""
    action = BUTTONS.get(action_id)
    if action is None:
        raise Invalid(f"this button ({action_id!r}) is not one Firebell knows")
    user = find_user(session, request)
    if not replay.first_time(session, "slack", request.signature, now):
        return "this click was already handled; nothing more was done"
    return respond(session, user, ref, action, "slack", now, effects=effects)


def refusal(exc: DecisionError) -> dict[str, Any]:
    return text_reply(f"Nothing done: {escape_mrkdwn(exc.message)}")
