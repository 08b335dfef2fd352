"""Read-only organisation routes; the organisation itself is changed through configuration."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from firebell.api.deps import DB, CurrentActor
from firebell.api.problems import problem_responses
from firebell.org.models import Service, Team, User

router = APIRouter(prefix="/api/v1", tags=["organisation"], responses=problem_responses(401))


class MeOut(BaseModel):
    user: str
    full_name: str
    role: str
    teams: list[str]


class ServiceOut(BaseModel):
    name: str
    title: str
    description: str
    team: str
    status_page_component: str | None


class TeamOut(BaseModel):
    name: str
    description: str
    members: list[str]


class UserOut(BaseModel):
    name: str
    full_name: str
    email: str
    timezone: str
    teams: list[str]
    roles: list[str]


@router.get("/me", response_model=MeOut, summary="Who this token acts as")
def me(db: DB, actor: CurrentActor) -> MeOut:
    with db.unit_of_work(write=False) as session:
        teams = session.execute(select(Team.name).where(Team.id.in_(actor.principal.team_ids))).scalars()
        return MeOut(user=actor.user_name, full_name=actor.display_name, role=actor.principal.role.value,
                     teams=sorted(teams))


@router.get("/services", response_model=list[ServiceOut])
def services(db: DB, actor: CurrentActor) -> list[ServiceOut]:
    with db.unit_of_work(write=False) as session:
        rows = session.execute(select(Service).where(Service.archived_at.is_(None)).order_by(Service.name)).scalars()
        return [ServiceOut(name=s.name, title=s.title, description=s.description, team=s.team.name,
                           status_page_component=s.status_page_component) for s in rows]


@router.get("/teams", response_model=list[TeamOut])
def teams(db: DB, actor: CurrentActor) -> list[TeamOut]:
    with db.unit_of_work(write=False) as session:
        users = session.execute(select(User).where(User.archived_at.is_(None))).scalars().all()
        members: dict[str, list[str]] = {}
        for u in users:
            for m in u.memberships:
                members.setdefault(m.team_id, []).append(u.name)
        rows = session.execute(select(Team).where(Team.archived_at.is_(None)).order_by(Team.name)).scalars()
        return [TeamOut(name=t.name, description=t.description, members=sorted(members.get(t.id, [])))
                for t in rows]


@router.get("/users", response_model=list[UserOut])
def users(db: DB, actor: CurrentActor) -> list[UserOut]:
    with db.unit_of_work(write=False) as session:
        rows = session.execute(select(User).where(User.archived_at.is_(None)).order_by(User.name)).scalars()
        return [UserOut(name=u.name, full_name=u.full_name, email=u.email, timezone=u.timezone,
                        teams=sorted(m.team.name for m in u.memberships),
                        roles=sorted(r.role.name for r in u.role_links)) for u in rows]
