"""Mistakes in the on-call parts of the tree (schedules, outbound webhooks, escalation policies with
their ladders and triggers) are reported once, at their line and column, naming the wrong field."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from firebell.config import load
from tests.config.helpers import single_error, valid, write

HEAD = """\
organisation: {name: PRIA}
teams: [{name: platform}]
roles: [{name: cto}]
users:
  - {name: alice, email: alice@example.com}
  - {name: bob, email: bob@example.com}
outbound_webhooks:
  - {name: jira, url: "https://jira.example.com/hooks/firebell", secret_env: JIRA_WEBHOOK_SECRET}
"""

# (id, YAML after HEAD, line, column, fragments the message must contain)
CASES = [
    ('policy-without-levels', """\
escalation_policies:
  - {name: ep-prod}
""", 10, 5, ["missing required field 'levels'"]),
    ('policy-with-empty-levels', """\
escalation_policies:
  - {name: ep-prod, levels: []}
""", 10, 29, ["'levels' must list at least one item"]),
    ('level-without-targets', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: []}
""", 12, 19, ["'targets' must list at least one item"]),
    ('level-without-delay', """\
escalation_policies:
  - name: ep-prod
    levels:
      - targets: [{user: alice}]
      - targets: [{user: bob}]
""", 12, 9, ["level 1 of escalation policy 'ep-prod' needs a delay", 'before level 2 is paged', '5m']),
    ('misspelt-delay', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{user: alice}], dealy: 5m}
      - {targets: [{user: bob}]}
""", 12, 36, ["unknown field 'dealy'; did you mean 'delay'?"]),
    ('bad-delay', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{user: alice}], delay: 5 minutes}
      - {targets: [{user: bob}]}
""", 12, 43, ["'5 minutes' is not a duration"]),
    ('delay-without-unit', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{user: alice}], delay: 5}
      - {targets: [{user: bob}]}
""", 12, 43, ['5 has no unit; write 5m for 5 minutes']),
    ('zero-delay', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{user: alice}], delay: 0s}
      - {targets: [{user: bob}]}
""", 12, 43, ["level 1 of escalation policy 'ep-prod' waits 0s", 'put their targets in one level']),
    ('repeat-without-last-delay', """\
escalation_policies:
  - name: ep-prod
    repeat: 2
    levels:
      - {targets: [{user: alice}], delay: 5m}
      - {targets: [{user: bob}]}
""", 14, 9, ['repeats its ladder (repeat: 2), so its last level needs a delay']),
    ('negative-repeat', """\
escalation_policies:
  - {name: ep-prod, repeat: -1, levels: [{targets: [{user: alice}]}]}
""", 10, 29, ["'repeat' must be at least 0, not the number -1"]),
    ('unknown-user-target', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{user: alcie}]}
""", 12, 27, ["unknown user 'alcie'; did you mean 'alice'?"]),
    ('unknown-schedule-target', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{schedule: primary}]}
""", 12, 31, ["unknown schedule 'primary'; no schedules are defined"]),
    ('unknown-role-target', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{role: ceo}]}
""", 12, 27, ["unknown role 'ceo'", '(defined roles: cto)']),
    ('unknown-team-target', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{team: platfrom}]}
""", 12, 27, ["unknown team 'platfrom'; did you mean 'platform'?"]),
    ('unknown-ticket-webhook', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{ticket: jria, note: handled next business day}]}
""", 12, 29, ["unknown outbound webhook 'jria'; did you mean 'jira'?"]),
    ('target-with-two-kinds', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{user: alice, role: cto}]}
""", 12, 34, ['has both user and role; make them two targets']),
    ('mention-without-channel', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{slack_mention: U07CARL10}]}
""", 12, 20, ['a slack_mention target needs the channel to post the mention in']),
    ('channel-without-mention', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{role: cto, channel: C07INCACTV}]}
""", 12, 32, ["channel belongs to slack_mention targets only"]),
    ('mention-of-a-channel', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{slack_mention: C07INCACTV, channel: C07INCACTV}]}
""", 12, 36, ['a Slack member id (U or W', 'or a user group id (S']),
    ('target-without-kind', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{note: pager}]}
""", 12, 20, ['a target needs one of user, schedule, role, team, ticket, webhook or slack_mention']),
    ('misspelt-target-kind', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{usr: alice}]}
