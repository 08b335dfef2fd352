"""Incidents' own reference data (lifecycle stages and incident roles), read from the store; severity
levels are the severity domain's (severity/levels.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.errors import Invalid
from firebell.incidents.models import IncidentRoleDef, LifecycleStage


@dataclass(frozen=True)
class Vocabulary:
    stages: list[str]
    stage_titles: dict[str, str]
    roles: list[str]
    role_titles: dict[str, str]

    def stage_name(self, requested: str) -> str:
        """Accept a stage by name or title, any case ('Contain', 'contain')."""
        wanted = requested.strip().lower()
        for name in self.stages:
            if wanted in (name.lower(), self.stage_titles.get(name, "").lower()):
                return name
        return requested

    def role_name(self, requested: str) -> str:
        wanted = requested.strip().lower().replace(" ", "_").replace("-", "_")
        for name in self.roles:
            title = self.role_titles.get(name, "").lower().replace(" ", "_")
            if wanted in (name.lower().replace("-", "_"), title):
                return name
        raise Invalid(f"unknown incident role {requested!r}; roles are: {', '.join(self.roles)}")


def vocabulary(session: Session) -> Vocabulary:
    stages = list(session.execute(
        select(LifecycleStage).where(LifecycleStage.archived_at.is_(None)).order_by(LifecycleStage.position)
    ).scalars())
    roles = list(session.execute(
        select(IncidentRoleDef).where(IncidentRoleDef.archived_at.is_(None)).order_by(IncidentRoleDef.position)
    ).scalars())
    return Vocabulary(
        stages=[s.name for s in stages], stage_titles={s.name: s.title or s.name for s in stages},
        roles=[r.name for r in roles], role_titles={r.name: r.title or r.name for r in roles},
    )
