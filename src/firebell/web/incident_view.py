"""What the console's incident pages show, read in one unit of work: the list (open incidents the
most severe and oldest first, then the paginated history) and one incident with everything around
it (timeline sentences, alerts, pages, who is on call). The routes render these; they decide nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.alerts import queries as alert_queries
from firebell.alerts.models import Alert
from firebell.core.access import AccessRole, can_act
from firebell.core.escalation import snapshot_from_json
from firebell.core.link_templates import Link, is_safe_href
from firebell.core.page_waits import Wait, page_wait, plain_error
from firebell.core.severity import Criterion
from firebell.core.stakeholder_updates import STATUSES as UPDATE_STATUSES
from firebell.core.timeline import catalogue
from firebell.core.timeline.views import TimelineView, kinds_shown
from firebell.errors import Invalid, NotFound
from firebell.escalation.service import policy_name_for
from firebell.incidents import queries
from firebell.incidents.models import Incident, TimelineEvent
from firebell.incidents.schemas import IncidentOut, incident_out
from firebell.notify.pages_api import PageOut, pages_of
from firebell.oncall.service import on_call_names
from firebell.org.models import Service, User
from firebell.web import reference_data
from firebell.web.reference_data import ReferenceData

STATUSES = ("triggered", "acknowledged", "resolved")
OPEN_SHOWN = 50  # open incidents on the list before "and N more: narrow the filter"
TIMELINE_SHOWN = 200  # events on an incident's page before "show all": a storm's incident has thousands
HISTORY_PAGE = 25
ALERTS_SHOWN = 50  # an alert storm's incident holds thousands; the page shows the first ones


@dataclass(frozen=True)
class ListParams:
    """The list's query string, as the filter form sends it."""

    status: str = ""
    severity: str = ""
    service: str = ""
    team: str = ""
    mine: bool = False
    q: str = ""
    cursor: str | None = None

    def as_query(self, **override: Any) -> dict[str, str]:
        """The query string of this list (with `override`), without the empty fields."""
        values = {"status": self.status, "severity": self.severity, "service": self.service, "team": self.team,
                  "mine": "1" if self.mine else "", "q": self.q, "cursor": self.cursor or ""}
        values.update({k: str(v) if v else "" for k, v in override.items()})
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Choices:
    """What the forms offer: severities (key, name), services, teams, stages and roles (name, title), people
    and escalation policies (name, description)."""

    severities: list[tuple[str, str]]
    services: list[str]
    teams: list[str]
    stages: list[tuple[str, str]] = field(default_factory=list)
    roles: list[tuple[str, str]] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)
    policies: list[tuple[str, str]] = field(default_factory=list)
    update_statuses: tuple[str, ...] = UPDATE_STATUSES  # a stakeholder update's (core/stakeholder_updates.py)


@dataclass(frozen=True)
class IncidentList:
    params: ListParams
    open: list[IncidentOut]
    open_total: int
    history: list[IncidentOut]
    next_cursor: str | None
    choices: Choices
    criteria: list[Criterion]  # the declare form's checkboxes (the severity assessment)
    may_declare: bool


def _choices(known: ReferenceData, people: list[tuple[str, str]] | None = None) -> Choices:
    """The list's filters and declare form (`people` None), or every form of an incident's page."""
    if people is None:
        return Choices(known.severities, known.services, known.teams)
    return Choices(known.severities, known.services, known.teams, known.stages, known.roles, people, known.policies)


def incident_list(session: Session, actor: Actor, params: ListParams, now: datetime) -> IncidentList:
    status = params.status if params.status in STATUSES else ""
    f = queries.IncidentFilter(
        statuses=[status] if status else [], severities=[params.severity] if params.severity else [],
        services=[params.service] if params.service else [], teams=[params.team] if params.team else [],
        search=params.q, mine=actor.user_id if params.mine else None)
    known = reference_data.current(session)
    open_rows: list[Any] = []
    total = 0
    if status != "resolved" and not params.cursor:  # later history pages show the history alone
        f.limit = OPEN_SHOWN
        open_rows, total = queries.list_open(session, actor, f, links=False)
    history: list[Any] = []
    next_cursor = None
    if status in ("", "resolved"):
        f.statuses, f.limit, f.cursor = ["resolved"], HISTORY_PAGE, params.cursor
        try:
            history, next_cursor = queries.list_incidents(session, actor, f, links=False)
        except Invalid:  # a cursor from an edited URL: the first page rather than an error page
            f.cursor = None
            history, next_cursor = queries.list_incidents(session, actor, f, links=False)
    # Both lists' people and services in one statement; the rows do not show missed updates.
    shown = incident_out(session, queries.with_links(session, open_rows + history), now, clocks=known.clocks,
                         count_missed=False)
    may_declare = actor.principal.role is not AccessRole.VIEWER and (
        actor.is_admin or bool(actor.principal.team_ids))
    return IncidentList(params=params, open=shown[:len(open_rows)], open_total=total, history=shown[len(open_rows):],
                        next_cursor=next_cursor, choices=_choices(known), criteria=known.criteria,
                        may_declare=may_declare)


