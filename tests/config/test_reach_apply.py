"""Plan, apply and export of how people are reached, against a real database (SQLite and PostgreSQL):
users' Slack member ids, quiet hours, verified contact methods and notification rules, severities'
urgency, and the `slack:` section's channel routes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from firebell.config import Change, FieldChange, export, load
from firebell.config.schema import Config
from firebell.org.models import ContactMethod, NotificationRule, User
from firebell.severity.models import SeverityLevelRow
from firebell.slack.models import SlackChannelRoute
from firebell.store.uow import Database
from tests.config.helpers import apply_changes, plan_changes, valid, write

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATEST = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)

TREE = """\
organisation: {name: PRIA, timezone: Europe/Stockholm}
teams: [{name: platform}]
users:
  - name: alice
    email: alice@example.com
    slack_user: U0ALICE01
    quiet_hours: {start: "23:00", end: "06:30", phone_low_urgency: true}
    contact_methods:
      - {type: email, address: alice@example.com, label: work}
      - {type: sms, address: "+46701740605", label: on-call phone, verified: true}
      - {type: voice, address: "+46701740605", label: calls, verified: true}
    notification_rules:
      high: [{use: sms}, {use: work}, {use: voice, after: 5m}]
      low: [{use: email, after: 0m}, {use: on-call phone, after: 30m}]
  - name: bob
    email: bob@example.com
    slack_user: U0BOB0001
    contact_methods:
      - {type: email, address: bob@example.com}
severities:
  - {key: P1, name: Critical}
  - {key: P2, name: High}
  - {key: P3, name: Medium, urgency: high}
  - {key: SEV4, name: Low}
slack:
  channels:
    - {channel: C0INCIDENT, name: "#incident-active", severities: [P2, P1]}
    - {channel: C0EXEC01, name: "#exec", severities: [P1], webhook_url_env: SLACK_WEBHOOK_EXEC}
    - {channel: G0SECURITY, tags: [data-breach]}
