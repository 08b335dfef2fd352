"""Escalation ladders and incident triggers: pure decisions over a frozen policy and `now`.

A policy is ordered levels; each names targets and a delay before the next level, and the whole
ladder runs `repeat + 1` times. An escalation's position is (level, loop). The engine stores the
position and the instant the next step is due; these functions say what a step pages and where
the ladder goes next. Triggers are conditions beyond the ladder (TenSafe's matrix: unacknowledged
for X, no status update for 30 min, open for 1 h / 2 h, a tag) and each fires once per incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from firebell.core.durations import parse_duration
from firebell.core.errors import Invalid

TargetKind = Literal["user", "schedule", "role", "team", "ticket", "webhook", "slack_mention"]
TARGET_KINDS: tuple[TargetKind, ...] = ("user", "schedule", "role", "team", "ticket", "webhook", "slack_mention")
TriggerCondition = Literal["unacknowledged_for", "no_update_for", "open_for", "tag"]
TRIGGER_CONDITIONS: tuple[TriggerCondition, ...] = ("unacknowledged_for", "no_update_for", "open_for", "tag")


@dataclass(frozen=True)
class Target:
    """Who or what a level pages. `user`: a person; `schedule`: whoever is on call in it then;
    `role`: the people holding an organisational role (e.g. security-lead); `team`: every member;
    `ticket`/`webhook`: a named outbound webhook (a follow-up ticket in a tracker);
    `slack_mention`: a Slack member (U...) or user group (S...) mentioned in Slack channel `channel`
    by the bot."""

    kind: TargetKind
    name: str
    note: str = ""  # carried to the message, e.g. "handled next business day"
    channel: str = ""  # slack_mention only: the Slack channel id the mention is posted in

    def label(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Level:
    targets: tuple[Target, ...]
    delay: timedelta  # before the next level when nobody acknowledges


@dataclass(frozen=True)
class Policy:
    name: str
    levels: tuple[Level, ...]
    repeat: int = 0  # further runs of the whole ladder after the first


@dataclass(frozen=True)
class Position:
    level: int
    loop: int


@dataclass(frozen=True)
class Step:
    """One firing: the targets of `position`'s level, and where the ladder stands afterwards."""

    position: Position
    targets: tuple[Target, ...]
    next_position: Position | None  # None: the ladder is exhausted
    next_due_at: datetime | None


def first_position(policy: Policy) -> Position:
    if not policy.levels:
        raise Invalid(f"escalation policy {policy.name!r} has no levels")
    return Position(level=0, loop=0)


def position_after(policy: Policy, position: Position) -> Position | None:
    """The next level, wrapping to the first for another loop while repeats remain."""
    if position.level + 1 < len(policy.levels):
        return Position(position.level + 1, position.loop)
    if position.loop < policy.repeat:
        return Position(0, position.loop + 1)
    return None


def fire(policy: Policy, position: Position, due_at: datetime, now: datetime | None = None) -> Step:
    """What firing `position` (due at `due_at`, fired at `now`) pages, and when the next level is
    due. The next due time counts from when the step was due, so one late tick does not push the
    ladder back; but if the engine was down so long that the next level is already overdue, it
    counts from now, so the people paged get their delay instead of every level at once."""
    if not 0 <= position.level < len(policy.levels):
        raise Invalid(f"policy {policy.name!r} has no level {position.level + 1}")
    level = policy.levels[position.level]
    after = position_after(policy, position)
    next_due = due_at + level.delay
    if now is not None and next_due <= now:
        next_due = now + level.delay
    return Step(position=position, targets=level.targets, next_position=after,
                next_due_at=next_due if after is not None else None)


def jump_to(policy: Policy, level_number: int, loop: int) -> Position:
    """A person's `escalate --level N` (1-based, as on the ladder)."""
    if not 1 <= level_number <= len(policy.levels):
        raise Invalid(f"policy {policy.name!r} has levels 1 to {len(policy.levels)}; "
                                       f"there is no level {level_number}")
    return Position(level=level_number - 1, loop=loop)


# Triggers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    name: str
    condition: TriggerCondition
    targets: tuple[Target, ...]
    after: timedelta = timedelta(0)  # for the duration conditions
    tag: str = ""  # for the tag condition
    severities: tuple[str, ...] = ()  # empty: every severity