@dataclass(frozen=True)
class ShownEvent:
    id: int
    at: datetime
    text: str
    kind: str
    actor: str


@dataclass(frozen=True)
class LinkShown:
    """A link out, with the host it leads to, so a person knows where a click goes."""

    text: str
    href: str
    host: str


def _shown(link: Link) -> LinkShown:
    return LinkShown(link.text, link.href, urlsplit(link.href).hostname or "")


@dataclass(frozen=True)
class AlertShown:
    id: str
    summary: str
    status: str
    service: str
    severity: str
    event_count: int
    last_seen_at: datetime
    links: list[LinkShown]  # as the alerts page shows them (alerts/queries.links_of)


@dataclass(frozen=True)
class ChangeShown:
    """A change to one of its services (a deploy, a config change) near the incident."""

    service: str
    summary: str
    source: str
    occurred_at: datetime
    before_detection: bool
    links: list[LinkShown]


@dataclass(frozen=True)
class PageShown:
    """A page as the API lists it, with why it waits (pending) or why it failed, in words."""

    page: PageOut
    wait: Wait | None
    error: str


@dataclass(frozen=True)
class OnCall:
    """Who a service's escalation policy pages now: per level, each target and the people it names."""

    service: str
    policy: str | None
    levels: list[list[tuple[str, list[str]]]]


@dataclass(frozen=True)
class IncidentPage:
    incident: IncidentOut
    may_act: bool
    events: list[ShownEvent]
    in_view: int  # the events the view would show, all of them
    event_count: int  # all of the incident's events, whatever the view shows
    view: TimelineView
    newest_first: bool
    alerts: list[AlertShown]
    alert_count: int
    changes: list[ChangeShown]
    pages: list[PageShown]
    on_call: list[OnCall]
    choices: Choices


def incident_page(session: Session, actor: Actor, ref: str, now: datetime, *,
                  view: TimelineView = TimelineView.EVERYTHING, newest_first: bool = True,
                  show_all: bool = False) -> IncidentPage:
    """Everything the incident page shows; NotFound (missing or private to the actor) like the API.
    The timeline: the newest (or oldest) TIMELINE_SHOWN events of the view unless `show_all`."""
    incident = queries.find(session, actor, ref)
    known = reference_data.current(session)
    of_incident = TimelineEvent.incident_id == incident.id
    kinds = kinds_shown(view)
    in_view = of_incident if kinds is None else and_(of_incident, TimelineEvent.type.in_(sorted(kinds)))
    # The counts ride on the events' statement (uncorrelated subqueries, evaluated once).
    every = select(func.count()).select_from(TimelineEvent).where(of_incident).scalar_subquery()
    shown = select(func.count()).select_from(TimelineEvent).where(in_view).scalar_subquery()
    query = (select(TimelineEvent.id, TimelineEvent.type, TimelineEvent.payload, TimelineEvent.actor,
                    TimelineEvent.occurred_at, every.label("every"), shown.label("shown")).where(in_view)
             .order_by(TimelineEvent.id.desc() if newest_first else TimelineEvent.id))
    rows = session.execute(query if show_all else query.limit(TIMELINE_SHOWN)).all()
    counts = (rows[0].every, rows[0].shown) if rows else session.execute(select(every, shown)).one()
    payloads = [catalogue.read(r.type, r.payload) for r in rows]  # parsed once: for the names, then the sentences
    # Everyone once: the full names the sentences use (former colleagues too) and the forms' people.
    users = session.execute(select(User.name, User.full_name, User.archived_at).order_by(User.name)).all()
    people = {u.name: u.full_name for u in users if u.full_name}
    events = [ShownEvent(r.id, r.occurred_at, catalogue.render_read(r.type, data, r.actor, people,
                                                                    known.stage_titles).text, r.type, r.actor)
              for r, data in zip(rows, payloads, strict=True)]
    out = incident_out(session, [incident], now, clocks=known.clocks)[0]
    alerts, alert_count = _alerts(session, incident.id)
    return IncidentPage(
        incident=out, may_act=can_act(actor.principal, queries.facts(incident)), events=events,
        in_view=int(counts[1]), event_count=int(counts[0]), view=view, newest_first=newest_first,
        alerts=alerts, alert_count=alert_count, changes=_changes(session, incident, known.service_names),
        pages=_pages(session, incident.id, now),
        on_call=_on_call(session, known, [s.service_id for s in incident.services], incident.severity, now),
        choices=_choices(known, [(u.name, u.full_name or u.name) for u in users if u.archived_at is None]))