"""


def _config(tmp_path: Path, text: str = TREE) -> Config:
    return valid(write(tmp_path, "config.yaml", text))


def _apply(database: Database, config: Config, now: datetime = NOW) -> list[Change]:
    return apply_changes(database, config, now)


def _plan(database: Database, config: Config) -> list[Change]:
    return plan_changes(database, config)


def _user(database: Database, name: str) -> dict[str, Any]:
    """What is stored for a user, readable after the session has closed."""
    with database.unit_of_work(write=False) as session:
        user = session.scalars(select(User).where(User.name == name)).one()
        methods = {m.id: m for m in user.contact_methods}
        return {
            "slack": user.slack_user_id,
            "quiet": (user.quiet_start, user.quiet_end, user.phone_low_urgency_at_night),
            "methods": [(m.type, m.address, m.verified_at) for m in user.contact_methods],
            "rules": sorted((r.urgency, r.position, methods[r.contact_method_id].type, r.delay_minutes)
                            for r in user.notification_rules),
        }


def _routes(database: Database) -> dict[str, tuple[str, list[str], list[str], str]]:
    with database.unit_of_work(write=False) as session:
        return {r.channel_id: (r.name, r.severities, r.tags, r.webhook_url_env)
                for r in session.scalars(select(SlackChannelRoute))}


def test_apply_stores_what_the_tree_says(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    alice = _user(database, "alice")
    assert alice["slack"] == "U0ALICE01"
    assert alice["quiet"] == ("23:00", "06:30", True)
    # The methods the tree vouches for are verified by the apply; the others wait for their owner.
    assert alice["methods"] == [("email", "alice@example.com", None), ("sms", "+46701740605", NOW),
                                ("voice", "+46701740605", NOW)]
    # Rules in the order written, per urgency, pointing at the method each `use` names.
    assert alice["rules"] == [
        ("high", 0, "sms", 0), ("high", 1, "email", 0), ("high", 2, "voice", 5),
        ("low", 0, "email", 0), ("low", 1, "sms", 30)]
    bob = _user(database, "bob")
    assert (bob["slack"], bob["quiet"], bob["rules"]) == ("U0BOB0001", ("22:00", "07:00", False), [])
    assert _routes(database) == {
        "C0INCIDENT": ("#incident-active", ["P1", "P2"], [], ""),
        "C0EXEC01": ("#exec", ["P1"], [], "SLACK_WEBHOOK_EXEC"),
        "G0SECURITY": ("", [], ["data-breach"], ""),
    }
    with database.unit_of_work(write=False) as session:
        urgency = {row.key: row.urgency for row in session.scalars(select(SeverityLevelRow))}
    # P1/P2 are high and P3 would be low by default, but the tree says high; a custom key at rank 3 is low.
    assert urgency == {"P1": "high", "P2": "high", "P3": "high", "SEV4": "low"}


def test_apply_then_plan_is_empty_and_export_round_trips(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path)
    _apply(database, config)
    assert _plan(database, config) == []
    assert _apply(database, config, LATER) == []
    with database.unit_of_work(write=False) as session:
        text = export(session)
    exported = valid(write(tmp_path, "exported/config.yaml", text))
    assert _plan(database, exported) == []
    assert _apply(database, exported, LATER) == []
    [alice, bob] = exported.users
    assert (alice.slack_user, bob.slack_user) == ("U0ALICE01", "U0BOB0001")
    assert alice.quiet_hours.model_dump() == {"start": "23:00", "end": "06:30", "phone_low_urgency": True}
    assert [(m.type, m.verified) for m in alice.contact_methods] == [("email", False), ("sms", True), ("voice", True)]
    # Each rule names its method by type where the user has one method of that type.
    assert [(r.use, r.after.seconds // 60) for r in alice.notification_rules.high] == [
        ("sms", 0), ("email", 0), ("voice", 5)]
    assert [(r.use, r.after.seconds // 60) for r in alice.notification_rules.low] == [("email", 0), ("sms", 30)]
    assert [s.urgency for s in exported.severities] == ["high", "high", "high", "low"]
    assert [(c.channel, c.name, c.severities, c.tags, c.webhook_url_env) for c in exported.slack.channels] == [
        ("C0EXEC01", "#exec", ["P1"], [], "SLACK_WEBHOOK_EXEC"),
        ("C0INCIDENT", "#incident-active", ["P1", "P2"], [], None),
        ("G0SECURITY", "", [], ["data-breach"], None),
    ]
    # Defaults stay out of the file: bob's quiet hours, unverified flags, empty rule lists, 0m waits.
    bob_text = text[text.index("- name: bob"):text.index("schedules:")]
    assert "quiet_hours" not in bob_text and "notification_rules" not in bob_text and "verified" not in bob_text
    assert "after: 0s" not in text and "verified: false" not in text


def test_export_names_a_method_by_label_or_address_when_its_type_is_shared(
    database: Database, tmp_path: Path
) -> None:
    tree = TREE.replace("""      - {type: email, address: bob@example.com}
""", """      - {type: email, address: bob@example.com}
      - {type: sms, address: "+46701740606", label: mobile}
      - {type: sms, address: "+46701740607"}
    notification_rules:
      high: [{use: mobile}, {use: "+46701740607", after: 2m}]
