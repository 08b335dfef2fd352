"""A person's own notification rules and quiet hours, read and replaced through the API. Whether
they may be changed here, or are managed by the config tree, is the answer's `managed_by`
(notify/personal.py)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.problems import problem_responses
from firebell.notify import personal
from firebell.notify.me_api import own_user
from firebell.org.models import User

router = APIRouter(prefix="/api/v1/me", tags=["me"], responses=problem_responses(401, 404, 422))

ManagedBy = Literal["config", "you"]
_MANAGED_BY_DOC = ("`config`: the configuration tree manages these settings and changes are refused (409); "
                   "`you`: you keep your own")


class RuleOut(BaseModel):
    method_id: str
    type: str
    address: str
    label: str
    verified: bool
    after_minutes: int


class RulesOut(BaseModel):
    managed_by: ManagedBy = Field(description=_MANAGED_BY_DOC)
    high: list[RuleOut]
    low: list[RuleOut]


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(min_length=1, max_length=500,
                        description="One of your contact methods: its id, address, label or type")
    after_minutes: int = Field(default=0, ge=0, le=personal.MAX_DELAY_MINUTES)


class RulesIn(BaseModel):
    """Each urgency given replaces that urgency's rules (in this order); one left out keeps its rules."""

    model_config = ConfigDict(extra="forbid")
    high: list[RuleIn] | None = Field(default=None, max_length=50)
    low: list[RuleIn] | None = Field(default=None, max_length=50)


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM in your own time zone, such as 22:00")
    end: str = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM, such as 07:00 (before start: past midnight)")
    phone_low_urgency: bool = Field(default=False,
                                    description="Let low-urgency pages ring your phone (SMS, voice) at night too")


class QuietHoursOut(QuietHours):
    managed_by: ManagedBy = Field(description=_MANAGED_BY_DOC)
    timezone: str


def managed_by(user: User) -> ManagedBy:
    return "you" if personal.may_edit(user) else "config"


def rules_of(user: User) -> RulesOut:
    methods = {m.id: m for m in user.contact_methods}
    by_urgency: dict[str, list[RuleOut]] = {"high": [], "low": []}
    for rule in user.notification_rules:  # ordered by urgency, delay, position
        method = methods.get(rule.contact_method_id)
        if method is not None and rule.urgency in by_urgency:
            by_urgency[rule.urgency].append(RuleOut(
                method_id=method.id, type=method.type, address=method.address, label=method.label,
                verified=method.verified_at is not None, after_minutes=rule.delay_minutes))
    return RulesOut(managed_by=managed_by(user), high=by_urgency["high"], low=by_urgency["low"])


def quiet_hours_of(user: User) -> QuietHoursOut:
    return QuietHoursOut(start=user.quiet_start, end=user.quiet_end, phone_low_urgency=user.phone_low_urgency_at_night,
                         timezone=user.timezone, managed_by=managed_by(user))


@router.get("/notification-rules", response_model=RulesOut, summary="Your notification rules per urgency")
def get_rules(db: DB, actor: CurrentActor) -> RulesOut:
    with db.unit_of_work(write=False) as session:
        return rules_of(own_user(session, actor))


@router.put("/notification-rules", response_model=RulesOut, responses=problem_responses(409),
            summary="Replace your notification rules (each urgency given)")
def put_rules(body: RulesIn, db: DB, actor: CurrentActor, now: Now) -> RulesOut:
    wanted = {urgency: [personal.RuleIn(r.method, r.after_minutes) for r in rules]
              for urgency, rules in (("high", body.high), ("low", body.low)) if rules is not None}
    with db.unit_of_work() as session:
        user = own_user(session, actor)
        personal.set_rules(session, user, wanted, now=now(), actor=actor.user_name)
        session.flush()
        session.refresh(user, ["notification_rules"])  # in the stored order
        return rules_of(user)


@router.get("/quiet-hours", response_model=QuietHoursOut, summary="Your quiet hours")
def get_quiet_hours(db: DB, actor: CurrentActor) -> QuietHoursOut:
    with db.unit_of_work(write=False) as session:
        return quiet_hours_of(own_user(session, actor))


@router.put("/quiet-hours", response_model=QuietHoursOut, responses=problem_responses(409),
            summary="Set your quiet hours")
def put_quiet_hours(body: QuietHours, db: DB, actor: CurrentActor, now: Now) -> QuietHoursOut:
    with db.unit_of_work() as session:
        user = own_user(session, actor)
        personal.set_quiet_hours(session, user, start=body.start, end=body.end,
                                 phone_low_urgency=body.phone_low_urgency, now=now(), actor=actor.user_name)
        return quiet_hours_of(user)