def _alerts(session: Session, incident_id: str) -> tuple[list[AlertShown], int]:
    """The first ALERTS_SHOWN alerts of the incident with their links, and how many it has."""
    of_incident = Alert.incident_id == incident_id
    total = select(func.count()).select_from(Alert).where(of_incident).scalar_subquery()  # evaluated once
    rows = session.execute(select(Alert, Service.name, total).join(Service, Service.id == Alert.service_id)
                           .where(of_incident).order_by(Alert.first_seen_at, Alert.id).limit(ALERTS_SHOWN)).all()
    if not rows:  # no alerts: no links to build either
        return [], 0
    links = alert_queries.links_by_alert(session, [a for a, _, _ in rows])
    return [AlertShown(a.id, a.summary or a.dedup_key, a.status, name, a.severity, a.event_count, a.last_seen_at,
                       [_shown(link) for link in links[a.id]]) for a, name, _ in rows], int(rows[0][2])


def _changes(session: Session, incident: Incident, names: dict[str, str]) -> list[ChangeShown]:
    """What changed on its services in the hours before detection and while it was open (`incident
    show` prints the same): the first suspects. `names`: every service's by id."""
    return [ChangeShown(names.get(c.service_id, "?"), c.summary, c.source, c.occurred_at,
                        c.occurred_at < incident.declared_at,
                        [_shown(Link(str(link.get("text") or link["href"]), link["href"])) for link in c.links or []
                         if isinstance(link, dict) and isinstance(link.get("href"), str)
                         and is_safe_href(link["href"])])
            for c in alert_queries.changes_around(session, incident)]


def _pages(session: Session, incident_id: str, now: datetime) -> list[PageShown]:
    return [PageShown(p, page_wait(p.state, p.waiting_because, p.next_attempt_at, p.attempts, p.last_error, now),
                      plain_error(p.last_error) if p.state in ("failed", "cancelled") else "")
            for p in pages_of(session, incident_id)]


def _on_call(session: Session, known: ReferenceData, service_ids: list[str], severity: str,
             now: datetime) -> list[OnCall]:
    """Per service (by name), its policy for the severity and who each level pages now. The services'
    settings and the policies are configuration (`known`); only the schedules are read."""
    found = []
    for service_id in sorted(service_ids, key=lambda i: known.service_names.get(i, "")):
        policy = policy_name_for(known.service_policies.get(service_id), severity)
        spec = known.specs.get(policy) if policy else None
        levels: list[list[tuple[str, list[str]]]] = []
        if spec and spec.get("levels"):  # as escalation.service.load_spec: no ladder, nothing to page
            for level in snapshot_from_json(spec).policy.levels:
                # A person is named by themselves; a schedule, role or team by what it is, then who.
                levels.append([("" if t.kind == "user" else f"{t.kind} {t.name}",
                                _named(session, t.kind, t.name, now)) for t in level.targets])
        found.append(OnCall(known.service_names.get(service_id, "?"), policy, levels))
    return found


def _named(session: Session, kind: str, name: str, now: datetime) -> list[str]:
    if kind == "schedule":
        try:
            return on_call_names(session, name, now)
        except NotFound:  # a schedule renamed since the policy named it: show nobody, not an error page
            return []
    return [name] if kind == "user" else []
