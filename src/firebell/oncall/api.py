"""REST routes for schedules: who is on call, shifts and gaps, overrides, calendar feeds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from firebell.api.deps import DB, CurrentActor, Now
from firebell.core.schedules import Shift, final_shifts
from firebell.errors import Forbidden, Invalid, NotFound
from firebell.notify.links import link_secret
from firebell.oncall import feeds, service
from firebell.oncall.models import Schedule
from firebell.org.models import User

router = APIRouter(prefix="/api/v1", tags=["on-call"])
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
    start: datetime
    end: datetime
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


def _aware(at: datetime | None, now: datetime) -> datetime:
    if at is None:
        return now
    if at.tzinfo is None:
        raise Invalid("times need a time zone offset, e.g. 2026-11-23T09:00:00+01:00")
    return at


def _shift(s: Shift) -> ShiftOut:
    return ShiftOut(user=s.user, start=s.start, end=s.end, source=s.source)


@router.get("/oncall", response_model=list[ScheduleOut], summary="Who is on call now (or at `at`), and next")
def oncall(db: DB, _actor: CurrentActor, now: Now, schedule: str | None = None,
           at: datetime | None = None) -> list[ScheduleOut]:
    instant = _aware(at, now())
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
         days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 14, start: datetime | None = None) -> ScheduleOut:
    begin = _aware(start, now())
    with db.unit_of_work(write=False) as session:
        view = service.overview(session, name, begin, days)
        return ScheduleOut(name=name, title=view.schedule.title, timezone=view.schedule.timezone, on_call=view.now,
                           next_user=view.next.user if view.next else None,
                           next_at=view.next.at if view.next else None,
                           shifts=[_shift(s) for s in view.shifts], gaps=[GapOut(start=a, end=b) for a, b in view.gaps])


@router.post("/schedules/{name}/overrides", response_model=OverrideOut, status_code=status.HTTP_201_CREATED,
             summary="Put someone on call over the schedule for an interval")
def add_override(name: str, body: OverrideIn, db: DB, actor: CurrentActor, now: Now) -> OverrideOut:
    if actor.principal.role.value == "viewer":
        raise Forbidden("viewers cannot change schedules")
    with db.unit_of_work() as session:
        row = service.add_override(session, schedule=name, user=body.user, start=body.start, end=body.end,
                                   reason=body.reason, created_by=actor.label, now=now())
        return OverrideOut(id=row.id, schedule=name, user=body.user, start=row.starts_at, end=row.ends_at,
                           reason=row.reason)


@router.get("/schedules/{name}/feed", response_model=FeedOut, summary="The secret iCalendar URL of a schedule")
def schedule_feed(name: str, db: DB, _actor: CurrentActor, now: Now) -> FeedOut:
    with db.unit_of_work() as session:
        row = service.find(session, name)
        return FeedOut(url=f"/ical/{feeds.feed_token(link_secret(session, now()), 'schedule', row.id)}.ics")


@router.get("/users/{user}/feed", response_model=FeedOut, summary="The secret iCalendar URL of a person's shifts")
def user_feed(user: str, db: DB, actor: CurrentActor, now: Now) -> FeedOut:
    if user != actor.user_name and not actor.is_admin:
        raise Forbidden("you can only get your own calendar feed")
    with db.unit_of_work() as session:
        person = session.execute(select(User).where(User.name == user, User.archived_at.is_(None))).scalar()
        if person is None:
            raise NotFound(f"no user {user!r}")
        return FeedOut(url=f"/ical/{feeds.feed_token(link_secret(session, now()), 'user', person.id)}.ics")


@feed_router.get("/ical/{token}.ics")
def ical(token: str, db: DB, now: Now) -> Response:
    at = now()
    end = at + timedelta(days=feeds.FEED_HORIZON_DAYS)
    begin = at - timedelta(days=7)
    with db.unit_of_work(write=False) as session:  # calendar apps poll: never take the write lock
        found = feeds.read_feed_token(link_secret(session, at), token)
        if found is None:
            return Response(status_code=404)
        kind, subject = found
        rows = list(session.execute(select(Schedule).where(Schedule.archived_at.is_(None))
                                    .order_by(Schedule.name)).scalars())
        only_user: str | None = None
        if kind == "schedule":
            rows = [r for r in rows if r.id == subject]
            if not rows:
                return Response(status_code=404)
            title = rows[0].title or rows[0].name
        else:
            person = session.get(User, subject)
            if person is None or person.archived_at is not None:
                return Response(status_code=404)
            title, only_user = f"On call: {person.name}", person.name
        pairs = [(row.name, s) for row in rows
                 for s in final_shifts(service.build(session, row, begin, end), begin, end)
                 if only_user is None or s.user == only_user]
    return Response(feeds.calendar(title, pairs, at), media_type="text/calendar")
