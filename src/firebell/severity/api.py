"""Severity matrix and assessment routes."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from firebell.api.deps import DB, CurrentActor
from firebell.api.problems import problem_responses
from firebell.core.severity import assess
from firebell.severity import levels as severities

router = APIRouter(prefix="/api/v1/severity", tags=["severity"], responses=problem_responses(401, 422))


class LevelOut(BaseModel):
    key: str
    rank: int
    name: str
    description: str
    impact_examples: list[str]
    acknowledge_within_seconds: int | None
    recover_within_seconds: int | None
    update_every_seconds: int | None
    external_comms_required: bool
    external_comms: list[str]
    postmortem_required: bool
    postmortem_due_seconds: int | None


class AssessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flags: list[str] = Field(default_factory=list, description="impact flags that hold, e.g. full_outage")
    metrics: dict[str, float] = Field(default_factory=dict, description="measured values, e.g. error_rate: 12")


class CriterionOut(BaseModel):
    name: str
    description: str
    severity: str


class AssessOut(BaseModel):
    severity: str
    name: str
    reason: str
    matched: list[CriterionOut]


@router.get("/levels", response_model=list[LevelOut], summary="The severity matrix")
def levels(db: DB, actor: CurrentActor) -> list[LevelOut]:
    with db.unit_of_work(write=False) as session:
        return [LevelOut(
            key=r.key, rank=r.rank, name=r.name, description=r.description, impact_examples=r.impact_examples,
            acknowledge_within_seconds=r.acknowledge_within_s, recover_within_seconds=r.recover_within_s,
            update_every_seconds=r.update_every_s, external_comms_required=r.external_comms_required,
            external_comms=r.external_comms, postmortem_required=r.postmortem_required,
            postmortem_due_seconds=r.postmortem_due_s,
        ) for r in severities.severity_levels(session)]


@router.post("/assess", response_model=AssessOut, summary="Suggest a severity from observed impact")
def assess_route(body: AssessIn, db: DB, actor: CurrentActor) -> AssessOut:
    with db.unit_of_work(write=False) as session:
        levels = [severities.to_core_level(r) for r in severities.severity_levels(session)]
        rules = severities.criteria(session)
    result = assess(levels, rules, body.flags, body.metrics)
    return AssessOut(severity=result.level.key, name=result.level.name, reason=result.reason,
                     matched=[CriterionOut(name=c.name, description=c.description, severity=c.severity)
                              for c in result.matched])
