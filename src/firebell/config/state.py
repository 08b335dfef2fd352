"""Desired and current state in one comparable form.

Both sides are reduced to `{kind: {name: {field: plain value}}}`, with the values normalised the
same way (durations as their shortest string, lists of names sorted, numbers as floats), so that
planning is a plain dictionary comparison and an unchanged tree compares equal however it was
written. Export reads the current side too, which is what makes its output apply as a no-op.
Alert ingestion's kinds (integrations, routing rules, maintenance windows) live in alerting.py; on-call's
(schedules, escalation policies and their outbound webhooks) in oncall.py.

A user's notification rules name contact methods by type and address, the pair that identifies a method
within its user, so the rules of an unchanged tree compare equal whatever ids the methods got:

    "notification_rules": {"high": [{"type": "sms", "address": "+46701740605", "after": "0s"}, ...],
                           "low": [...]}                  # each list in the order configured
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.config import alerting, chat, oncall, sign_in, stakeholders
from firebell.config import status_page as status_page_section
from firebell.config.alerting import EnvKeys
from firebell.config.schema import (
    URGENCIES,
    Config,
    CriterionConfig,
    SeverityConfig,
    SlackChannelConfig,
    UserConfig,
    names_method,
)
from firebell.core.durations import format_duration
from firebell.incidents.models import IncidentRoleDef, LifecycleStage
from firebell.messages.customer_models import CustomerEmailPolicy, CustomerRecipient
from firebell.messages.models import MessageTemplate
from firebell.org.models import Organisation, OrgRole, Service, Team, User
from firebell.severity.models import SeverityCriterionRow, SeverityLevelRow
from firebell.slack.models import SlackChannelRoute

# In the order plans are shown and applied (references point backwards in this list).
KINDS: tuple[str, ...] = (
    "organisation", "team", "role", "user", "schedule", "escalation_policy", "service", "severity",
    "severity_criterion", "incident_role", "lifecycle_stage", "integration", "routing_rule",
    "maintenance_window", "slack_channel", "chat_route", "sign_in", "template", "customer_recipient",
    "customer_email_policy", "stakeholder_list", "status_page", "status_component",
)

# Kinds whose rows are archived rather than deleted, because incidents, timelines, tokens and
# alerts point at them. Criteria, routing rules, maintenance windows and Slack channel routes are
# only read while deciding, so they can go for good.
ARCHIVED_KINDS = frozenset(KINDS) - {"organisation", "severity_criterion", "routing_rule",
                                     "maintenance_window", "slack_channel", "chat_route", "sign_in", "template",
                                     "customer_recipient", "customer_email_policy", "stakeholder_list"}

# Fields whose desired value None means "keep what is stored", at any depth of a value: a generated
# key, a key_env key that planning could not read, or a contact method's verification when the tree
# does not vouch for it (`verified: true` sets it; leaving it out never clears it).
KEEP_WHEN_UNKNOWN = frozenset({"key_sha256", "verified"})

Values = dict[str, Any]
Desired = dict[str, dict[str, Values]]

ORGANISATION_ID = 1


CONFIG_ORIGIN = "config"


@dataclass
class Current:
    values: Values
    archived: bool = False
    # Who made the row: the tree ("config"), or single sign-on ("sign-in", users only). An apply never
    # deletes a row the tree did not make; naming it in the tree makes it the tree's.
    origin: str = CONFIG_ORIGIN


CurrentState = dict[str, dict[str, Current]]


def _duration(delta: timedelta | None) -> str | None:
    return None if delta is None else format_duration(delta)


def _seconds(seconds: int | None) -> str | None:
    return None if seconds is None else format_duration(timedelta(seconds=seconds))


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


# --- desired -----------------------------------------------------------------------------------

def desired_state(config: Config, env_keys: EnvKeys | None = None) -> Desired:
    """`env_keys`: keys read from the environment for integrations with key_env (none given: such
    keys are not compared)."""
    org = config.organisation
    return {
        "organisation": {org.name: {"name": org.name, "timezone": org.timezone, "links": dict(org.links),
                                    "support_contact": org.support_contact}},
        "team": {t.name: {"description": t.description} for t in config.teams},
        "role": {r.name: {"title": r.title, "description": r.description} for r in config.roles},
        "user": {u.name: _desired_user(u, org.timezone) for u in config.users},
        "schedule": oncall.desired_schedules(config),
        "escalation_policy": oncall.desired_policies(config),
        "service": {s.name: {
            "title": s.title, "description": s.description, "team": s.team,
            "escalation_policy": s.escalation_policy,
            "status_page_component": s.status_page_component,
            "alerting": alerting.stored_alerting(s.alerting),
            "links": dict(s.links),
        } for s in config.services},
        "severity": {
            s.key: _desired_severity(s, rank) for rank, s in enumerate(config.severities)
        },
        "severity_criterion": {
            c.name: _desired_criterion(c, position)
            for position, c in enumerate(config.severity_criteria)
        },
        "incident_role": {r.name: {"title": r.title, "description": r.description, "position": i}
                          for i, r in enumerate(config.incident_roles)},
        "lifecycle_stage": {s.name: {"title": s.title, "description": s.description, "position": i}
                            for i, s in enumerate(config.lifecycle_stages)},
        "integration": alerting.desired_integrations(config, env_keys or EnvKeys()),
        "routing_rule": alerting.desired_routing_rules(config),
        "maintenance_window": alerting.desired_maintenance_windows(config),
        "slack_channel": {c.channel: _desired_slack_channel(c) for c in config.slack.channels},
        "chat_route": chat.desired_chat_routes(config),
        "sign_in": sign_in.desired_sign_in(config.sign_in),
        "template": {t.name(): {"purpose": t.purpose, "channel": t.channel, "service": t.service or "",
                                "parts": t.parts()} for t in config.templates},
        "customer_recipient": {c.identity(): {"service": c.service, "customer": c.name, "email": c.email}
                               for c in config.customers.recipients},
        "customer_email_policy": {p.severity: {"approval": p.approval} for p in config.customers.severities},
        "stakeholder_list": stakeholders.desired_stakeholders(config),
        "status_page": status_page_section.desired_page(config),
        "status_component": status_page_section.desired_components(config),
    }


# A person's own settings: the tree's values for them are compared and written only while the tree
# manages them (`notification_settings: managed`). For a person who keeps their own, the tree's values
# are a starting point, written once when the user is created, under PERSONAL_SEED (a "_" key: never
# compared, so a plan never shows, and apply never makes, a change to what the person set).
PERSONAL_SETTINGS = ("quiet_hours", "contact_methods", "notification_rules")
PERSONAL_SEED = "_personal_seed"


def _desired_user(user: UserConfig, default_zone: str) -> Values:
    quiet = user.quiet_hours
    settings: Values = {
        "quiet_hours": {"start": quiet.start, "end": quiet.end, "phone_low_urgency": quiet.phone_low_urgency},
        "contact_methods": [
            {"type": c.type, "address": c.address, "label": c.label, "verified": True if c.verified else None}
            for c in user.contact_methods
        ],
        "notification_rules": _desired_rules(user),
    }
    owner = user.settings_owner
    return {
        "full_name": user.full_name,
        "email": user.email,
        "slack_user": user.slack_user,
        "timezone": user.timezone or default_zone,
        "access": user.access,
        "roles": sorted(user.roles),
        "teams": sorted(user.teams),
        "notification_settings": owner,
        **(settings if owner == "managed" else {PERSONAL_SEED: settings}),
    }


def _desired_rules(user: UserConfig) -> Values:
    rules: Values = {}
    for urgency in URGENCIES:
        rules[urgency] = []
        for rule in getattr(user.notification_rules, urgency):
            # checks.py has made sure that exactly one method answers to `use`.
            [method] = [c for c in user.contact_methods if names_method(rule.use, c.type, c.address, c.label)]
            rules[urgency].append({"type": method.type, "address": method.address, "after": _duration(rule.after)})
    return rules


def _desired_slack_channel(channel: SlackChannelConfig) -> Values:
    return {
        "name": channel.name,
        "severities": sorted(channel.severities),
        "tags": sorted(channel.tags),
        "webhook_url_env": channel.webhook_url_env,
        "purpose": channel.purpose,
    }


def _desired_severity(level: SeverityConfig, rank: int) -> Values:
    return {
        "rank": rank,
        "name": level.name,
        "description": level.description,
        "impact_examples": list(level.impact_examples),
        "acknowledge_within": _duration(level.acknowledge_within),
        "recover_within": _duration(level.recover_within),
        "update_every": _duration(level.update_every),
        "urgency": level.urgency,
        "external_comms_required": level.external_comms_required,
        "external_comms": list(level.external_comms),
        "postmortem_required": level.postmortem_required,
        "postmortem_due": _duration(level.postmortem_due),
    }


def _desired_criterion(criterion: CriterionConfig, position: int) -> Values:
    return {
        "description": criterion.description,
        "severity": criterion.severity,
        "flag": criterion.flag,
        "metric": criterion.metric,
        "min": _number(criterion.min),
        "above": _number(criterion.above),
        "max": _number(criterion.max),
        "position": position,
    }


# --- current -----------------------------------------------------------------------------------

def current_state(session: Session) -> CurrentState:
    """Every configured row, archived ones included (re-adding a name restores its row)."""
    return {
        "organisation": _current_organisation(session),
        "team": {t.name: Current({"description": t.description}, t.archived_at is not None)
                 for t in session.scalars(select(Team).order_by(Team.name))},
        "role": {r.name: Current({"title": r.title, "description": r.description},
                                 r.archived_at is not None)
                 for r in session.scalars(select(OrgRole).order_by(OrgRole.name))},
        "user": {u.name: Current(_current_user(u), u.archived_at is not None, u.origin)
                 for u in session.scalars(select(User).order_by(User.name))},
        "schedule": _wrap(oncall.current_schedules(session)),
        "escalation_policy": _wrap(oncall.current_policies(session)),
        "service": {s.name: Current(_current_service(s), s.archived_at is not None)
                    for s in session.scalars(select(Service).order_by(Service.name))},
        "severity": {
            s.key: Current(_current_severity(s), s.archived_at is not None)
            for s in session.scalars(select(SeverityLevelRow).order_by(SeverityLevelRow.rank))
        },
        "severity_criterion": {
            c.name: Current(_current_criterion(c)) for c in session.scalars(
                select(SeverityCriterionRow).order_by(SeverityCriterionRow.position))
        },
        "incident_role": _current_positioned(session, IncidentRoleDef),
        "lifecycle_stage": _current_positioned(session, LifecycleStage),
        "integration": _wrap(alerting.current_integrations(session)),
        "routing_rule": _wrap(alerting.current_routing_rules(session)),
        "maintenance_window": _wrap(alerting.current_maintenance_windows(session)),
        "slack_channel": {
            row.channel_id: Current(_current_slack_channel(row)) for row in session.scalars(
                select(SlackChannelRoute).order_by(SlackChannelRoute.channel_id))
        },
        "chat_route": {name: Current(values) for name, values in chat.current_chat_routes(session).items()},
        "sign_in": {name: Current(values) for name, values in sign_in.current_sign_in(session).items()},
        "template": {row.name: Current({"purpose": row.purpose, "channel": row.channel, "service": row.service,
                                        "parts": dict(row.parts or {})})
                     for row in session.scalars(select(MessageTemplate).order_by(MessageTemplate.name))},
        "customer_recipient": {row.name: Current({"service": row.service, "customer": row.customer, "email": row.email})
                               for row in session.scalars(select(CustomerRecipient).order_by(CustomerRecipient.name))},
        "customer_email_policy": {row.severity: Current({"approval": row.approval}) for row in session.scalars(
            select(CustomerEmailPolicy).order_by(CustomerEmailPolicy.severity))},
        "stakeholder_list": {name: Current(values)
                             for name, values in stakeholders.current_stakeholders(session).items()},
        "status_page": {name: Current(values, archived) for name, (values, archived)
                        in status_page_section.current_page(session).items()},
        "status_component": {name: Current(values, archived) for name, (values, archived)
                             in status_page_section.current_components(session).items()},
    }


def _wrap(rows: alerting.Rows) -> dict[str, Current]:
    return {name: Current(values, archived) for name, (values, archived) in rows.items()}


def _current_organisation(session: Session) -> dict[str, Current]:
    org = session.get(Organisation, ORGANISATION_ID)
    if org is None:
        return {}
    return {org.name: Current({"name": org.name, "timezone": org.timezone, "links": dict(org.links or {}),
                               "support_contact": org.support_contact or ""})}


def _current_user(user: User) -> Values:
    methods = sorted(user.contact_methods, key=lambda c: c.position)
    return {
        "full_name": user.full_name,
        "email": user.email,
        "slack_user": user.slack_user_id,
        "timezone": user.timezone,
        "access": user.access,
        "roles": sorted(link.role.name for link in user.role_links),
        "teams": sorted(m.team.name for m in user.memberships),
        "notification_settings": user.notification_settings,
        "quiet_hours": {"start": user.quiet_start, "end": user.quiet_end,
                        "phone_low_urgency": user.phone_low_urgency_at_night},
        "contact_methods": [
            {"type": c.type, "address": c.address, "label": c.label, "verified": c.verified_at is not None}
            for c in methods
        ],
        "notification_rules": current_rules(user),
    }


def current_rules(user: User) -> Values:
    """The user's stored rules in the comparable form (see the module docstring)."""
    methods = {c.id: c for c in user.contact_methods}
    rules: Values = {urgency: [] for urgency in URGENCIES}
    for rule in sorted(user.notification_rules, key=lambda r: (r.position, r.delay_minutes)):
        method = methods.get(rule.contact_method_id)
        if method is not None and rule.urgency in rules:  # the store deletes a method's rules with it
            rules[rule.urgency].append({"type": method.type, "address": method.address,
                                        "after": _duration(timedelta(minutes=rule.delay_minutes))})
    return rules


