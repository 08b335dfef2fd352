"""Make the database match a validated configuration.

`apply` runs inside the caller's unit of work and never commits, so a failure anywhere leaves the
database as it was. It writes only the rows its plan names; an unchanged tree writes nothing at all
(not even an audit entry), which is what makes a second apply a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.audit.log import record
from firebell.config.plan import Change, Plan, plan
from firebell.config.schema import Config
from firebell.config.state import ORGANISATION_ID, Values
from firebell.core.durations import parse_duration
from firebell.incidents.models import IncidentRoleDef, LifecycleStage
from firebell.org.models import (
    ContactMethod,
    EscalationPolicy,
    Organisation,
    OrgRole,
    Service,
    Team,
    TeamMembership,
    User,
    UserRole,
)
from firebell.severity.models import SeverityCriterionRow, SeverityLevelRow

# kind -> (table, the column that holds the configured name)
MODELS: dict[str, tuple[type[Any], str]] = {
    "team": (Team, "name"),
    "role": (OrgRole, "name"),
    "user": (User, "name"),
    "escalation_policy": (EscalationPolicy, "name"),
    "service": (Service, "name"),
    "severity": (SeverityLevelRow, "key"),
    "severity_criterion": (SeverityCriterionRow, "name"),
    "incident_role": (IncidentRoleDef, "name"),
    "lifecycle_stage": (LifecycleStage, "name"),
}

Rows = dict[str, dict[str, Any]]


def apply(session: Session, config: Config, *, now: datetime, actor: str = "config") -> Plan:
    """Apply `config` and return the plan that was carried out (empty when nothing changed)."""
    _lock_organisation(session)
    result = plan(session, config)
    if result.empty:
        return result
    rows = _load_rows(session)
    for change in result.changes:
        if change.kind == "organisation":
            _write_organisation(session, result.desired["organisation"][change.name])
        elif change.action == "delete":
            _delete(session, rows, change, now)
        else:
            _upsert(session, rows, change, result.desired[change.kind][change.name])
    session.flush()
    record(session, actor=actor, action="config.apply",
           subject=f"organisation {config.organisation.name}",
           details={**result.counts(), "changes": [str(change) for change in result.changes]},
           now=now)
    return result


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
        # incident_seq starts here and is only ever advanced by the incident service.
        org = Organisation(id=ORGANISATION_ID, incident_seq=0)
        session.add(org)
    org.name = values["name"]
    org.timezone = values["timezone"]


def _delete(session: Session, rows: Rows, change: Change, now: datetime) -> None:
    row = rows[change.kind][change.name]
    if change.archives:
        row.archived_at = now
    else:
        session.delete(row)


def _upsert(session: Session, rows: Rows, change: Change, values: Values) -> None:
    model, column = MODELS[change.kind]
    row = rows[change.kind].get(change.name)
    if row is None:
        row = model(**{column: change.name})
        session.add(row)
        rows[change.kind][change.name] = row  # later kinds may refer to it before a flush
    if hasattr(row, "archived_at"):
        row.archived_at = None
    WRITERS[change.kind](row, values, rows)


def _set(row: Any, values: Values, *fields: str) -> None:
    for name in fields:
        setattr(row, name, values[name])


def _write_team(row: Team, values: Values, rows: Rows) -> None:
    _set(row, values, "description")


def _write_role(row: OrgRole, values: Values, rows: Rows) -> None:
    _set(row, values, "title", "description")


def _write_policy(row: EscalationPolicy, values: Values, rows: Rows) -> None:
    _set(row, values, "description", "spec")


def _write_service(row: Service, values: Values, rows: Rows) -> None:
    _set(row, values, "title", "description", "escalation_policy", "status_page_component")
    row.team = rows["team"][values["team"]]


def _seconds(text: str | None) -> int | None:
    return None if text is None else int(parse_duration(text) / timedelta(seconds=1))


def _write_severity(row: SeverityLevelRow, values: Values, rows: Rows) -> None:
    _set(row, values, "rank", "name", "description", "impact_examples", "external_comms_required",
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


def _write_user(row: User, values: Values, rows: Rows) -> None:
    _set(row, values, "full_name", "email", "timezone", "access")
    _sync_teams(row, values["teams"], rows["team"])
    _sync_roles(row, values["roles"], rows["role"])
    _sync_contact_methods(row, values["contact_methods"])


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


def _sync_contact_methods(user: User, wanted: list[dict[str, str]]) -> None:
    """Update contact methods in place, matched on (type, address), so a kept method keeps its id
    and its verification; only methods no longer listed are removed."""
    existing = {(c.type, c.address): c for c in user.contact_methods}
    keep: list[ContactMethod] = []
    for position, method in enumerate(wanted):
        row = existing.pop((method["type"], method["address"]), None)
        if row is None:
            row = ContactMethod(type=method["type"], address=method["address"])
        row.label = method["label"]
        row.position = position
        keep.append(row)
    for gone in existing.values():
        user.contact_methods.remove(gone)
    for row in keep:
        if row not in user.contact_methods:
            user.contact_methods.append(row)


WRITERS: dict[str, Callable[[Any, Values, Rows], None]] = {
    "team": _write_team,
    "role": _write_role,
    "user": _write_user,
    "escalation_policy": _write_policy,
    "service": _write_service,
    "severity": _write_severity,
    "severity_criterion": _write_criterion,
    "incident_role": _write_positioned,
    "lifecycle_stage": _write_positioned,
}
