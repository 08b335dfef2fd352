"""On-call configuration in the comparable form of state.py: schedules, escalation policies, and the
outbound webhooks that policies' `ticket:`/`webhook:` targets name.

Escalation policies. `EscalationPolicy.spec` is what the escalation engine reads:

    snapshot_to_json(Snapshot(policy, triggers))      # {"name", "repeat", "levels", "triggers"}
    | {"webhooks": {name: {"url", "secret_env", "description"}}}

so `core.escalation.snapshot_from_json(spec)` works on it directly (it ignores "webhooks"). Planning
compares the parts separately (repeat, levels, triggers, webhooks), so a plan says which one changed.

Outbound webhooks have no table of their own, and adding one is a migration. For now they live in the
configuration only: the `outbound_webhooks` section is validated, targets are checked against it, and
each policy's spec carries the webhooks its own targets name, in "webhooks" above. Only the *name* of
the environment variable holding a webhook's signing secret is stored, never the secret. A webhook that
no target names is validated but stored nowhere, so export (which rebuilds the section from the
policies) leaves it out.

Schedules. `Schedule.spec = {"layers": [...]}`, each layer normalised as

    {"name": "weekly", "participants": ["alice", "bob"],       # user names, in turn order
     "rotation": {"every": "1w", "seconds": 604800, "days": 7},
              # or {"pattern": [{"on": "4d", "seconds": 345600, "days": 4},
              #                 {"off": "3d", "seconds": 259200, "days": 3}],
              #     "seconds": 604800, "days": 7}             # the cycle's length
     "handoff": "09:00", "start": "2026-01-05",                 # wall clock and date in the zone
     "restrictions": [{"days": ["mon", ...], "from": "09:00", "to": "17:00"}]}

`days` is the length in whole days, or null when it is not one: lengths of whole days step in calendar
days (the hand-off stays at `handoff` across daylight saving changes), others in elapsed seconds.
Restriction days are in week order; a `to` at or before `from` runs past midnight (so 22:00 to 06:00
is a night from the listed day, 00:00 to 00:00 a whole day), as firebell.core.rotations reads it.
Layers are listed lowest first; later ones win where they cover someone. The row's `feed_token_hash`
and the schedule's overrides are run-time data that configuration never touches.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.config.schema import (
    WEEKDAYS,
    Config,
    EscalationPolicyConfig,
    LayerConfig,
    OutboundWebhookConfig,
    RotationConfig,
    ScheduleConfig,
    TargetConfig,
)
from firebell.core.durations import format_duration
from firebell.core.escalation import (
    Level,
    Policy,
    Snapshot,
    Target,
    TargetKind,
    Trigger,
    TriggerCondition,
    snapshot_to_json,
)
from firebell.escalation.models import EscalationPolicy
from firebell.oncall.models import Schedule
from firebell.org.models import Team

Values = dict[str, Any]
# name -> (values, archived)
Rows = dict[str, tuple[Values, bool]]

WEBHOOK_KINDS = ("ticket", "webhook")
DAY = 86400
WEEK = 7 * DAY


# --- escalation policies -----------------------------------------------------------------------

def _targets(targets: list[TargetConfig]) -> tuple[Target, ...]:
    return tuple(Target(kind=cast(TargetKind, t.kind), name=t.name, note=t.note, channel=t.channel or "")
                 for t in targets)


def snapshot_of(policy: EscalationPolicyConfig) -> Snapshot:
    """The policy as the engine's model. The last level's delay defaults to 0."""
    levels = tuple(Level(targets=_targets(level.targets), delay=level.delay or timedelta(0))
                   for level in policy.levels)
    triggers = []
    for trigger in policy.triggers:
        condition = trigger.condition
        triggers.append(Trigger(
            name=trigger.name, condition=cast(TriggerCondition, condition), targets=_targets(trigger.targets),
            after=timedelta(0) if condition == "tag" else getattr(trigger, condition),
            tag=trigger.tag or "", severities=tuple(trigger.severities)))
    return Snapshot(Policy(name=policy.name, levels=levels, repeat=policy.repeat), tuple(triggers))


def _webhook_names(policy: EscalationPolicyConfig) -> list[str]:
    targets = [t for level in policy.levels for t in level.targets]
    targets += [t for trigger in policy.triggers for t in trigger.targets]
    return sorted({t.name for t in targets if t.kind in WEBHOOK_KINDS})


def stored_webhook(webhook: OutboundWebhookConfig) -> Values:
    return {"url": webhook.url, "secret_env": webhook.secret_env, "description": webhook.description}


def desired_policies(config: Config) -> dict[str, Values]:
    webhooks = {webhook.name: webhook for webhook in config.outbound_webhooks}
    desired: dict[str, Values] = {}
    for policy in config.escalation_policies:
        spec = snapshot_to_json(snapshot_of(policy))
        desired[policy.name] = {
            "description": policy.description,
            "repeat": spec["repeat"],
            "levels": spec["levels"],
            "triggers": spec["triggers"],
            "webhooks": {name: stored_webhook(webhooks[name]) for name in _webhook_names(policy)},
        }
    return desired


def stored_policy_spec(name: str, values: Values) -> Values:
    """`EscalationPolicy.spec` for desired policy values (see the module docstring)."""
    return {"name": name, "repeat": values["repeat"], "levels": values["levels"],
            "triggers": values["triggers"], "webhooks": values["webhooks"]}


def _current_policy(row: EscalationPolicy) -> Values:
    spec: Values = dict(row.spec or {})  # {} for a policy applied before policies had ladders
    return {"description": row.description, "repeat": spec.get("repeat"), "levels": spec.get("levels"),
            "triggers": spec.get("triggers"), "webhooks": spec.get("webhooks")}


def current_policies(session: Session) -> Rows:
    return {row.name: (_current_policy(row), row.archived_at is not None)
            for row in session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name))}


def _delay_text(seconds: Any) -> str:
    return format_duration(timedelta(seconds=int(seconds)))


def _target_yaml(target: Values) -> Values:
    entry: Values = {str(target.get("kind")): target.get("name")}
    if target.get("channel"):
        entry["channel"] = target["channel"]
    if target.get("note"):
        entry["note"] = target["note"]
    return entry


def policy_yaml(name: str, values: Values) -> Values:
    """One `escalation_policies:` entry; defaults (repeat 0, the last level's 0 delay) are left out."""
    entry: Values = {"name": name}
    if values.get("description"):
        entry["description"] = values["description"]
    if values.get("repeat"):
        entry["repeat"] = values["repeat"]
    levels = list(values.get("levels") or [])
    entry["levels"] = []
    for position, level in enumerate(levels):
        out: Values = {"targets": [_target_yaml(t) for t in level.get("targets", [])]}
        delay = int(level.get("delay_s", 0))
        if delay or position < len(levels) - 1:
            out["delay"] = _delay_text(delay)
        entry["levels"].append(out)
    triggers = []
    for trigger in values.get("triggers") or []:
        out = {"name": trigger.get("name")}
        condition = str(trigger.get("condition"))
        out[condition] = trigger.get("tag") if condition == "tag" else _delay_text(trigger.get("after_s", 0))
        if trigger.get("severities"):
            out["severities"] = list(trigger["severities"])
        out["targets"] = [_target_yaml(t) for t in trigger.get("targets", [])]
        triggers.append(out)
    if triggers:
        entry["triggers"] = triggers
    return entry


def webhooks_yaml(policies: dict[str, Values]) -> list[Values]:
    """The `outbound_webhooks:` section rebuilt from the policies that carry them (by name; where two
    policies disagree, which only a hand-edited database can do, the first policy by name wins)."""
    found: dict[str, Values] = {}
    for _, values in sorted(policies.items()):
        for name, hook in (values.get("webhooks") or {}).items():
            found.setdefault(name, hook)
    entries = []
    for name, hook in sorted(found.items()):
        entry: Values = {"name": name, "url": hook.get("url")}
        if hook.get("secret_env"):
            entry["secret_env"] = hook["secret_env"]
        if hook.get("description"):
            entry["description"] = hook["description"]
        entries.append(entry)
    return entries


# --- schedules ---------------------------------------------------------------------------------

def length_text(seconds: int) -> str:
    """A shift length as people write it: 1w, 2d, 12h (lengths are whole hours)."""
    if seconds % WEEK == 0:
        return f"{seconds // WEEK}w"
    if seconds % DAY == 0:
        return f"{seconds // DAY}d"
    return format_duration(timedelta(seconds=seconds))


def _length(delta: timedelta) -> Values:
    seconds = int(delta.total_seconds())
    return {"seconds": seconds, "days": seconds // DAY if seconds % DAY == 0 else None}


def _stored_rotation(rotation: RotationConfig) -> Values:
    if rotation.every is not None:
        return {"every": length_text(int(rotation.every.total_seconds())), **_length(rotation.every)}
    steps: list[Values] = []
    cycle = timedelta(0)
    for step in rotation.pattern or []:
        kind, length = ("on", step.on) if step.on is not None else ("off", step.off)
        assert length is not None  # checks.py: each step has exactly one of on and off
        steps.append({kind: length_text(int(length.total_seconds())), **_length(length)})
        cycle += length
    return {"pattern": steps, **_length(cycle)}


def _stored_layer(layer: LayerConfig) -> Values:
    return {
        "name": layer.name,
        "participants": list(layer.participants),
        "rotation": _stored_rotation(layer.rotation),
        "handoff": layer.handoff,
        "start": layer.start.isoformat(),
        "restrictions": [
            {"days": sorted(set(r.days), key=WEEKDAYS.index), "from": r.from_, "to": r.to}
            for r in layer.restrictions
        ],
    }


def _desired_schedule(schedule: ScheduleConfig, default_zone: str) -> Values:
    return {
        "title": schedule.title,
        "description": schedule.description,
        "team": schedule.team,
        "timezone": schedule.timezone or default_zone,
        "layers": [_stored_layer(layer) for layer in schedule.layers],
    }


def desired_schedules(config: Config) -> dict[str, Values]:
    return {s.name: _desired_schedule(s, config.organisation.timezone) for s in config.schedules}


def stored_schedule_spec(values: Values) -> Values:
    return {"layers": values["layers"]}


def current_schedules(session: Session) -> Rows:
    teams = {team_id: name for team_id, name in session.execute(select(Team.id, Team.name))}
    return {
        row.name: ({
            "title": row.title,
            "description": row.description,
            "team": teams.get(row.team_id) if row.team_id is not None else None,
            "timezone": row.timezone,
            "layers": list((row.spec or {}).get("layers", [])),
        }, row.archived_at is not None)
        for row in session.scalars(select(Schedule).order_by(Schedule.name))
    }


def _rotation_yaml(rotation: Values) -> Values:
    if "every" in rotation:
        return {"every": rotation["every"]}
    return {"pattern": [{key: step[key] for key in ("on", "off") if key in step}
                        for step in rotation.get("pattern", [])]}


def _layer_yaml(layer: Values) -> Values:
    entry: Values = {
        "name": layer.get("name"),
        "participants": list(layer.get("participants", [])),
        "rotation": _rotation_yaml(layer.get("rotation") or {}),
        "handoff": layer.get("handoff"),
        "start": date.fromisoformat(str(layer.get("start"))),
    }
    if layer.get("restrictions"):
        entry["restrictions"] = [{"days": list(r["days"]), "from": r["from"], "to": r["to"]}
                                 for r in layer["restrictions"]]
    return entry


def schedule_yaml(name: str, values: Values) -> Values:
    entry: Values = {"name": name}
    for key in ("title", "description", "team"):
        if values.get(key):
            entry[key] = values[key]
    entry["timezone"] = values.get("timezone")
    entry["layers"] = [_layer_yaml(layer) for layer in values.get("layers", [])]
    return entry

