"""REST routes for schedules: who is on call, shifts and gaps, overrides (add, list, cancel), swaps,
calendar feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, TypedDict

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.fields import Instant
from firebell.api.problems import problem, problem_responses
from firebell.core.schedules import Shift
from firebell.errors import Forbidden, Invalid, NotFound
from firebell.oncall import feeds, service
from firebell.oncall.models import Schedule, ScheduleOverride
from firebell.org.models import User
from firebell.store.secrets import link_secret

router = APIRouter(prefix="/api/v1", tags=["on-call"], responses=problem_responses(401, 403, 404, 422))
feed_router = APIRouter(tags=["on-call"], include_in_schema=False)
MAX_DAYS = 366


class ShiftOut(BaseModel):
    user: str
    start: datetime
    end: datetime
    source: str


class GapOut(BaseModel):
    start: datetime
    end: datetime


class ScheduleSummary(BaseModel):
    name: str
    title: str
    team: str | None
    timezone: str
    on_call: str | None
    next_user: str | None = None
    next_at: datetime | None = None


class ScheduleOut(BaseModel):
    name: str
    title: str
    timezone: str
    on_call: str | None
    next_user: str | None = None
    next_at: datetime | None = None
    shifts: list[ShiftOut] = []
    gaps: list[GapOut] = []


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str
    start: Instant
    end: Instant
    reason: str = ""


class OverrideOut(BaseModel):
    id: str
    schedule: str
    user: str
    start: datetime
    end: datetime
    reason: str
    created_by: str = ""
    created_at: datetime | None = None
    cancelled_at: datetime | None = None
    swap_id: str | None = None


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: str
    start: Instant
    end: Instant


class SwapIn(BaseModel):
    """Two people's shifts to trade: `first.user` takes `second`'s shift and `second.user` takes `first`'s."""

    model_config = ConfigDict(extra="forbid")
    first: ShiftIn
    second: ShiftIn
    reason: str = ""


class SwapOut(BaseModel):
    swap_id: str
    overrides: list[OverrideOut]


class FeedOut(BaseModel):
    url: str


def _shift(s: Shift) -> ShiftOut:
    return ShiftOut(user=s.user, start=s.start, end=s.end, source=s.source)


class _Now(TypedDict):
    on_call: str | None
    next_user: str | None
    next_at: datetime | None


def _next(view: service.Overview) -> _Now:
    return {"on_call": view.now, "next_user": view.next.user if view.next else None,
            "next_at": view.next.at if view.next else None}


@router.get("/oncall", response_model=list[ScheduleOut], summary="Who is on call now (or at `at`), and next")
def oncall(db: DB, _actor: CurrentActor, now: Now, schedule: str | None = None,
           at: Instant | None = None) -> list[ScheduleOut]:
    instant = at or now()
    with db.unit_of_work(write=False) as session:
        views = [service.overview(session, schedule, instant, days=0)] if schedule else \
            service.overviews(session, instant)
        return [ScheduleOut(name=v.schedule.name, title=v.schedule.title, timezone=v.schedule.timezone, **_next(v))
                for v in views]


@router.get("/schedules", response_model=list[ScheduleSummary],
            summary="Every schedule, its team, and who is on call now (or at `at`) and next")
def list_schedules(db: DB, _actor: CurrentActor, now: Now, at: Instant | None = None) -> list[ScheduleSummary]:
    with db.unit_of_work(write=False) as session:
        teams = service.team_names(session)
        return [ScheduleSummary(name=v.schedule.name, title=v.schedule.title, timezone=v.schedule.timezone,
                                team=teams.get(v.schedule.team_id or ""), **_next(v))
                for v in service.overviews(session, at or now())]


@router.get("/schedules/{name}", response_model=ScheduleOut, summary="Final shifts and coverage gaps")
def show(name: str, db: DB, _actor: CurrentActor, now: Now,
         days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14, start: Instant | None = None) -> ScheduleOut:
    begin = start or now()
    with db.unit_of_work(write=False) as session:
        view = service.overview(session, name, begin, days)
        return ScheduleOut(name=name, title=view.schedule.title, timezone=view.schedule.timezone, **_next(view),
                           shifts=[_shift(s) for s in view.shifts], gaps=[GapOut(start=a, end=b) for a, b in view.gaps])


def _override(row: ScheduleOverride, schedule: str, user: str) -> OverrideOut:
    return OverrideOut(id=row.id, schedule=schedule, user=user, start=row.starts_at, end=row.ends_at,
                       reason=row.reason, created_by=row.created_by, created_at=row.created_at,
                       cancelled_at=row.cancelled_at, swap_id=row.swap_id)


@router.post("/schedules/{name}/overrides", response_model=OverrideOut, status_code=status.HTTP_201_CREATED,
             summary="Put someone on call over the schedule for an interval")
def add_override(name: str, body: OverrideIn, db: DB, actor: CurrentActor, now: Now) -> OverrideOut:
    with db.unit_of_work() as session:
        row = service.add_override(session, actor, schedule=name, user=body.user, start=body.start, end=body.end,
                                   reason=body.reason, created_by=actor.label, now=now())
        return _override(row, name, body.user)