@dataclass(frozen=True)
class IncidentFacts:
    """What triggers look at, read from the incident."""

    severity: str
    status: str  # triggered, acknowledged, resolved
    declared_at: datetime
    acknowledged_at: datetime | None
    last_update_at: datetime | None  # last status update posted; progress for no_update_for
    tags: frozenset[str] = frozenset()


def trigger_due_at(trigger: Trigger, facts: IncidentFacts) -> datetime | None:
    """When `trigger` fires for this incident as it is now; None when it cannot (any more)."""
    if facts.status == "resolved":
        return None
    if trigger.severities and facts.severity not in trigger.severities:
        return None
    if trigger.condition == "tag":
        return facts.declared_at if trigger.tag in facts.tags else None
    if trigger.condition == "open_for":
        return facts.declared_at + trigger.after
    if trigger.condition == "unacknowledged_for":
        return facts.declared_at + trigger.after if facts.acknowledged_at is None else None
    # no_update_for: the clock restarts with every status update.
    return (facts.last_update_at or facts.declared_at) + trigger.after


def due_triggers(triggers: Iterable[Trigger], facts: IncidentFacts, fired: Iterable[str],
                 now: datetime) -> list[Trigger]:
    """Triggers that should fire now: due, and not fired before for this incident."""
    done = set(fired)
    out = []
    for trigger in triggers:
        due = trigger_due_at(trigger, facts)
        if trigger.name not in done and due is not None and due <= now:
            out.append(trigger)
    return out


def next_trigger_at(triggers: Iterable[Trigger], facts: IncidentFacts, fired: Iterable[str]) -> datetime | None:
    """The earliest instant a trigger not yet fired becomes due (the engine's wake-up)."""
    done = set(fired)
    times = [due for t in triggers if t.name not in done and (due := trigger_due_at(t, facts)) is not None]
    return min(times) if times else None


# Snapshots: the policy frozen into an escalation when it starts, as JSON ------------------------


@dataclass(frozen=True)
class Snapshot:
    policy: Policy
    triggers: tuple[Trigger, ...] = field(default=())


def _targets_to_json(targets: tuple[Target, ...]) -> list[dict[str, str]]:
    return [{"kind": t.kind, "name": t.name, **({"note": t.note} if t.note else {}),
             **({"channel": t.channel} if t.channel else {})} for t in targets]


def _targets_from_json(items: Iterable[Mapping[str, Any]]) -> tuple[Target, ...]:
    out = []
    for item in items:
        kind = str(item.get("kind", ""))
        if kind not in TARGET_KINDS:
            raise Invalid(f"unknown escalation target kind {kind!r}")
        out.append(Target(kind=kind, name=str(item["name"]), note=str(item.get("note", "")),
                          channel=str(item.get("channel", ""))))
    return tuple(out)


def snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    policy = snapshot.policy
    return {
        "name": policy.name, "repeat": policy.repeat,
        "levels": [{"targets": _targets_to_json(level.targets), "delay_s": int(level.delay.total_seconds())}
                   for level in policy.levels],
        "triggers": [{"name": t.name, "condition": t.condition, "targets": _targets_to_json(t.targets),
                      "after_s": int(t.after.total_seconds()), "tag": t.tag, "severities": list(t.severities)}
                     for t in snapshot.triggers],
    }


def snapshot_from_json(data: Mapping[str, Any]) -> Snapshot:
    policy = Policy(name=str(data["name"]), repeat=int(data.get("repeat", 0)), levels=tuple(
        Level(targets=_targets_from_json(level["targets"]), delay=timedelta(seconds=int(level["delay_s"])))
        for level in data["levels"]))
    triggers = []
    for t in data.get("triggers", []):
        condition = str(t["condition"])
        if condition not in TRIGGER_CONDITIONS:
            raise Invalid(f"unknown trigger condition {condition!r}")
        triggers.append(Trigger(name=str(t["name"]), condition=condition,
                                targets=_targets_from_json(t["targets"]), after=timedelta(seconds=int(t["after_s"])),
                                tag=str(t.get("tag", "")), severities=tuple(t.get("severities", ()))))
    return Snapshot(policy=policy, triggers=tuple(triggers))


def parse_delay(value: str | int | float) -> timedelta:
    """Delays as written in configuration: "5m", "1h", or seconds."""
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    return parse_duration(value)