""", 12, 21, ["unknown field 'usr'; did you mean 'user'?"]),
    ('target-as-a-name', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [alice]}
""", 12, 20, ['a target is a mapping', '{schedule: primary}']),
    ('target-listed-twice', """\
escalation_policies:
  - name: ep-prod
    levels:
      - {targets: [{user: alice}, {user: alice}]}
""", 12, 35, ['target {user: alice} is listed twice']),
    ('trigger-with-two-conditions', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: p1-open-1h, open_for: 1h, tag: data-breach, targets: [{role: cto}]}
""", 13, 42, ["trigger 'p1-open-1h' has both open_for and tag", 'make it two triggers']),
    ('trigger-without-condition', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: p1-open-1h, severities: [P1], targets: [{role: cto}]}
""", 13, 9, ["trigger 'p1-open-1h' needs a condition", 'unacknowledged_for, no_update_for or open_for']),
    ('misspelt-trigger-condition', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: p1-open-1h, open_after: 1h, targets: [{role: cto}]}
""", 13, 28, ["unknown field 'open_after'; did you mean 'open_for'?"]),
    ('duplicate-trigger-name', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: p1-open, open_for: 1h, targets: [{role: cto}]}
      - {name: p1-open, open_for: 2h, targets: [{role: cto}]}
""", 14, 16, ["duplicate trigger name 'p1-open' in escalation policy 'ep-prod'; it is already defined at line 13"]),
    ('trigger-unknown-severity', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: p1-open-1h, open_for: 1h, severities: [P0], targets: [{role: cto}]}
""", 13, 55, ["unknown severity 'P0'", '(defined severities: P1, P2, P3, P4)']),
    ('trigger-zero-duration', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: unacked, unacknowledged_for: 0m, targets: [{role: cto}]}
""", 13, 45, ['unacknowledged_for must be longer than 0s']),
    ('trigger-without-targets', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: breach, tag: data-breach}
""", 13, 9, ["missing required field 'targets'"]),
    ('trigger-unknown-target', """\
escalation_policies:
  - name: ep-prod
    levels: [{targets: [{user: alice}]}]
    triggers:
      - {name: breach, tag: data-breach, targets: [{role: security-lead}]}
""", 13, 59, ["unknown role 'security-lead'"]),
    ('webhook-bad-url', """\
  - {name: slack, url: hooks.slack.example.com/x}
""", 9, 24, ["'hooks.slack.example.com/x' is not a webhook URL"]),
    ('webhook-secret-not-a-variable', """\
  - {name: slack, url: "https://hooks.slack.example.com/x", secret_env: my secret}
""", 9, 73, ["'my secret' is not an environment variable name"]),
    ('duplicate-webhook', """\
  - {name: jira, url: "https://jira.example.com/other"}
""", 9, 12, ["duplicate outbound webhook name 'jira'; it is already defined at line 8"]),
    ('schedule-bad-zone', """\
schedules:
  - name: primary
    timezone: Europe/Stokholm
    layers: [{name: weekly, participants: [alice], rotation: {every: 1w}, handoff: "09:00", start: 2026-01-05}]
""", 11, 15, ["unknown time zone 'Europe/Stokholm'; did you mean 'Europe/Stockholm'?"]),
    ('schedule-unknown-team', """\
schedules:
  - name: primary
    team: platfrom
    layers: [{name: weekly, participants: [alice], rotation: {every: 1w}, handoff: "09:00", start: 2026-01-05}]
""", 11, 11, ["unknown team 'platfrom'"]),
    ('schedule-without-layers', """\
schedules:
  - {name: primary, title: Primary}
""", 10, 5, ["missing required field 'layers'"]),
    ('unknown-participant', """\
schedules:
  - name: primary
    layers:
      - {name: weekly, participants: [alice, carol], rotation: {every: 1w}, handoff: "09:00", start: 2026-01-05}
""", 12, 46, ["unknown user 'carol' (defined users: alice, bob)"]),
    ('no-participants', """\
schedules:
  - name: primary
    layers:
      - {name: weekly, participants: [], rotation: {every: 1w}, handoff: "09:00", start: 2026-01-05}
""", 12, 38, ["'participants' must list at least one item"]),
    ('duplicate-layer', """\
schedules:
  - name: primary
    layers:
      - {name: weekly, participants: [alice], rotation: {every: 1w}, handoff: "09:00", start: 2026-01-05}
      - {name: weekly, participants: [bob], rotation: {every: 1w}, handoff: "09:00", start: 2026-01-05}
