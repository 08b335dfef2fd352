"""The configuration the console's pages show on every view: the severities (with their clocks and
assessment criteria), services, teams, lifecycle stages, incident roles and escalation policies.

Only a config apply writes these (and every apply moves `organisations.config_version`), so each
process reads them once per version, as ingestion does its configuration (alerts/snapshot.py): a page
pays one small statement for them instead of six to eight. People are not here: an admin or a single
sign-on changes them without an apply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.core.severity import Criterion
from firebell.escalation.models import EscalationPolicy
from firebell.incidents import reference
from firebell.org.models import Organisation, Service, Team
from firebell.severity import levels
from firebell.store.txcache import PerVersion, per_transaction

ORGANISATION_ID = 1


@dataclass(frozen=True)
class ReferenceData:
    version: int
    severities: list[tuple[str, str]]  # (key, name), the most severe first; archived levels left out
    clocks: levels.SeverityClocks  # every level's, archived ones too (old incidents keep their clocks)
    criteria: list[Criterion]  # the declare form's checkboxes, in their configured order
    services: list[str]  # the live ones' names, for the forms
    service_names: dict[str, str]  # every service's name by id, archived ones too (old changes name them)
    service_policies: dict[str, Any]  # every service's escalation policy setting, by its id
    teams: list[str]
    stages: list[tuple[str, str]]  # (name, title) in order
    roles: list[tuple[str, str]]
    policies: list[tuple[str, str]]  # (name, description)
    specs: dict[str, dict[str, Any]]  # a live policy's spec, by its name

    @property
    def stage_titles(self) -> dict[str, str]:
        return dict(self.stages)


_cache: PerVersion[ReferenceData] = PerVersion()  # by database URL


def current(session: Session) -> ReferenceData:
    """This database's reference data as of its configuration version (read once per transaction)."""
    return per_transaction(session, "console_reference_data", lambda: _for_version(session))


def _for_version(session: Session) -> ReferenceData:
    version = int(session.execute(select(Organisation.config_version)
                                  .where(Organisation.id == ORGANISATION_ID)).scalar_one_or_none() or 0)
    return _cache.get(str(session.get_bind().engine.url), version, lambda: _read(session, version))


def _read(session: Session, version: int) -> ReferenceData:
    vocab = reference.vocabulary(session)
    services = session.execute(select(Service.id, Service.name, Service.escalation_policy, Service.archived_at)
                               .order_by(Service.name)).all()
    policies = session.execute(select(EscalationPolicy.name, EscalationPolicy.description, EscalationPolicy.spec)
                               .where(EscalationPolicy.archived_at.is_(None)).order_by(EscalationPolicy.name)).all()
    return ReferenceData(
        version=version, severities=[(r.key, r.name) for r in levels.severity_levels(session)],
        clocks=levels.severity_clocks(session), criteria=levels.criteria(session),
        services=[s.name for s in services if s.archived_at is None],
        service_names={s.id: s.name for s in services},
        service_policies={s.id: s.escalation_policy for s in services},
        teams=list(session.execute(select(Team.name).where(Team.archived_at.is_(None))
                                   .order_by(Team.name)).scalars()),
        stages=[(s, vocab.stage_titles[s]) for s in vocab.stages],
        roles=[(r, vocab.role_titles[r]) for r in vocab.roles],
        policies=[(p.name, p.description) for p in policies], specs={p.name: dict(p.spec or {}) for p in policies})
