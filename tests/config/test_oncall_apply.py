"""Plan, apply and export of on-call configuration against a real database (SQLite and PostgreSQL):
escalation policies stored as the engine's snapshot JSON, the outbound webhooks their targets name,
and schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from firebell.config import Change, FieldChange, export, load
from firebell.config.oncall import snapshot_of
from firebell.config.schema import Config
from firebell.core.escalation import Target, snapshot_from_json
from firebell.escalation.models import EscalationPolicy
from firebell.oncall.models import Schedule, ScheduleOverride
from firebell.org.models import Team, User
from firebell.store.uow import Database
from tests.config.helpers import apply_changes, plan_changes, valid, write

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

TREE = """\
organisation: {name: PRIA, timezone: Europe/Stockholm}
teams: [{name: platform}]
roles: [{name: cto}, {name: security-lead}]
users:
  - {name: alice, email: alice@example.com, teams: [platform]}
  - {name: bob, email: bob@example.com, teams: [platform], roles: [cto]}
  - {name: sam, email: sam@example.com, roles: [security-lead]}
schedules:
  - name: primary
    title: Primary on-call
    team: platform
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 1w}
        handoff: "09:00"
        start: 2026-01-05
      - name: office-cover
        participants: [bob]
        rotation: {pattern: [{on: 4d}, {off: 3d}]}
        handoff: "08:00"
        start: 2026-01-05
        restrictions:
          - {days: [fri, mon, tue, wed, thu], from: "09:00", to: "17:00"}
          - {days: [sat], from: "22:00", to: "06:00"}
  - name: secondary
    timezone: Europe/London
    layers:
      - {name: daily, participants: [bob, alice], rotation: {every: 12h}, handoff: "07:00", start: 2026-01-05}
outbound_webhooks:
  - {name: jira, url: "https://jira.example.com/hooks/firebell", secret_env: JIRA_WEBHOOK_SECRET,
     description: Follow-up ticket}
  - {name: slack, url: "https://hooks.slack.example.com/T0/B0"}
escalation_policies:
  - name: ep-p1
    description: Primary, secondary, CTO
    levels:
      - targets: [{schedule: primary}]
        delay: 5m
      - targets: [{schedule: secondary}, {user: alice}]
        delay: 5m
      - targets: [{role: cto, note: pager}]
    triggers:
      - {name: p1-unacked-15m, unacknowledged_for: 15m, severities: [P1], targets: [{schedule: secondary}]}
      - {name: p1-open-1h, open_for: 1h, severities: [P1], targets: [{role: cto}]}
      - {name: data-breach, tag: data-breach, targets: [{role: security-lead}, {webhook: slack}]}
  - name: ep-p3
    repeat: 1
    levels:
      - {targets: [{schedule: primary}], delay: 1h}
      - {targets: [{ticket: jira, note: handled next business day}], delay: 1d}
services:
  - {name: api, team: platform, escalation_policy: {P1: ep-p1, P2: ep-p1, P3: ep-p3, P4: ep-p3}}
"""


def _config(tmp_path: Path, text: str = TREE) -> Config:
    return valid(write(tmp_path, "config.yaml", text))


def _apply(database: Database, config: Config, now: datetime = NOW) -> list[Change]:
    return apply_changes(database, config, now)


def _plan(database: Database, config: Config) -> list[Change]:
    return plan_changes(database, config)


def _columns(row: Any) -> SimpleNamespace:
    """A row's column values, readable after its session has closed."""
    return SimpleNamespace(**{column.key: getattr(row, column.key) for column in row.__table__.columns})


def _policy(database: Database, name: str) -> Any:
    with database.unit_of_work(write=False) as session:
        return _columns(session.scalars(select(EscalationPolicy).where(EscalationPolicy.name == name)).one())


def _schedules(database: Database) -> dict[str, Any]:
    with database.unit_of_work(write=False) as session:
        return {row.name: _columns(row) for row in session.scalars(select(Schedule))}


