"""Make the database match a validated configuration.

`apply` runs inside the caller's unit of work and never commits, so a failure anywhere leaves the
database as it was. It writes only the rows its plan names; an unchanged tree writes nothing at all
(not even an audit entry or a new config_version), which is what makes a second apply a no-op.

Problems that only the apply can see (a key_env variable missing from the environment, a key that
another integration already holds) raise ApplyError before anything is written.

Users are written in two steps around a flush (see _PeopleWriter): notification rules point at contact
methods by id, and Slack member ids are unique across users, so some rows must be gone before others
can take their place.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from firebell.alerts.keys import generate_key, hash_key, key_prefix
from firebell.alerts.models import Heartbeat, Integration, MaintenanceWindow, RoutingRule
from firebell.audit.log import record
from firebell.auth.oidc_models import OidcProvider
from firebell.auth.web_sessions import end_sessions_of
from firebell.chat.models import ChatRoute
from firebell.config.alerting import KEY_PREFIX, read_env_keys, stored_actions, stored_settings
from firebell.config.chat import write_chat_route
from firebell.config.errors import ApplyError
from firebell.config.oncall import stored_policy_spec, stored_schedule_spec
from firebell.config.plan import Change, Plan, desired_with_kept, diff
from firebell.config.schema import Config
from firebell.config.sign_in import write_sign_in
from firebell.config.stakeholders import write_stakeholders
from firebell.config.state import (
    CONFIG_ORIGIN,
    ORGANISATION_ID,
    PERSONAL_SEED,
    CurrentState,
    Desired,
    Values,
    current_rules,
    current_state,
)
from firebell.core.durations import parse_duration
from firebell.escalation.models import EscalationPolicy
from firebell.incidents.models import IncidentRoleDef, LifecycleStage
from firebell.messages.customer_models import CustomerEmailPolicy, CustomerRecipient
from firebell.messages.models import MessageTemplate, StakeholderList
from firebell.oncall.models import Schedule
from firebell.org.models import (
    ContactMethod,
    NotificationRule,
    Organisation,
    OrgRole,
    Service,
    Team,
    TeamMembership,
    User,
    UserRole,
)
from firebell.severity.models import SeverityCriterionRow, SeverityLevelRow
from firebell.slack.models import SlackChannelRoute
from firebell.statuspage import configured as status_page_writers
from firebell.statuspage.models import StatusComponent, StatusPage
from firebell.store.base import new_id

# kind -> (table, the column that holds the configured name)
MODELS: dict[str, tuple[type[Any], str]] = {
    "team": (Team, "name"),
    "role": (OrgRole, "name"),
    "user": (User, "name"),
    "schedule": (Schedule, "name"),
    "escalation_policy": (EscalationPolicy, "name"),
    "service": (Service, "name"),
    "severity": (SeverityLevelRow, "key"),
    "severity_criterion": (SeverityCriterionRow, "name"),
    "incident_role": (IncidentRoleDef, "name"),
    "lifecycle_stage": (LifecycleStage, "name"),
    "slack_channel": (SlackChannelRoute, "channel_id"),
    "chat_route": (ChatRoute, "name"),
    "sign_in": (OidcProvider, "name"),
    "template": (MessageTemplate, "name"),
    "customer_recipient": (CustomerRecipient, "name"),
    "customer_email_policy": (CustomerEmailPolicy, "severity"),
    "stakeholder_list": (StakeholderList, "name"),
    "status_page": (StatusPage, "slot"),
    "status_component": (StatusComponent, "name"),
}

Rows = dict[str, dict[str, Any]]
Writer = Callable[[Any, Values, Rows], None]


def apply(session: Session, config: Config, *, now: datetime, actor: str = "config",
          env: Mapping[str, str] | None = None) -> Plan:
    """Apply `config` and return the plan that was carried out (empty when nothing changed), with
    the plain text of any integration key it generated in `generated_keys`.

    `env` is where key_env keys are read (default: this process's environment)."""
    env_keys = read_env_keys(config, os.environ if env is None else env)
    if env_keys.problems:
        raise ApplyError(env_keys.problems)
    _lock_organisation(session)
    current = current_state(session)
    desired, missing = desired_with_kept(config, env_keys, current)
    if missing:
        raise ApplyError(missing)
    result = diff(desired, current)
    if result.empty:
        return result
    _check_keys_are_free(result.desired, current)
    rows = _load_rows(session)
    ingestion = _IngestionWriter(session, rows, result, now, actor)
    people = _PeopleWriter(now)
    writers: dict[str, Writer] = {**WRITERS, "user": people.write, **status_page_writers.writers(now)}
    teams_flushed = False
    for change in result.changes:
        if change.kind == "schedule" and not teams_flushed:
            # A schedule points at its team by id, with no relationship to order the inserts by:
            # teams created by this apply get their ids first.
            session.flush()
            teams_flushed = True
        if change.kind == "organisation":
            _write_organisation(session, result.desired["organisation"][change.name])
        elif change.kind in ingestion.kinds:
            ingestion.write(change)
        elif change.action == "delete":
            _delete(session, rows, change, now)
        else:
            _upsert(session, rows, change, result.desired[change.kind][change.name], writers[change.kind])
    session.flush()
    if people.finish():
        session.flush()
    _bump_config_version(session)
    details: dict[str, Any] = {**result.counts(), "changes": [str(change) for change in result.changes]}
    if result.generated_keys:
        details["generated_keys"] = sorted(result.generated_keys)  # which ones, never the keys
    record(session, actor=actor, action="config.apply",
           subject=f"organisation {config.organisation.name}", details=details, now=now)
    return result


def _bump_config_version(session: Session) -> None:
    """Ingestion caches its configuration against this number: any change must move it."""
    org = session.get(Organisation, ORGANISATION_ID)
    assert org is not None  # every tree has an organisation, created first
    org.config_version = (org.config_version or 0) + 1


def _check_keys_are_free(desired: Desired, current: CurrentState) -> None:
    """Every integration needs its own key (the store keeps key hashes unique). Config-given keys
    are checked against each other when loading; here they meet keys from the environment and the
    keys of integrations already stored, archived ones included."""
    stored = current.get("integration", {})
    holders = {row.values["key_sha256"]: name for name, row in stored.items()}
    problems: list[str] = []
    claimed: dict[str, str] = {}
    for name, values in desired.get("integration", {}).items():
        digest = values["key_sha256"]
        if digest is None:
            continue
        other = claimed.get(digest) or holders.get(digest)
        if other is not None and other != name:
            holder = stored.get(other)
            state = " (archived)" if holder is not None and holder.archived else ""
            problems.append(f"the key of integration {name} is already used by integration "
                            f"{other}{state}; every integration needs its own key")
        claimed[digest] = name
    if problems:
        raise ApplyError(problems)


def _lock_organisation(session: Session) -> None:
    """Serialise concurrent applies on PostgreSQL: the second waits, then plans against what the
    first committed. (SQLite writers already hold the database lock.)"""
    session.get(Organisation, ORGANISATION_ID, with_for_update=True)


def _load_rows(session: Session) -> Rows:
    """Every configured row by kind and name, archived ones included."""
    return {
        kind: {getattr(row, column): row for row in session.scalars(select(model))}
        for kind, (model, column) in MODELS.items()
    }


def _write_organisation(session: Session, values: Values) -> None:
    org = session.get(Organisation, ORGANISATION_ID)
    if org is None:
        org = Organisation(id=ORGANISATION_ID)
        session.add(org)
    org.name = values["name"]
    org.timezone = values["timezone"]
    org.links = dict(values["links"])
    org.support_contact = values["support_contact"]


def _delete(session: Session, rows: Rows, change: Change, now: datetime) -> None:
    row = rows[change.kind][change.name]
    if change.archives:
        row.archived_at = now
    else:
        session.delete(row)
    if change.kind == "user":
        # An archived user is no longer anyone in Slack: the member id may go to another user (the
        # same person under a new name, say). Restoring the user sets it again.
        row.slack_user_id = None
        # Nor signed in anywhere: every browser session of theirs ends now, not at its expiry.
        end_sessions_of(session, row.id, now=now)


def _upsert(session: Session, rows: Rows, change: Change, values: Values, write: Writer) -> None:
    model, column = MODELS[change.kind]
    row = rows[change.kind].get(change.name)
    if row is None:
        row = model(**{column: change.name})
        session.add(row)
        rows[change.kind][change.name] = row  # later kinds may refer to it before a flush
    if hasattr(row, "archived_at"):
        row.archived_at = None
    write(row, values, rows)


def _set(row: Any, values: Values, *fields: str) -> None:
    for name in fields:
        setattr(row, name, values[name])


def _write_team(row: Team, values: Values, rows: Rows) -> None:
    _set(row, values, "description")


def _write_role(row: OrgRole, values: Values, rows: Rows) -> None:
    _set(row, values, "title", "description")


def _write_schedule(row: Schedule, values: Values, rows: Rows) -> None:
    """Configuration owns the schedule's description and layers; its feed token and its overrides
    are made at run time and are left alone."""
    _set(row, values, "title", "description", "timezone")
    row.team_id = rows["team"][values["team"]].id if values["team"] is not None else None
    row.spec = copy.deepcopy(stored_schedule_spec(values))


def _write_policy(row: EscalationPolicy, values: Values, rows: Rows) -> None:
    row.description = values["description"]
    row.spec = copy.deepcopy(stored_policy_spec(row.name, values))


def _write_service(row: Service, values: Values, rows: Rows) -> None:
    _set(row, values, "title", "description", "escalation_policy", "status_page_component", "alerting", "links")
    row.team = rows["team"][values["team"]]


def _seconds(text: str | None) -> int | None:
    return None if text is None else int(parse_duration(text) / timedelta(seconds=1))


def _write_severity(row: SeverityLevelRow, values: Values, rows: Rows) -> None:
    _set(row, values, "rank", "name", "description", "impact_examples", "urgency", "external_comms_required",
         "external_comms", "postmortem_required")
    row.acknowledge_within_s = _seconds(values["acknowledge_within"])
    row.recover_within_s = _seconds(values["recover_within"])
    row.update_every_s = _seconds(values["update_every"])
    row.postmortem_due_s = _seconds(values["postmortem_due"])
    if row.extra is None:
        row.extra = {}


def _write_criterion(row: SeverityCriterionRow, values: Values, rows: Rows) -> None:
    _set(row, values, "description", "severity", "flag", "metric", "min", "above", "max", "position")


def _write_positioned(row: IncidentRoleDef | LifecycleStage, values: Values, rows: Rows) -> None:
    _set(row, values, "title", "description", "position")


def _write_template(row: MessageTemplate, values: Values, rows: Rows) -> None:
    _set(row, values, "purpose", "channel", "service")
    row.parts = dict(values["parts"])


def _write_customer(row: CustomerRecipient, values: Values, rows: Rows) -> None:
    _set(row, values, "service", "customer", "email")


def _write_customer_policy(row: CustomerEmailPolicy, values: Values, rows: Rows) -> None:
    _set(row, values, "approval")


def _write_slack_channel(row: SlackChannelRoute, values: Values, rows: Rows) -> None:
    row.name = values["name"]
    row.severities = list(values["severities"])
    row.tags = list(values["tags"])
    row.webhook_url_env = values["webhook_url_env"] or ""
    row.purpose = values["purpose"]


class _PeopleWriter:
    """Writes users in two steps. `write`, during the apply's loop, sets the user's own fields, teams,
    roles and contact methods (kept and new ones; new ones get their id at once) and removes the rules
    the user loses. `finish`, after the flush that follows the loop, removes the contact methods no
    longer listed (no rule points at them any more), adds the configured rules, which point at method
    ids, and sets Slack member ids: a changed id is cleared in the first step, so two users may swap
    theirs, or a renamed user take over the archived one's."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.pending: list[tuple[User, Values, Values | None, list[ContactMethod]]] = []

    def write(self, row: User, values: Values, rows: Rows) -> None:
        _set(row, values, "full_name", "email", "timezone", "access", "notification_settings")
        row.origin = CONFIG_ORIGIN
        # A person's own settings are written while the tree manages them, and for a person who keeps
        # their own only when the user is new (config/state.py, PERSONAL_SEED).
        settings = values.get(PERSONAL_SEED) if inspect(row).pending else None
        settings = values if values["notification_settings"] == "managed" else settings
        if row.slack_user_id != values["slack_user"]:
            row.slack_user_id = None  # set in finish
        _sync_teams(row, values["teams"], rows["team"])
        _sync_roles(row, values["roles"], rows["role"])
        gone: list[ContactMethod] = []
        if settings is not None:
            quiet = settings["quiet_hours"]
            row.quiet_start, row.quiet_end = quiet["start"], quiet["end"]
            row.phone_low_urgency_at_night = quiet["phone_low_urgency"]
            gone = _sync_contact_methods(row, settings["contact_methods"], self.now)
            if current_rules(row) != settings["notification_rules"]:
                row.notification_rules.clear()  # delete-orphan removes the rows
        self.pending.append((row, values, settings, gone))

    def finish(self) -> bool:
        """The second step; whether it changed anything."""
        for row, values, settings, gone in self.pending:
            for method in gone:
                row.contact_methods.remove(method)
            if settings is not None and not row.notification_rules:
                _add_rules(row, settings["notification_rules"])
            row.slack_user_id = values["slack_user"]
        return bool(self.pending)


def _add_rules(user: User, wanted: Values) -> None:
    methods = {(c.type, c.address): c for c in user.contact_methods}
    for urgency, rules in wanted.items():
        for position, rule in enumerate(rules):
            method = methods[rule["type"], rule["address"]]
            user.notification_rules.append(NotificationRule(
                contact_method_id=method.id, urgency=urgency, position=position,
                delay_minutes=int(parse_duration(rule["after"]) / timedelta(minutes=1))))


def _sync_teams(user: User, wanted: list[str], teams: dict[str, Any]) -> None:
    for membership in [m for m in user.memberships if m.team.name not in wanted]:
        user.memberships.remove(membership)  # delete-orphan removes the row
    present = {m.team.name for m in user.memberships}
    for name in wanted:
        if name not in present:
            user.memberships.append(TeamMembership(team=teams[name]))


def _sync_roles(user: User, wanted: list[str], roles: dict[str, Any]) -> None:
    for link in [link for link in user.role_links if link.role.name not in wanted]:
        user.role_links.remove(link)
    present = {link.role.name for link in user.role_links}
    for name in wanted:
        if name not in present:
            user.role_links.append(UserRole(role=roles[name]))


def _sync_contact_methods(user: User, wanted: list[dict[str, Any]], now: datetime) -> list[ContactMethod]:
    """Update contact methods in place, matched on (type, address), so a kept method keeps its id
    and its verification. `verified: true` in the tree verifies a method that is not yet; its absence
    never unverifies one (the user may have verified it with a code). Returns the methods no longer
    listed, for the caller to remove once no rule points at them."""
    existing = {(c.type, c.address): c for c in user.contact_methods}
    keep: list[ContactMethod] = []
    for position, method in enumerate(wanted):
        row = existing.pop((method["type"], method["address"]), None)
        if row is None:
            # The id is given now: rules added later in this apply point at it before any flush.
            row = ContactMethod(id=new_id(), type=method["type"], address=method["address"])
        row.label = method["label"]
        row.position = position
        if method["verified"] and row.verified_at is None:
            row.verified_at = now
        keep.append(row)
    for row in keep:
        if row not in user.contact_methods:
            user.contact_methods.append(row)
    return list(existing.values())


# The user's writer is made per apply (_PeopleWriter), as it finishes after the loop.
WRITERS: dict[str, Writer] = {
    "team": _write_team,
    "role": _write_role,
    "schedule": _write_schedule,
    "escalation_policy": _write_policy,
    "service": _write_service,
    "severity": _write_severity,
    "severity_criterion": _write_criterion,
    "incident_role": _write_positioned,
    "lifecycle_stage": _write_positioned,
    "slack_channel": _write_slack_channel,
    "chat_route": write_chat_route,
    "sign_in": write_sign_in,
    "template": _write_template,
    "customer_recipient": _write_customer,
    "customer_email_policy": _write_customer_policy,
    "stakeholder_list": write_stakeholders,
}


class _IngestionWriter:
    """Writes integrations, routing rules and maintenance windows. Their rows point at services by
    id, so the services of this apply are flushed (given ids) before the first of them."""

    kinds = frozenset({"integration", "routing_rule", "maintenance_window"})

    def __init__(self, session: Session, rows: Rows, result: Plan, now: datetime, actor: str) -> None:
        self.session, self.rows, self.result, self.now, self.actor = session, rows, result, now, actor
        self._loaded = False
        self.integrations: dict[str, Integration] = {}
        self.rules: dict[str, RoutingRule] = {}
        self.windows: dict[str, MaintenanceWindow] = {}

    def write(self, change: Change) -> None:
        if not self._loaded:
            self._load()
        values = self.result.desired.get(change.kind, {}).get(change.name, {})
        if change.kind == "integration":
            self._integration(change, values)
        elif change.kind == "routing_rule":
            self._routing_rule(change, values)
        else:
            self._window(change, values)

    def _load(self) -> None:
        self.session.flush()
        self._loaded = True
        names = {service.id: name for name, service in self.rows["service"].items()}
        for row in self.session.scalars(select(Integration)):
            if row.service_id in names:
                self.integrations[f"{names[row.service_id]}/{row.name}"] = row
        self.rules = {rule.name: rule for rule in self.session.scalars(select(RoutingRule))}
        self.windows = {str(window.name): window for window in self.session.scalars(
            select(MaintenanceWindow).where(MaintenanceWindow.origin == "config",
                                            MaintenanceWindow.name.is_not(None)))}

    def _integration(self, change: Change, values: Values) -> None:
        row = self.integrations.get(change.name)
        if change.action == "delete":
            assert row is not None
            row.archived_at = self.now  # alerts point at it; re-adding the name restores it
            return
        service, name = change.name.split("/", 1)
        created = row is None
        if row is None:
            row = Integration(id=new_id(), service_id=self.rows["service"][service].id, name=name)
            self.session.add(row)
            self.integrations[change.name] = row
        row.archived_at = None
        row.type = values["type"]
        digest = values["key_sha256"]
        if digest is not None:
            if created or row.key_hash != digest:
                row.key_hash, row.key_prefix = digest, values[KEY_PREFIX]
        elif created or row.key_source != "generated":
            # A generated key is made once and then kept: later applies never get here for it.
            assert values["key_source"] == "generated"  # env keys were all read before planning
            key = generate_key()
            row.key_hash, row.key_prefix = hash_key(key), key_prefix(key)
            self.result.generated_keys[change.name] = key
        row.key_source = values["key_source"]
        row.settings = stored_settings(values)
        self._sync_heartbeat(row, created)

    def _sync_heartbeat(self, row: Integration, created: bool) -> None:
        """A heartbeat integration has a Heartbeat row from its creation; other types have none."""
        existing = None if created else self.session.get(Heartbeat, row.id)
        if row.type == "heartbeat" and existing is None:
            self.session.flush()  # the integration row first: the heartbeat points at it
            self.session.add(Heartbeat(integration_id=row.id, status="waiting"))
        elif row.type != "heartbeat" and existing is not None:
            self.session.delete(existing)

    def _routing_rule(self, change: Change, values: Values) -> None:
        row = self.rules.get(change.name)
        if change.action == "delete":
            assert row is not None
            self.session.delete(row)
            return
        if row is None:
            row = RoutingRule(name=change.name)
            self.session.add(row)
            self.rules[change.name] = row
        row.position = values["position"]
        row.matchers = list(values["match"])
        row.actions = stored_actions(values)
        row.continue_ = values["continue"]

    def _window(self, change: Change, values: Values) -> None:
        row = self.windows.get(change.name)
        if change.action == "delete":
            assert row is not None
            self.session.delete(row)
            return
        if row is None:
            row = MaintenanceWindow(name=change.name, origin="config", created_by=self.actor)
            self.session.add(row)
            self.windows[change.name] = row
        row.service_id = self.rows["service"][values["service"]].id
        row.starts_at = datetime.fromisoformat(values["starts_at"])
        row.ends_at = datetime.fromisoformat(values["ends_at"])
        row.reason = values["reason"]