""", 13, 16, ["duplicate layer name 'weekly' in schedule 'primary'; it is already defined at line 12"]),
    ('duplicate-schedule', """\
schedules:
  - name: primary
    layers: &layers [{name: w, participants: [alice], rotation: {every: 1w}, handoff: "09:00", start: 2026-01-05}]
  - name: primary
    layers: *layers
""", 12, 11, ["duplicate schedule name 'primary'; it is already defined at line 10"]),
    ('rotation-with-both', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 1w, pattern: [{on: 4d}, {off: 3d}]}
        handoff: "09:00"
        start: 2026-01-05
""", 14, 31, ['a rotation has either every or pattern, not both']),
    ('rotation-with-neither', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {}
        handoff: "09:00"
        start: 2026-01-05
""", 14, 19, ['a rotation needs either every', 'or pattern']),
    ('shift-not-whole-hours', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 90m}
        handoff: "09:00"
        start: 2026-01-05
""", 14, 27, ['1h30m is not a whole number of hours, days or weeks']),
    ('shift-of-zero', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 0d}
        handoff: "09:00"
        start: 2026-01-05
""", 14, 27, ['a shift must be longer than 0s']),
    ('pattern-step-with-both', """\
schedules:
  - name: primary
    layers:
      - name: weekdays
        participants: [alice, bob]
        rotation: {pattern: [{on: 4d, off: 3d}]}
        handoff: "09:00"
        start: 2026-01-05
""", 14, 30, ['either {on: LENGTH} (a shift) or {off: LENGTH} (a gap)']),
    ('pattern-without-shift', """\
schedules:
  - name: primary
    layers:
      - name: weekdays
        participants: [alice, bob]
        rotation: {pattern: [{off: 3d}]}
        handoff: "09:00"
        start: 2026-01-05
""", 14, 29, ['the pattern has no on step']),
    ('handoff-unquoted', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 1w}
        handoff: 17:00
        start: 2026-01-05
""", 15, 18, ['the number 1020 is not a time of day', 'put the time in quotes ("17:00")']),
    ('handoff-out-of-range', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 1w}
        handoff: "24:00"
        start: 2026-01-05
""", 15, 18, ["'24:00' is not a time of day; use 00:00 to 23:59 (00:00 to 00:00 is a whole day)"]),
    ('start-not-a-date', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 1w}
        handoff: "09:00"
        start: next monday
""", 16, 16, ["'next monday' is not a date"]),
    ('start-with-a-time', """\
schedules:
  - name: primary
    layers:
      - name: weekly
        participants: [alice, bob]
        rotation: {every: 1w}
        handoff: "09:00"
        start: 2026-01-05 09:00:00
""", 16, 16, ['2026-01-05T09:00:00 has a time of day']),
    ('restriction-bad-day', """\
schedules:
  - name: primary
    layers:
      - name: office
        participants: [alice, bob]
        rotation: {every: 1d}
        handoff: "09:00"
        start: 2026-01-05
        restrictions:
          - {days: [mon, tues], from: "09:00", to: "17:00"}
""", 18, 26, ["invalid value 'tues'", "did you mean 'tue'?"]),
    ('restriction-day-twice', """\
schedules:
  - name: primary
    layers:
      - name: office
        participants: [alice, bob]
        rotation: {every: 1d}
        handoff: "09:00"
        start: 2026-01-05
        restrictions:
          - {days: [mon, tue, mon], from: "09:00", to: "17:00"}
""", 18, 31, ["day 'mon' is listed twice"]),
    ('restriction-unquoted-time', """\
schedules:
  - name: primary
    layers:
      - name: office
        participants: [alice, bob]
        rotation: {every: 1d}
        handoff: "09:00"
        start: 2026-01-05
        restrictions:
          - {days: [mon], from: "09:00", to: 17:30}
""", 18, 46, ['the number 1050 is not a time of day', '("17:30")']),
]