def test_apply_stores_the_engines_snapshot_and_a_second_apply_is_a_no_op(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path)
    changes = _apply(database, config)
    assert [str(c) for c in changes if c.kind in ("schedule", "escalation_policy")] == [
        "create schedule primary", "create schedule secondary",
        "create escalation_policy ep-p1", "create escalation_policy ep-p3"]
    assert _plan(database, config) == []
    assert _apply(database, config, LATER) == []
    p1 = _policy(database, "ep-p1")
    # The engine reads the spec as it is: snapshot_from_json gives back the configured policy.
    assert snapshot_from_json(p1.spec) == snapshot_of(config.escalation_policies[0])
    assert p1.spec["name"] == "ep-p1" and p1.description == "Primary, secondary, CTO"
    assert p1.spec["levels"] == [
        {"targets": [{"kind": "schedule", "name": "primary"}], "delay_s": 300},
        {"targets": [{"kind": "schedule", "name": "secondary"}, {"kind": "user", "name": "alice"}], "delay_s": 300},
        {"targets": [{"kind": "role", "name": "cto", "note": "pager"}], "delay_s": 0},
    ]
    assert p1.spec["triggers"][0] == {
        "name": "p1-unacked-15m", "condition": "unacknowledged_for", "after_s": 900, "tag": "",
        "severities": ["P1"], "targets": [{"kind": "schedule", "name": "secondary"}]}
    assert p1.spec["triggers"][2]["condition"] == "tag" and p1.spec["triggers"][2]["tag"] == "data-breach"
    # Each policy carries the outbound webhooks its own targets name, with the name of the variable
    # that holds the secret, never a secret.
    assert p1.spec["webhooks"] == {
        "slack": {"url": "https://hooks.slack.example.com/T0/B0", "secret_env": None, "description": ""}}
    p3 = snapshot_from_json(_policy(database, "ep-p3").spec)
    assert p3.policy.repeat == 1
    assert [level.delay for level in p3.policy.levels] == [timedelta(hours=1), timedelta(days=1)]
    assert p3.policy.levels[1].targets == (Target("ticket", "jira", "handled next business day"),)
    assert _policy(database, "ep-p3").spec["webhooks"] == {"jira": {
        "url": "https://jira.example.com/hooks/firebell", "secret_env": "JIRA_WEBHOOK_SECRET",
        "description": "Follow-up ticket"}}