@router.get("/schedules/{name}/overrides", response_model=list[OverrideOut],
            summary="The overrides in effect between `start` (default now) and `end` (default: no end)")
def list_overrides(name: str, db: DB, _actor: CurrentActor, now: Now, start: Instant | None = None,
                   end: Instant | None = None, include_cancelled: bool = False) -> list[OverrideOut]:
    begin = start or now()
    if end is not None and end <= begin:
        raise Invalid("end must be after start")
    with db.unit_of_work(write=False) as session:
        return [_override(v.row, name, v.user)
                for v in service.overrides(session, name, begin, end, include_cancelled=include_cancelled)]


@router.post("/schedules/{name}/overrides/{override_id}/cancel", response_model=list[OverrideOut],
             summary="Cancel an override from now on (both halves of a swap)", responses=problem_responses(409))
def cancel_override(name: str, override_id: str, db: DB, actor: CurrentActor, now: Now) -> list[OverrideOut]:
    with db.unit_of_work() as session:
        rows = service.cancel_override(session, actor, schedule=name, override_id=override_id, now=now())
        users = service.user_names(session, {r.user_id for r in rows})
        return [_override(r, name, users[r.user_id]) for r in rows]


@router.post("/schedules/{name}/swaps", response_model=SwapOut, status_code=status.HTTP_201_CREATED,
             summary="Two people trade shifts: two overrides made together", responses=problem_responses(409))
def swap(name: str, body: SwapIn, db: DB, actor: CurrentActor, now: Now) -> SwapOut:
    with db.unit_of_work() as session:
        rows = service.swap(session, actor, schedule=name, reason=body.reason, created_by=actor.label, now=now(),
                            first=Shift(body.first.user, body.first.start, body.first.end, ""),
                            second=Shift(body.second.user, body.second.start, body.second.end, ""))
        users = (body.second.user, body.first.user)  # who covers the first shift, then the second
        return SwapOut(swap_id=rows[0].swap_id or "", overrides=[_override(r, name, u) for r, u in zip(rows, users,
                                                                                                        strict=True)])


def _feed_person(session: Session, user: str, actor: Actor, verb: str) -> User:
    if user != actor.user_name and not actor.is_admin:
        raise Forbidden(f"you can only {verb} your own calendar feed")
    person = session.execute(select(User).where(User.name == user, User.archived_at.is_(None))).scalar()
    if person is None:
        raise NotFound(f"no user {user!r}")
    return person


@router.get("/schedules/{name}/feed", response_model=FeedOut, summary="The secret iCalendar URL of a schedule")
def schedule_feed(name: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        row = service.find(session, name)
        service.check_may_change(session, actor, row, feed_url=True)
        return FeedOut(url=service.feed_path(session, "schedule", row))


@router.post("/schedules/{name}/feed/rotate", response_model=FeedOut,
             summary="Revoke a schedule's iCalendar URL (a leaked one) and get a new one")
def rotate_schedule_feed(name: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        row = service.find(session, name)
        service.check_may_change(session, actor, row)
        return FeedOut(url=service.rotate_feed(session, actor, "schedule", row, now()))


@router.get("/users/{user}/feed", response_model=FeedOut, summary="The secret iCalendar URL of a person's shifts")
def user_feed(user: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        return FeedOut(url=service.feed_path(session, "user", _feed_person(session, user, actor, "get")))


@router.post("/users/{user}/feed/rotate", response_model=FeedOut,
             summary="Revoke a person's iCalendar URL (a leaked one) and get a new one")
def rotate_user_feed(user: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        person = _feed_person(session, user, actor, "rotate")
        return FeedOut(url=service.rotate_feed(session, actor, "user", person, now()))


def _no_feed() -> Response:
    # The same words for every case, so the answer tells a guesser nothing; the path is left out
    # (problem()'s `instance`): it is the secret, or a guess at it.
    return problem(404, "no such calendar feed: the link is mistyped, or it was revoked (get the current one "
                        "from Firebell)")


@feed_router.get("/ical/{token}.ics")
def ical(token: str, db: DB, now: Now) -> Response:
    at = now()
    end = at + timedelta(days=feeds.FEED_HORIZON_DAYS)
    begin = at - timedelta(days=7)
    with db.unit_of_work(write=False) as session:  # calendar apps poll: never take the write lock
        claimed = feeds.feed_subject(token)
        if claimed is None:
            return _no_feed()
        kind, subject = claimed
        owner = session.get(Schedule, subject) if kind == "schedule" else session.get(User, subject)
        # Unknown, archived, forged or revoked (an older generation): all look the same from outside.
        if owner is None or owner.archived_at is not None or not feeds.genuine(
                link_secret(session), token, kind, subject, owner.feed_generation):
            return _no_feed()
        if isinstance(owner, Schedule):
            title = owner.title or owner.name
            pairs = [(owner.name, s) for s in service.final_shifts(session, owner, begin, end)]
        else:
            title, pairs = f"On call: {owner.name}", service.shifts_of(session, owner.name, begin, end)
    return Response(feeds.calendar(title, pairs, at), media_type="text/calendar")
