"""REST routes for schedules: who is on call, shifts and gaps, overrides, calendar feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.fields import Instant
from firebell.api.problems import problem, problem_responses
from firebell.core.schedules import Shift, final_shifts
from firebell.errors import Forbidden, NotFound
from firebell.oncall import feeds, service
from firebell.oncall.feed_links import feed_path, rotate_feed
from firebell.oncall.models import Schedule
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


class FeedOut(BaseModel):
    url: str


def _shift(s: Shift) -> ShiftOut:
    return ShiftOut(user=s.user, start=s.start, end=s.end, source=s.source)


@router.get("/oncall", response_model=list[ScheduleOut], summary="Who is on call now (or at `at`), and next")
def oncall(db: DB, _actor: CurrentActor, now: Now, schedule: str | None = None,
           at: Instant | None = None) -> list[ScheduleOut]:
    instant = at or now()
    with db.unit_of_work(write=False) as session:
        names = [schedule] if schedule else list(session.execute(
            select(Schedule.name).where(Schedule.archived_at.is_(None)).order_by(Schedule.name)).scalars())
        out = []
        for name in names:
            view = service.overview(session, name, instant, days=0)
            out.append(ScheduleOut(name=name, title=view.schedule.title, timezone=view.schedule.timezone,
                                   on_call=view.now, next_user=view.next.user if view.next else None,
                                   next_at=view.next.at if view.next else None))
        return out


@router.get("/schedules/{name}", response_model=ScheduleOut, summary="Final shifts and coverage gaps")
def show(name: str, db: DB, _actor: CurrentActor, now: Now,
         days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14, start: Instant | None = None) -> ScheduleOut:
    begin = start or now()
    with db.unit_of_work(write=False) as session:
        view = service.overview(session, name, begin, days)
        return ScheduleOut(name=name, title=view.schedule.title, timezone=view.schedule.timezone, on_call=view.now,
                           next_user=view.next.user if view.next else None,
                           next_at=view.next.at if view.next else None,
                           shifts=[_shift(s) for s in view.shifts], gaps=[GapOut(start=a, end=b) for a, b in view.gaps])


@router.post("/schedules/{name}/overrides", response_model=OverrideOut, status_code=status.HTTP_201_CREATED,
             summary="Put someone on call over the schedule for an interval")
def add_override(name: str, body: OverrideIn, db: DB, actor: CurrentActor, now: Now) -> OverrideOut:
    with db.unit_of_work() as session:
        row = service.add_override(session, actor, schedule=name, user=body.user, start=body.start, end=body.end,
                                   reason=body.reason, created_by=actor.label, now=now())
        return OverrideOut(id=row.id, schedule=name, user=body.user, start=row.starts_at, end=row.ends_at,
                           reason=row.reason)


def _feed_url(session: Session, kind: str, subject: Schedule | User, at: datetime) -> FeedOut:
    return FeedOut(url=feed_path(session, kind, subject))


def _feed_person(session: Session, user: str, actor: Actor, verb: str) -> User:
    if user != actor.user_name and not actor.is_admin:
        raise Forbidden(f"you can only {verb} your own calendar feed")
    person = session.execute(select(User).where(User.name == user, User.archived_at.is_(None))).scalar()
    if person is None:
        raise NotFound(f"no user {user!r}")
    return person


def _rotated(session: Session, actor: Actor, kind: str, subject: Schedule | User, at: datetime) -> FeedOut:
    return FeedOut(url=rotate_feed(session, kind, subject, now=at, actor=actor.user_name))


@router.get("/schedules/{name}/feed", response_model=FeedOut, summary="The secret iCalendar URL of a schedule")
def schedule_feed(name: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        row = service.find(session, name)
        service.check_may_change(session, actor, row, feed_url=True)
        return _feed_url(session, "schedule", row, now())


@router.post("/schedules/{name}/feed/rotate", response_model=FeedOut,
             summary="Revoke a schedule's iCalendar URL (a leaked one) and get a new one")
def rotate_schedule_feed(name: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        row = service.find(session, name)
        service.check_may_change(session, actor, row)
        return _rotated(session, actor, "schedule", row, now())


@router.get("/users/{user}/feed", response_model=FeedOut, summary="The secret iCalendar URL of a person's shifts")
def user_feed(user: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        return _feed_url(session, "user", _feed_person(session, user, actor, "get"), now())


@router.post("/users/{user}/feed/rotate", response_model=FeedOut,
             summary="Revoke a person's iCalendar URL (a leaked one) and get a new one")
def rotate_user_feed(user: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        return _rotated(session, actor, "user", _feed_person(session, user, actor, "rotate"), now())


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
        rows = list(session.execute(select(Schedule).where(Schedule.archived_at.is_(None))
                                    .order_by(Schedule.name)).scalars())
        only_user: str | None = None
        owner: Schedule | User | None
        if kind == "schedule":
            rows = [r for r in rows if r.id == subject]
            owner = rows[0] if rows else None
        else:
            owner = session.get(User, subject)
            owner = owner if owner is not None and owner.archived_at is None else None
        # Unknown, archived, forged or revoked (an older generation): all look the same from outside.
        if owner is None or not feeds.genuine(link_secret(session), token, kind, subject, owner.feed_generation):
            return _no_feed()
        if isinstance(owner, Schedule):
            title = owner.title or owner.name
        else:
            title, only_user = f"On call: {owner.name}", owner.name
        pairs = [(row.name, s) for row in rows
                 for s in final_shifts(service.build(session, row, begin, end), begin, end)
                 if only_user is None or s.user == only_user]
    return Response(feeds.calendar(title, pairs, at), media_type="text/calendar")