def test_apply_stores_schedules_with_normalised_layers(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    schedules = _schedules(database)
    primary, secondary = schedules["primary"], schedules["secondary"]
    with database.unit_of_work(write=False) as session:
        platform = session.scalars(select(Team.id).where(Team.name == "platform")).one()
    assert (primary.title, primary.team_id, primary.timezone) == ("Primary on-call", platform, "Europe/Stockholm")
    assert (secondary.team_id, secondary.timezone) == (None, "Europe/London")
    weekly, cover = primary.spec["layers"]
    assert weekly == {
        "name": "weekly", "participants": ["alice", "bob"],
        "rotation": {"every": "1w", "seconds": 604800, "days": 7},
        "handoff": "09:00", "start": "2026-01-05", "restrictions": []}
    assert cover["rotation"] == {
        "pattern": [{"on": "4d", "seconds": 345600, "days": 4}, {"off": "3d", "seconds": 259200, "days": 3}],
        "seconds": 604800, "days": 7}
    assert cover["restrictions"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"},  # in week order
        {"days": ["sat"], "from": "22:00", "to": "06:00"}]  # overnight: Saturday 22:00 to Sunday 06:00
    assert secondary.spec["layers"][0]["rotation"] == {"every": "12h", "seconds": 43200, "days": None}


def test_a_changed_ladder_plans_as_a_change_of_that_part(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    slower = _config(tmp_path, TREE.replace("        delay: 5m\n      - targets: [{role: cto",
                                            "        delay: 10m\n      - targets: [{role: cto", 1))
    [change] = _plan(database, slower)
    assert (change.action, change.kind, change.name, change.field_names) == (
        "change", "escalation_policy", "ep-p1", ["levels"])
    assert [level["delay_s"] for level in change.fields[0].after] == [300, 600, 0]
    _apply(database, slower, LATER)
    assert _plan(database, slower) == []
    assert snapshot_from_json(_policy(database, "ep-p1").spec).policy.levels[1].delay == timedelta(minutes=10)


def test_a_changed_webhook_changes_only_the_policies_that_use_it(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    moved = _config(tmp_path, TREE.replace("https://jira.example.com/hooks", "https://jira2.example.com/hooks"))
    [change] = _plan(database, moved)
    assert (change.kind, change.name, change.field_names) == ("escalation_policy", "ep-p3", ["webhooks"])
    assert change.fields[0].after["jira"]["url"] == "https://jira2.example.com/hooks/firebell"


def test_triggers_and_repeat_plan_as_their_own_changes(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    changed = _config(tmp_path, TREE.replace("open_for: 1h,", "open_for: 2h,").replace("repeat: 1", "repeat: 3"))
    assert [(c.name, c.field_names) for c in _plan(database, changed)] == [
        ("ep-p1", ["triggers"]), ("ep-p3", ["repeat"])]


def test_a_policy_stored_without_a_ladder_gets_one(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path)
    _apply(database, config)
    with database.unit_of_work() as session:  # as applied before policies had ladders
        session.scalars(select(EscalationPolicy).where(EscalationPolicy.name == "ep-p3")).one().spec = {}
    [change] = _plan(database, config)
    assert change.field_names == ["repeat", "levels", "triggers", "webhooks"]
    _apply(database, config, LATER)
    assert snapshot_from_json(_policy(database, "ep-p3").spec) == snapshot_of(config.escalation_policies[1])


def test_schedule_changes_keep_the_feed_token_and_the_overrides(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work() as session:
        primary = session.scalars(select(Schedule).where(Schedule.name == "primary")).one()
        primary.feed_token_hash = "f" * 64
        alice = session.scalars(select(User.id).where(User.name == "alice")).one()
        session.add(ScheduleOverride(schedule_id=primary.id, user_id=alice, starts_at=NOW, ends_at=LATER,
                                     reason="holiday cover", created_at=NOW))
    changed = _config(tmp_path, TREE.replace("participants: [alice, bob]", "participants: [bob, alice]").replace(
        "title: Primary on-call", "title: Primary"))
    [change] = _plan(database, changed)
    assert (change.kind, change.name, change.field_names) == ("schedule", "primary", ["title", "layers"])
    _apply(database, changed, LATER)
    primary = _schedules(database)["primary"]
    assert (primary.title, primary.spec["layers"][0]["participants"]) == ("Primary", ["bob", "alice"])
    assert primary.feed_token_hash == "f" * 64
    with database.unit_of_work(write=False) as session:
        assert [o.reason for o in session.scalars(select(ScheduleOverride))] == ["holiday cover"]


def test_a_removed_schedule_is_archived_and_restored_when_re_added(database: Database, tmp_path: Path) -> None:
    full = _config(tmp_path)
    _apply(database, full)
    without = _config(tmp_path, TREE.replace("{schedule: secondary}, {user: alice}", "{user: alice}").replace(
        "targets: [{schedule: secondary}]}", "targets: [{user: bob}]}").replace(
        """  - name: secondary
    timezone: Europe/London
    layers:
      - {name: daily, participants: [bob, alice], rotation: {every: 12h}, handoff: "07:00", start: 2026-01-05}
""", ""))
    assert [str(c) for c in _plan(database, without)] == [
        "delete schedule secondary", "change escalation_policy ep-p1 (levels, triggers)"]
    _apply(database, without, LATER)
    assert _schedules(database)["secondary"].archived_at == LATER
    with database.unit_of_work(write=False) as session:
        assert "name: secondary" not in export(session)
    assert _plan(database, without) == []
    restore = [c for c in _plan(database, full) if c.kind == "schedule"]
    assert restore == [Change("change", "schedule", "secondary", (FieldChange("archived", True, False),))]
    _apply(database, full)
    assert _schedules(database)["secondary"].archived_at is None


def test_export_round_trips_schedules_policies_and_webhooks(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work(write=False) as session:
        text = export(session)
    result = load(write(tmp_path, "exported/config.yaml", text))
    assert result.errors == [] and result.config is not None
    assert _plan(database, result.config) == []
    exported = result.config
    assert [w.name for w in exported.outbound_webhooks] == ["jira", "slack"]
    assert exported.outbound_webhooks[0].secret_env == "JIRA_WEBHOOK_SECRET"
    assert [s.name for s in exported.schedules] == ["primary", "secondary"]
    cover = exported.schedules[0].layers[1]
    assert [r.model_dump(by_alias=True) for r in cover.restrictions] == [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"},
        {"days": ["sat"], "from": "22:00", "to": "06:00"}]
    p1, p3 = exported.escalation_policies
    assert [level.delay for level in p1.levels] == [timedelta(minutes=5), timedelta(minutes=5), None]
    assert (p3.repeat, p3.levels[-1].delay) == (1, timedelta(days=1))
    assert [t.name for t in p1.triggers] == ["p1-unacked-15m", "p1-open-1h", "data-breach"]
    assert "      - targets:\n          - role: cto\n            note: pager\n" in text


def test_a_webhook_no_target_names_is_validated_but_not_stored(database: Database, tmp_path: Path) -> None:
    unused = TREE.replace('  - {name: slack, url: "https://hooks.slack.example.com/T0/B0"}\n',
                          '  - {name: slack, url: "https://hooks.slack.example.com/T0/B0"}\n'
                          '  - {name: pager-duty, url: "https://events.example.com/v2"}\n')
    _apply(database, _config(tmp_path, unused))
    with database.unit_of_work(write=False) as session:
        assert "pager-duty" not in export(session)
    assert all("pager-duty" not in (_policy(database, name).spec["webhooks"]) for name in ("ep-p1", "ep-p3"))
