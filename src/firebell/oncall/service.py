"""On-call use cases: build a schedule (its stored layers plus the overrides people made) and ask
the pure core who is on call, what the shifts are, and where coverage has holes; add, list and
cancel overrides, and trade shifts.

A cancelled override keeps its row: it applied until it was cancelled (`cancelled_at`), so on-call
history stays what it was, and one cancelled before it began never applied at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from firebell.actor import Actor
from firebell.audit.log import record
from firebell.core import access
from firebell.core import schedules as core
from firebell.core.access import AccessRole
from firebell.core.instants import shifted
from firebell.errors import Conflict, Forbidden, Invalid, NotFound
from firebell.oncall import feeds
from firebell.oncall.models import Schedule, ScheduleOverride
from firebell.org.models import Team, User
from firebell.store.secrets import link_secret

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOUR = 3600


def _length(spec: dict[str, Any]) -> tuple[core.ShiftLength, int]:
    """(unit, count) of a stored length: whole days step in calendar days (weeks when they can)."""
    days = spec.get("days")
    if days:
        return (core.ShiftLength.weeks(1), days // 7) if days % 7 == 0 else (core.ShiftLength.days(1), days)
    return core.ShiftLength.hours(1), int(spec["seconds"]) // HOUR


def _layer(layer: dict[str, Any], zone: ZoneInfo) -> core.Layer:
    handoff = time.fromisoformat(str(layer.get("handoff") or "09:00"))
    start = core.local_instant(zone, date.fromisoformat(str(layer["start"])), handoff)
    rotation = layer.get("rotation") or {}
    restrictions = tuple(core.Restriction(days=tuple(WEEKDAY_NAMES.index(d) for d in r["days"]),
                                          start=time.fromisoformat(r["from"]), end=time.fromisoformat(r["to"]))
                         for r in layer.get("restrictions") or [])
    if "pattern" in rotation:
        steps = rotation["pattern"]
        unit = core.ShiftLength.days(1) if all(s.get("days") for s in steps) else core.ShiftLength.hours(1)
        pattern = tuple((int(s["days"]) if unit.unit == core.Unit.DAYS else int(s["seconds"]) // HOUR, "on" in s)
                        for s in steps)
        return core.Layer(name=str(layer["name"]), participants=tuple(layer["participants"]), start=start,
                          shift_length=unit, handoff=handoff, pattern=pattern, restrictions=restrictions)
    unit, count = _length(rotation)
    length = {core.Unit.WEEKS: core.ShiftLength.weeks, core.Unit.DAYS: core.ShiftLength.days,
              core.Unit.HOURS: core.ShiftLength.hours}[unit.unit](count)
    return core.Layer(name=str(layer["name"]), participants=tuple(layer["participants"]), start=start,
                      shift_length=length, handoff=handoff, restrictions=restrictions)


def find(session: Session, name: str) -> Schedule:
    row = session.execute(select(Schedule).where(Schedule.name == name, Schedule.archived_at.is_(None))).scalar()
    if row is None:
        raise NotFound(f"no schedule {name!r}")
    return row


def _touching(schedule_id: str, start: datetime, end: datetime | None, *,
              in_effect: bool = True) -> Select[ScheduleOverride, str]:
    """The overrides (with their person's name) that touch [start, end), oldest first; `in_effect`:
    only those that apply there (one cancelled mid-way counts up to its cancellation)."""
    query = (select(ScheduleOverride, User.name).join(User, User.id == ScheduleOverride.user_id)
             .where(ScheduleOverride.schedule_id == schedule_id, ScheduleOverride.ends_at > start)
             .order_by(ScheduleOverride.created_at, ScheduleOverride.id))
    if in_effect:
        query = query.where(or_(ScheduleOverride.cancelled_at.is_(None),
                                (ScheduleOverride.cancelled_at > start)
                                & (ScheduleOverride.cancelled_at > ScheduleOverride.starts_at)))
    return query.where(ScheduleOverride.starts_at < end) if end is not None else query


def effective_end(override: ScheduleOverride) -> datetime:
    """Until when `override` puts its person on call: its end, or its cancellation if that came first."""
    cancelled = override.cancelled_at
    return min(override.ends_at, cancelled) if cancelled is not None else override.ends_at


def build(session: Session, row: Schedule, start: datetime, end: datetime) -> core.Schedule:
    """The schedule with the overrides that touch [start, end), oldest first (later ones win)."""
    zone = ZoneInfo(row.timezone)
    overrides = session.execute(_touching(row.id, start, end)).all()
    return core.Schedule(timezone=row.timezone,
                         layers=tuple(_layer(layer, zone) for layer in (row.spec or {}).get("layers", [])),
                         overrides=tuple(core.Override(user=name, start=o.starts_at, end=effective_end(o))
                                         for o, name in overrides))


def on_call_names(session: Session, name: str, now: datetime) -> list[str]:
    """Who schedule `name` puts on call at `now` (empty in a coverage gap)."""
    row = find(session, name)
    who = core.on_call_at(build(session, row, now, now + timedelta(seconds=1)), now)
    return [who] if who else []


@dataclass(frozen=True)
class Overview:
    schedule: Schedule
    now: str | None
    next: core.Change | None
    shifts: list[core.Shift]
    gaps: list[tuple[datetime, datetime]]


def overview(session: Session, name: str, start: datetime, days: int) -> Overview:
    row = find(session, name)
    try:
        end = shifted(start, timedelta(days=days))
    except ValueError as exc:
        raise Invalid(f"days: {exc}") from None
    schedule = build(session, row, start, end)
    return Overview(schedule=row, now=core.on_call_at(schedule, start), next=core.next_change_after(schedule, start),
                    shifts=core.final_shifts(schedule, start, end), gaps=core.gaps(schedule, start, end))


def check_may_change(session: Session, actor: Actor, row: Schedule, *, feed_url: bool = False) -> None:
    """A schedule is its team's: its responders and admins change it (overrides, feed rotation) and see
    its secret calendar feed URL (`feed_url`: the check is for that); viewers only look."""
    if access.can_change_schedule(actor.principal, row.team_id):
        return
    if actor.principal.role is AccessRole.VIEWER:
        raise Forbidden("viewers cannot see a schedule's calendar feed URL" if feed_url
                        else "viewers cannot change schedules")
    team = session.get(Team, row.team_id) if row.team_id else None
    owner = f"belongs to team {team.name}; only its members" if team else "belongs to no team; only"
    doing = "see its calendar feed URL" if feed_url else "change it"
    raise Forbidden(f"schedule {row.name!r} {owner} and admins can {doing}")


def add_override(session: Session, actor: Actor, *, schedule: str, user: str, start: datetime, end: datetime,
                 reason: str, created_by: str, now: datetime, swap_id: str | None = None) -> ScheduleOverride:
    row = find(session, schedule)
    check_may_change(session, actor, row)
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid("override times need a time zone offset, e.g. 2026-12-24T09:00:00+01:00")
    if end <= start:
        raise Invalid("an override must end after it starts")
    person = session.execute(select(User).where(User.name == user, User.archived_at.is_(None))).scalar()
    if person is None:
        raise Invalid(f"unknown user {user!r}")
    if not access.can_be_on_call(AccessRole(person.access)):
        raise Invalid(f"{user} is a viewer and cannot be put on call: a viewer cannot acknowledge a page")
    override = ScheduleOverride(schedule_id=row.id, user_id=person.id, starts_at=start, ends_at=end, reason=reason,
                                created_by=created_by, created_at=now, swap_id=swap_id)
    session.add(override)
    session.flush()
    return override


def schedules(session: Session) -> list[Schedule]:
    """Every schedule in use, by name."""
    return list(session.execute(select(Schedule).where(Schedule.archived_at.is_(None))
                                .order_by(Schedule.name)).scalars())


def team_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Team.id, Team.name)).all())


def overviews(session: Session, at: datetime) -> list[Overview]:
    """Who is on call at `at` and who is next, for every schedule."""
    return [overview(session, row.name, at, days=0) for row in schedules(session)]


def final_shifts(session: Session, row: Schedule, start: datetime, end: datetime) -> list[core.Shift]:
    return core.final_shifts(build(session, row, start, end), start, end)


def coverage(session: Session, row: Schedule, start: datetime,
             end: datetime) -> tuple[list[core.Shift], list[tuple[datetime, datetime]]]:
    """The final shifts of [start, end) and its stretches with no one on call."""
    schedule = build(session, row, start, end)
    return core.final_shifts(schedule, start, end), core.gaps(schedule, start, end)


def layer_shifts(session: Session, row: Schedule, start: datetime, end: datetime) -> list[tuple[str, list[core.Shift]]]:
    """(layer name, the layer's own shifts in [start, end)) for each layer, lowest first."""
    schedule = build(session, row, start, end)
    return [(layer.name, core.layer_shifts(layer, schedule.zone, start, end)) for layer in schedule.layers]


def people_who_can_be_on_call(session: Session) -> list[str]:
    """Everyone an override may put on call, by name (never a viewer: they cannot acknowledge)."""
    rows = session.execute(select(User.name, User.access).where(User.archived_at.is_(None)).order_by(User.name))
    return [name for name, role in rows if access.can_be_on_call(AccessRole(role))]


def user_names(session: Session, ids: set[str]) -> dict[str, str]:
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}


def shifts_of(session: Session, user: str, start: datetime, end: datetime) -> list[tuple[str, core.Shift]]:
    """(schedule name, shift) for each final shift of `user` in [start, end), on every schedule, by start."""
    found = [(row.name, shift) for row in schedules(session)
             for shift in final_shifts(session, row, start, end) if shift.user == user]
    return sorted(found, key=lambda pair: (pair[1].start, pair[0]))


@dataclass(frozen=True)
class OverrideView:
    row: ScheduleOverride
    user: str


def overrides(session: Session, name: str, start: datetime, end: datetime | None, *,
              include_cancelled: bool = False) -> list[OverrideView]:
    """The overrides of schedule `name` in effect in [start, end) (no `end`: from `start` on), by start;
    with `include_cancelled`, also those cancelled before they took effect there."""
    row = find(session, name)
    query = _touching(row.id, start, end, in_effect=not include_cancelled)
    found = [OverrideView(o, user) for o, user in session.execute(query).all()]
    return sorted(found, key=lambda v: (v.row.starts_at, v.row.created_at, v.row.id))


def cancel_override(session: Session, actor: Actor, *, schedule: str, override_id: str,
                    now: datetime) -> list[ScheduleOverride]:
    """Cancel an override from `now` on (one under way ends now; what is past stays history). Both
    halves of a swap go together, so nobody is left covering a shift that was not traded back."""
    row = find(session, schedule)
    check_may_change(session, actor, row)
    override = session.get(ScheduleOverride, override_id)
    if override is None or override.schedule_id != row.id:
        raise NotFound(f"no override {override_id} on schedule {schedule!r}")
    if override.cancelled_at is not None:
        raise Conflict("that override is already cancelled")
    if override.ends_at <= now:
        raise Conflict("that override is already over; past on-call stays as it was")
    pair = [override]
    if override.swap_id is not None:
        pair = list(session.execute(select(ScheduleOverride).where(
            ScheduleOverride.swap_id == override.swap_id, ScheduleOverride.cancelled_at.is_(None),
            ScheduleOverride.ends_at > now).order_by(ScheduleOverride.starts_at)).scalars())
    for each in pair:
        each.cancelled_at = now
    session.flush()
    return pair


def swap(session: Session, actor: Actor, *, schedule: str, first: core.Shift, second: core.Shift, created_by: str,
         now: datetime, reason: str = "") -> list[ScheduleOverride]:
    """Two people trade shifts: two overrides made together, refused unless each shift is, as the
    schedule stands, wholly its named person's."""
    row = find(session, schedule)
    check_may_change(session, actor, row)
    try:
        current = build(session, row, min(first.start, second.start), max(first.end, second.end))
        refusal = core.swap_refusal(current, first, second)
    except ValueError as exc:  # a naive time, or a shift that ends before it starts
        raise Invalid(str(exc)) from None
    if refusal is not None:
        raise Conflict(refusal)
    pair_id = str(uuid.uuid4())
    one, two = core.swap(first, second)
    why = f"swap: {reason}" if reason else "swap"
    return [add_override(session, actor, schedule=schedule, user=o.user, start=o.start, end=o.end, reason=why,
                         created_by=created_by, now=now, swap_id=pair_id) for o in (one, two)]


def feed_path(session: Session, kind: str, subject: Schedule | User) -> str:
    """The secret path of a schedule's or a person's calendar feed (check who may see it first)."""
    return f"/ical/{feeds.feed_token(link_secret(session), kind, subject.id, subject.feed_generation)}.ics"


def rotate_feed(session: Session, actor: Actor, kind: str, subject: Schedule | User, now: datetime) -> str:
    """Revoke a calendar feed's URL (a leaked one) and return the new path (check who may first)."""
    subject.feed_generation += 1
    record(session, actor=actor.user_name, action="feed.rotate", subject=f"{kind}:{subject.name}",
           details={"generation": subject.feed_generation}, now=now)
    return feed_path(session, kind, subject)