def _current_slack_channel(row: SlackChannelRoute) -> Values:
    return {
        "name": row.name,
        "severities": sorted(row.severities or []),
        "tags": sorted(row.tags or []),
        "webhook_url_env": row.webhook_url_env or None,  # stored as "" when absent
        "purpose": row.purpose,
    }


def _current_service(service: Service) -> Values:
    return {
        "title": service.title,
        "description": service.description,
        "team": service.team.name,
        "escalation_policy": service.escalation_policy,
        "status_page_component": service.status_page_component,
        "alerting": dict(service.alerting or {}),
        "links": dict(service.links or {}),
    }


def _current_severity(row: SeverityLevelRow) -> Values:
    return {
        "rank": row.rank,
        "name": row.name,
        "description": row.description,
        "impact_examples": list(row.impact_examples or []),
        "acknowledge_within": _seconds(row.acknowledge_within_s),
        "recover_within": _seconds(row.recover_within_s),
        "update_every": _seconds(row.update_every_s),
        "urgency": row.urgency,
        "external_comms_required": row.external_comms_required,
        "external_comms": list(row.external_comms or []),
        "postmortem_required": row.postmortem_required,
        "postmortem_due": _seconds(row.postmortem_due_s),
    }


def _current_criterion(row: SeverityCriterionRow) -> Values:
    return {
        "description": row.description,
        "severity": row.severity,
        "flag": row.flag,
        "metric": row.metric,
        "min": _number(row.min),
        "above": _number(row.above),
        "max": _number(row.max),
        "position": row.position,
    }


def _current_positioned(
    session: Session, model: type[IncidentRoleDef] | type[LifecycleStage]
) -> dict[str, Current]:
    rows: list[IncidentRoleDef | LifecycleStage] = list(
        session.scalars(select(model).order_by(model.position, model.name))
    )
    return {
        row.name: Current({"title": row.title, "description": row.description,
                           "position": row.position}, row.archived_at is not None)
        for row in rows
    }