""")
    config = _config(tmp_path, tree)
    _apply(database, config)
    with database.unit_of_work(write=False) as session:
        exported = valid(write(tmp_path, "exported/config.yaml", export(session)))
    assert [r.use for r in exported.users[1].notification_rules.high] == ["mobile", "+46701740607"]
    assert _plan(database, exported) == []


def test_a_changed_rule_plans_as_a_change_of_the_users_rules(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work(write=False) as session:
        before = set(session.scalars(select(NotificationRule.id)))
    slower = _config(tmp_path, TREE.replace("{use: voice, after: 5m}", "{use: voice, after: 10m}"))
    [change] = _plan(database, slower)
    assert (change.action, change.kind, change.name, change.field_names) == (
        "change", "user", "alice", ["notification_rules"])
    assert change.fields[0].before["high"][2] == {"type": "voice", "address": "+46701740605", "after": "5m"}
    assert change.fields[0].after["high"][2] == {"type": "voice", "address": "+46701740605", "after": "10m"}
    _apply(database, slower, LATER)
    assert _plan(database, slower) == []
    assert ("high", 2, "voice", 10) in _user(database, "alice")["rules"]
    # The user's rules are replaced by the configured ones; bob has none, so nothing else was touched.
    with database.unit_of_work(write=False) as session:
        assert len(set(session.scalars(select(NotificationRule.id))) - before) == 5


def test_removing_rules_and_the_method_they_used_in_one_apply(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    without_voice = _config(tmp_path, TREE.replace(
        '      - {type: voice, address: "+46701740605", label: calls, verified: true}\n', "").replace(
        ", {use: voice, after: 5m}", ""))
    [change] = _plan(database, without_voice)
    assert change.field_names == ["contact_methods", "notification_rules"]
    _apply(database, without_voice, LATER)
    assert _plan(database, without_voice) == []
    alice = _user(database, "alice")
    assert [m[0] for m in alice["methods"]] == ["email", "sms"]
    assert [r[2] for r in alice["rules"]] == ["sms", "email", "email", "sms"]


def test_a_rule_may_move_to_a_new_method_in_the_same_apply(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    moved = _config(tmp_path, TREE.replace('{type: voice, address: "+46701740605"',
                                           '{type: voice, address: "+46701740699"'))
    [change] = _plan(database, moved)
    assert change.field_names == ["contact_methods", "notification_rules"]
    _apply(database, moved, LATER)
    assert _plan(database, moved) == []
    alice = _user(database, "alice")
    assert ("voice", "+46701740699", LATER) in alice["methods"]  # new, and vouched for by the tree
    assert ("high", 2, "voice", 5) in alice["rules"]


def test_leaving_verified_out_never_clears_a_verification(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work() as session:  # alice verifies her email herself, with a code
        method = session.scalars(select(ContactMethod).where(ContactMethod.type == "email",
                                                             ContactMethod.address == "alice@example.com")).one()
        method.verified_at = LATER
    unvouched = _config(tmp_path, TREE.replace(", verified: true}", "}"))
    assert _plan(database, unvouched) == []
    assert _apply(database, unvouched, LATEST) == []
    assert [m[2] for m in _user(database, "alice")["methods"]] == [LATER, NOW, NOW]
    # Vouching for a method that is not verified yet is a change; for one that is, it is not.
    vouched = _config(tmp_path, TREE.replace("label: work}", "label: work, verified: true}").replace(
        "{type: email, address: bob@example.com}", "{type: email, address: bob@example.com, verified: true}"))
    [change] = _plan(database, vouched)
    assert (change.name, change.field_names) == ("bob", ["contact_methods"])
    assert change.fields[0] == FieldChange(
        "contact_methods", [{"type": "email", "address": "bob@example.com", "label": "", "verified": False}],
        [{"type": "email", "address": "bob@example.com", "label": "", "verified": True}])
    _apply(database, vouched, LATEST)
    assert _user(database, "bob")["methods"] == [("email", "bob@example.com", LATEST)]
    assert [m[2] for m in _user(database, "alice")["methods"]] == [LATER, NOW, NOW]  # kept as they were


def test_slack_users_and_quiet_hours_plan_as_user_changes(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    changed = _config(tmp_path, TREE.replace("slack_user: U0BOB0001", "slack_user: W0BOB0002").replace(
        'quiet_hours: {start: "23:00", end: "06:30", phone_low_urgency: true}', 'quiet_hours: {end: "06:30"}'))
    assert [(c.name, c.fields) for c in _plan(database, changed)] == [
        ("alice", (FieldChange("quiet_hours", {"start": "23:00", "end": "06:30", "phone_low_urgency": True},
                               {"start": "22:00", "end": "06:30", "phone_low_urgency": False}),)),
        ("bob", (FieldChange("slack_user", "U0BOB0001", "W0BOB0002"),)),
    ]
    _apply(database, changed, LATER)
    assert _plan(database, changed) == []
    assert (_user(database, "alice")["quiet"], _user(database, "bob")["slack"]) == (
        ("22:00", "06:30", False), "W0BOB0002")


def test_two_users_may_swap_slack_member_ids(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    swapped = _config(tmp_path, TREE.replace("U0ALICE01", "SWAP").replace("U0BOB0001", "U0ALICE01").replace(
        "SWAP", "U0BOB0001"))
    assert [(c.name, c.field_names) for c in _plan(database, swapped)] == [
        ("alice", ["slack_user"]), ("bob", ["slack_user"])]
    _apply(database, swapped, LATER)  # the store keeps member ids unique at every statement
    assert (_user(database, "alice")["slack"], _user(database, "bob")["slack"]) == ("U0BOB0001", "U0ALICE01")
    assert _plan(database, swapped) == []


def test_a_renamed_user_takes_over_the_archived_users_slack_member_id(database: Database, tmp_path: Path) -> None:
    full = _config(tmp_path)
    _apply(database, full)
    renamed = _config(tmp_path, TREE.replace("name: bob", "name: robert"))
    assert [str(c) for c in _plan(database, renamed) if c.kind == "user"] == ["create user robert", "delete user bob"]
    _apply(database, renamed, LATER)
    assert _plan(database, renamed) == []
    assert (_user(database, "robert")["slack"], _user(database, "bob")["slack"]) == ("U0BOB0001", None)
    # Restoring bob (robert gone) gives him his member id back.
    _apply(database, full, LATEST)
    assert (_user(database, "bob")["slack"], _user(database, "robert")["slack"]) == ("U0BOB0001", None)
    assert _plan(database, full) == []


def test_severity_urgency_plans_as_a_severity_change(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    lowered = _config(tmp_path, TREE.replace("{key: P3, name: Medium, urgency: high}", "{key: P3, name: Medium}"))
    assert _plan(database, lowered) == [
        Change("change", "severity", "P3", (FieldChange("urgency", "high", "low"),))]
    _apply(database, lowered, LATER)
    assert _plan(database, lowered) == []


def test_default_severities_get_ops1s_urgency(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path, TREE[:TREE.index("severities:")])
    assert [(s.key, s.urgency) for s in config.severities] == [
        ("P1", "high"), ("P2", "high"), ("P3", "low"), ("P4", "low")]
    _apply(database, config)
    with database.unit_of_work(write=False) as session:
        assert {row.key: row.urgency for row in session.scalars(select(SeverityLevelRow))} == {
            "P1": "high", "P2": "high", "P3": "low", "P4": "low"}


def test_slack_routes_are_added_changed_and_deleted(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    changed = _config(tmp_path, TREE.replace(
        "severities: [P2, P1]}", "severities: [P1, P2], tags: [security]}").replace(
        "    - {channel: G0SECURITY, tags: [data-breach]}\n",
        "    - {channel: C0COMMS01, name: \"#incident-comms\", severities: [P1]}\n"))
    assert _plan(database, changed) == [
        Change("change", "slack_channel", "C0INCIDENT", (FieldChange("tags", [], ["security"]),)),
        Change("create", "slack_channel", "C0COMMS01"),
        Change("delete", "slack_channel", "G0SECURITY"),
    ]
    _apply(database, changed, LATER)
    assert _plan(database, changed) == []
    routes = _routes(database)
    assert sorted(routes) == ["C0COMMS01", "C0EXEC01", "C0INCIDENT"]  # the removed route is gone for good
    assert routes["C0INCIDENT"] == ("#incident-active", ["P1", "P2"], ["security"], "")
    no_webhook = _config(tmp_path, TREE.replace(", webhook_url_env: SLACK_WEBHOOK_EXEC", ""))
    _apply(database, no_webhook, LATEST)
    assert _routes(database)["C0EXEC01"][3] == ""
    assert _plan(database, no_webhook) == []


def test_slack_channels_may_be_split_across_files(database: Database, tmp_path: Path) -> None:
    head = TREE[:TREE.index("slack:")]
    write(tmp_path / "tree", "a.yaml", head + "slack:\n  channels:\n"
          "    - {channel: C0INCIDENT, name: \"#incident-active\", severities: [P1, P2]}\n")
    write(tmp_path / "tree", "b.yaml", "slack:\n  channels:\n    - {channel: G0SECURITY, tags: [data-breach]}\n")
    result = load(tmp_path / "tree")
    assert result.errors == []
    assert result.config is not None
    assert [c.channel for c in result.config.slack.channels] == ["C0INCIDENT", "G0SECURITY"]
    _apply(database, result.config)
    assert sorted(_routes(database)) == ["C0INCIDENT", "G0SECURITY"]
