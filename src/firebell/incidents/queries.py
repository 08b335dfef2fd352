"""Finding incidents the actor may see: by reference, and as filtered, paginated lists."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from firebell.actor import Actor
from firebell.core.access import IncidentFacts, can_view
from firebell.errors import Invalid, NotFound
from firebell.incidents.models import Incident, IncidentMember, IncidentService, RoleAssignment
from firebell.org.models import Service, Team, User
from firebell.severity.models import SeverityLevelRow

_REF = re.compile(r"^(?:INC-)?([0-9]{1,10})$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_PAGE = 200
_MAX_NUMBER = 2**31 - 1  # incidents.number is a 32-bit INTEGER on PostgreSQL


def with_people_and_services() -> tuple[_AbstractLoad, ...]:
    """Eager loads for read paths that render or authorise incidents (one query each, not per row)."""
    return (selectinload(Incident.services), selectinload(Incident.roles), selectinload(Incident.members))


def facts(incident: Incident) -> IncidentFacts:
    participants = {m.user_id for m in incident.members} | {r.user_id for r in incident.roles}
    return IncidentFacts(team_id=incident.team_id, private=incident.private,
                         participant_ids=frozenset(participants))


def _not_found(ref: str) -> NotFound:
    return NotFound(f"incident {ref} not found")


def find(session: Session, actor: Actor, ref: str, *, for_update: bool = False) -> Incident:
    """The incident named by `INC-7`, `7` or its UUID. Private incidents the actor may not see are
    reported exactly like missing ones, after exactly the same work: visibility is part of the one
    query, so neither loads people or services (loading them for a private incident before refusing
    it made its 404 measurably slower than a missing one's)."""
    # Read only: services and roles (a few rows each) joined into the incident's own statement, two
    # round trips fewer on every page and API read. Locked: separate loads, since PostgreSQL locks no
    # row of an outer join's nullable side.
    eager = with_people_and_services() if for_update else (
        joinedload(Incident.services), joinedload(Incident.roles), selectinload(Incident.members))
    query = select(Incident).options(*eager).where(visible_to(actor))
    match = _REF.match(ref.strip())
    if match and int(match.group(1)) <= _MAX_NUMBER:
        query = query.where(Incident.number == int(match.group(1)))
    elif _UUID.match(ref.strip().lower()):
        query = query.where(Incident.id == ref.strip().lower())
    else:
        raise _not_found(ref)
    if for_update:
        # populate_existing: if this session already loaded the incident, the locked read must
        # replace what it holds, not be ignored in favour of a stale copy.
        query = query.with_for_update().execution_options(populate_existing=True)
    incident = session.execute(query).unique().scalar_one_or_none()
    # can_view is the rule (core/access.py) and visible_to its SQL form; checking both keeps a
    # divergence between the two from ever showing a private incident.
    if incident is None or not can_view(actor.principal, facts(incident)):
        raise _not_found(ref)
    return incident


def visible_to(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return Incident.id.is_not(None)
    teams = list(actor.principal.team_ids)
    member_of = select(IncidentMember.incident_id).where(IncidentMember.user_id == actor.user_id)
    holds_role = select(RoleAssignment.incident_id).where(RoleAssignment.user_id == actor.user_id)
    return or_(
        Incident.private.is_(False),
        Incident.team_id.in_(teams) if teams else false(),
        Incident.id.in_(member_of),
        Incident.id.in_(holds_role),
    )


@dataclass
class IncidentFilter:
    statuses: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    since: datetime | None = None
    cursor: str | None = None
    limit: int = 50
    search: str = ""  # an incident number (INC-7, 7) or words of its title
    mine: str | None = None  # a user id: only incidents they hold a role in or respond to


def encode_cursor(number: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": number}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        value = None
    # Numbers start at 1 and fit the column's 32 bits; anything else would only reach the database
    # to overflow there (bool is an int to Python, never to us).
    if type(value) is not int or not 1 <= value <= _MAX_NUMBER:
        raise Invalid("cursor: not one this server issued; start again without it")
    return value


def _filtered(query: Select[Any], f: IncidentFilter) -> Select[Any]:
    if f.statuses:
        query = query.where(Incident.status.in_(f.statuses))
    if f.severities:
        query = query.where(Incident.severity.in_([s.upper() for s in f.severities]))
    if f.services:
        on_service = (select(IncidentService.incident_id).join(Service, Service.id == IncidentService.service_id)
                      .where(Service.name.in_(f.services)))
        query = query.where(Incident.id.in_(on_service))
    if f.teams:
        query = query.where(Incident.team_id.in_(select(Team.id).where(Team.name.in_(f.teams))))
    if f.since is not None:
        query = query.where(Incident.declared_at >= f.since)
    if f.search.strip():
        query = query.where(_matching(f.search.strip()))
    if f.mine is not None:
        theirs = union_all(select(IncidentMember.incident_id).where(IncidentMember.user_id == f.mine),
                           select(RoleAssignment.incident_id).where(RoleAssignment.user_id == f.mine))
        query = query.where(Incident.id.in_(theirs))
    return query


def _matching(text: str) -> ColumnElement[bool]:
    """By number when the text is one (INC-7 or 7; a number may also be in a title), else by title."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    in_title = Incident.title.ilike(f"%{escaped}%", escape="\\")
    match = _REF.match(text)
    if match and int(match.group(1)) <= _MAX_NUMBER:
        return or_(Incident.number == int(match.group(1)), in_title)
    return in_title


class ServiceLink(NamedTuple):
    service_id: str


class RoleLink(NamedTuple):
    role: str
    user_id: str


class MemberLink(NamedTuple):
    user_id: str


@dataclass(frozen=True)
class ListedIncident:
    """An incident as a list renders it: its columns and its people and services, read as plain rows.
    Lists are what dashboards poll during a storm; building ORM objects for a page of 50 (and their
    50 links each way) was most of the request's CPU."""

    id: str
    number: int
    title: str
    summary: str
    impact: str
    severity: str
    status: str
    stage: str
    private: bool
    source: str
    tags: list[str]
    team_id: str | None
    declared_by_id: str | None
    declared_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    reopened_at: datetime | None
    last_update_at: datetime | None
    next_update_at: datetime | None
    updated_at: datetime
    version: int
    services: list[ServiceLink] = field(default_factory=list)
    roles: list[RoleLink] = field(default_factory=list)
    members: list[MemberLink] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"INC-{self.number}"


_LISTED_COLUMNS = [getattr(Incident, name) for name in ListedIncident.__dataclass_fields__
                   if name not in ("services", "roles", "members")]


def list_incidents(session: Session, actor: Actor, f: IncidentFilter, *,
                   links: bool = True) -> tuple[list[ListedIncident], str | None]:
    """Newest first. The cursor is the last number seen, so pages stay stable while new incidents
    arrive. `links=False`: without their people and services (`with_links` adds them later, for
    several lists in one statement)."""
    if not 1 <= f.limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}")
    query = _filtered(select(*_LISTED_COLUMNS).where(visible_to(actor)), f)
    if f.cursor:
        query = query.where(Incident.number < decode_cursor(f.cursor))
    rows = session.execute(query.order_by(Incident.number.desc()).limit(f.limit + 1)).all()
    next_cursor = encode_cursor(rows[f.limit - 1].number) if len(rows) > f.limit else None
    listed = [ListedIncident(*row) for row in rows[: f.limit]]
    return (with_links(session, listed) if links else listed), next_cursor


def list_open(session: Session, actor: Actor, f: IncidentFilter, *,
              links: bool = True) -> tuple[list[ListedIncident], int]:
    """Open incidents (not resolved) the actor may see, the most severe first and, within a severity,
    the oldest first: what needs someone now. At most `f.limit` of them, and how many there are
    (counted in the same statement). `links` as `list_incidents`."""
    # The open statuses by name: an index finds them, where "not resolved" read every incident.
    query = _filtered(select(*_LISTED_COLUMNS).where(visible_to(actor),
                                                     Incident.status.in_(("triggered", "acknowledged"))), f)
    # How many match, as a column (an uncorrelated subquery, evaluated once) rather than a second
    # round trip; a window count made SQLite copy every match aside first (4x the time).
    matching = select(func.count()).select_from(query.with_only_columns(Incident.id).subquery()).scalar_subquery()
    rank = select(SeverityLevelRow.rank).where(SeverityLevelRow.key == Incident.severity).scalar_subquery()
    rows = session.execute(query.add_columns(matching.label("matching"))
                           .order_by(rank.nulls_last(), Incident.declared_at, Incident.number).limit(f.limit)).all()
    listed = [ListedIncident(*row[:-1]) for row in rows]
    return (with_links(session, listed) if links else listed), int(rows[0].matching) if rows else 0


def with_links(session: Session, listed: Sequence[ListedIncident]) -> list[ListedIncident]:
    """`listed` with their services, roles and members filled in, in one statement: a round trip is
    most of a small query's cost on PostgreSQL, and dashboards poll these lists."""
    page = {i.id: i for i in listed}
    if page:
        for kind, incident_id, linked_id, role in session.execute(_links_statement(), {"ids": list(page)}):
            found = page[incident_id]
            if kind == "service":
                found.services.append(ServiceLink(linked_id))
            elif kind == "role":
                found.roles.append(RoleLink(role, linked_id))
            else:
                found.members.append(MemberLink(linked_id))
    return list(listed)


@cache
def _links_statement() -> CompoundSelect[Any]:
    """Made once, the ids bound at execution: building it (three selects, three IN lists) cost more
    Python than running it, on every list a dashboard polls (bench/storm.py's incident reads)."""
    ids: BindParameter[str] = bindparam("ids", expanding=True)
    return union_all(
        select(literal_column("'service'"), IncidentService.incident_id, IncidentService.service_id, null())
        .where(IncidentService.incident_id.in_(ids)),
        select(literal_column("'role'"), RoleAssignment.incident_id, RoleAssignment.user_id, RoleAssignment.role)
        .where(RoleAssignment.incident_id.in_(ids)),
        select(literal_column("'member'"), IncidentMember.incident_id, IncidentMember.user_id, null())
        .where(IncidentMember.incident_id.in_(ids)),
    )


@dataclass(frozen=True)
class DisplayNames:
    users: dict[str, str]
    teams: dict[str, str]
    services: dict[str, str]


def display_names(session: Session, *, users: set[str], teams: set[str], services: set[str]) -> DisplayNames:
    """The names of people, teams and services by id, in one statement."""
    wanted = {"user": users, "team": teams, "service": services}
    asked = tuple(kind for kind, ids in wanted.items() if ids)
    found: dict[str, dict[str, str]] = {"user": {}, "team": {}, "service": {}}
    if asked:
        for kind, id_, name in session.execute(_names_statement(asked), {kind: list(wanted[kind]) for kind in asked}):
            found[kind][id_] = name
    return DisplayNames(found["user"], found["team"], found["service"])


_NAMED: dict[str, type[User] | type[Team] | type[Service]] = {"user": User, "team": Team, "service": Service}


@cache
def _names_statement(kinds: tuple[str, ...]) -> Select[Any] | CompoundSelect[Any]:
    """One statement per combination of kinds asked (seven at most), made once; ids bound at execution."""
    parts: list[Any] = [select(literal_column(f"'{kind}'"), _NAMED[kind].id, _NAMED[kind].name)
                        .where(_NAMED[kind].id.in_(bindparam(kind, expanding=True))) for kind in kinds]
    return union_all(*parts) if len(parts) > 1 else parts[0]