@pytest.mark.parametrize(("text", "line", "column", "fragments"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_mistake_is_reported_once_at_its_position(
    tmp_path: Path, text: str, line: int, column: int, fragments: list[str]
) -> None:
    single_error(write(tmp_path, "config.yaml", HEAD + text), line, column, fragments)


VALID = HEAD + """\
schedules:
  - name: primary
    title: Primary on-call
    team: platform
    layers:
      - name: weekly
        participants: [alice, bob, alice]
        rotation: {every: 1w}
        handoff: "09:00"
        start: 2026-01-05
      - name: nights
        participants: [bob]
        rotation: {pattern: [{on: 4d}, {off: 3d}]}
        handoff: "9:00"
        start: "2026-01-05"
        restrictions:
          - {days: [fri, mon], from: "22:00", to: "06:00"}
          - {days: [sat, sun], from: "00:00", to: "00:00"}
escalation_policies:
  - name: ep-prod
    repeat: 2
    levels:
      - {targets: [{schedule: primary}], delay: 5m}
      - {targets: [{user: bob}, {team: platform}], delay: 1h30m}
      - {targets: [{role: cto, note: pager}, {ticket: jira, note: handled next business day}], delay: 15m}
    triggers:
      - {name: unacked, unacknowledged_for: 15m, severities: [P1, P2], targets: [{user: alice}]}
      - {name: stale, no_update_for: 30m, targets: [{team: platform}]}
      - {name: long, open_for: 2h, targets: [{role: cto}]}
      - {name: breach, tag: data-breach, targets: [{webhook: jira}]}
"""


def test_a_full_on_call_tree_is_valid(tmp_path: Path) -> None:
    config = valid(write(tmp_path, "config.yaml", VALID))
    [schedule] = config.schedules
    assert schedule.timezone == "UTC"  # the organisation's zone
    weekly, nights = schedule.layers
    assert weekly.participants == ["alice", "bob", "alice"]  # a name twice: more turns
    assert (weekly.rotation.every, weekly.handoff, weekly.start) == (timedelta(weeks=1), "09:00", date(2026, 1, 5))
    assert nights.handoff == "09:00" and nights.start == date(2026, 1, 5)
    assert [(step.on, step.off) for step in nights.rotation.pattern or []] == [
        (timedelta(days=4), None), (None, timedelta(days=3))]
    overnight, weekend = nights.restrictions
    assert (overnight.from_, overnight.to, weekend.from_, weekend.to) == ("22:00", "06:00", "00:00", "00:00")
    [policy] = config.escalation_policies
    assert policy.repeat == 2
    assert [level.delay for level in policy.levels] == [
        timedelta(minutes=5), timedelta(minutes=90), timedelta(minutes=15)]
    assert [(t.kind, t.name, t.note) for t in policy.levels[2].targets] == [
        ("role", "cto", "pager"), ("ticket", "jira", "handled next business day")]
    assert [t.condition for t in policy.triggers] == ["unacknowledged_for", "no_update_for", "open_for", "tag"]


def test_schedules_take_the_organisation_zone_unless_they_name_one(tmp_path: Path) -> None:
    text = VALID.replace("organisation: {name: PRIA}", "organisation: {name: PRIA, timezone: Europe/Stockholm}")
    assert valid(write(tmp_path, "a.yaml", text)).schedules[0].timezone == "Europe/Stockholm"
    text = text.replace("    team: platform\n    layers:", "    team: platform\n    timezone: Asia/Tokyo\n    layers:")
    assert valid(write(tmp_path, "b.yaml", text)).schedules[0].timezone == "Asia/Tokyo"


def test_a_reference_into_another_file_is_checked_across_the_tree(tmp_path: Path) -> None:
    write(tmp_path, "org.yaml", HEAD)
    write(tmp_path, "oncall.yaml", """\
        escalation_policies:
          - name: ep-prod
            levels:
              - {targets: [{schedule: primary}], delay: 5m}
              - {targets: [{webhook: jira}, {webhook: slack}]}
        """)
    schedule, slack = load(tmp_path).errors
    assert (schedule.file, schedule.line, schedule.column) == (str(tmp_path / "oncall.yaml"), 4, 31)
    assert schedule.message == "unknown schedule 'primary'; no schedules are defined"
    assert (slack.line, slack.column) == (5, 47)
    write(tmp_path, "schedules.yaml", """\
        schedules:
          - {name: primary, layers: [{name: w, participants: [alice], rotation: {every: 1d}, handoff: "09:00",
                                      start: 2026-01-05}]}
        """)
    [error] = load(tmp_path).errors
    assert (error.file, error.line, error.column) == (str(tmp_path / "oncall.yaml"), 5, 47)
    assert error.message.startswith("unknown outbound webhook 'slack'")
