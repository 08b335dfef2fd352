"""Mistakes in how people are reached (Slack member ids, quiet hours, verified contact methods,
notification rules), in severities' urgency and in the `slack:` section are reported once, at their
line and column, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from firebell.config import load
from tests.config.helpers import single_error, write

HEAD = """\
organisation: {name: PRIA}
users:
  - name: alice
    email: alice@example.com
"""

# (id, YAML after HEAD, line, column, fragments the message must contain)
CASES = [
    ("slack-user-not-an-id", """\
    slack_user: alice
""", 5, 17, ["'alice' is not a Slack member id", "U or W followed by capital letters and digits",
             "U0123ABCD"]),
    ("slack-user-lowercase", """\
    slack_user: u0alice01
""", 5, 17, ["'u0alice01' is not a Slack member id"]),
    ("slack-user-twice", """\
    slack_user: U0ALICE01
  - name: bob
    email: bob@example.com
    slack_user: U0ALICE01
""", 8, 17, ["Slack member U0ALICE01 is given to both user 'alice' (line 5) and user 'bob'",
             "each user needs their own slack_user"]),
    ("quiet-hours-bad-time", """\
    quiet_hours: {start: "25:00"}
""", 5, 26, ["'25:00' is not a time of day", "00:00 to 23:59"]),
    ("quiet-hours-unquoted", """\
    quiet_hours: {start: 22:00, end: "07:00"}
""", 5, 26, ["the number 1320 is not a time of day", 'put the time in quotes ("22:00")']),
    ("quiet-hours-start-is-end", """\
    quiet_hours: {start: "07:00"}
""", 5, 18, ["quiet_hours start and end are both 07:00", "no night or a whole day",
             "phone_low_urgency: true"]),
    ("quiet-hours-unknown-field", """\
    quiet_hours: {start: "22:00", ends: "07:00"}
""", 5, 35, ["unknown field 'ends'; did you mean 'end'?", "(allowed: start, end, phone_low_urgency)"]),
    ("quiet-hours-phone-not-bool", """\
    quiet_hours: {phone_low_urgency: "no"}
""", 5, 38, ["'phone_low_urgency' must be true or false, not the string 'no'"]),
    ("verified-not-bool", """\
    contact_methods:
      - {type: email, address: alice@example.com, verified: "yes"}
""", 6, 61, ["'verified' must be true or false, not the string 'yes'"]),
    ("rule-uses-no-method", """\
    contact_methods:
      - {type: email, address: alice@example.com, label: work}
      - {type: sms, address: "+46701740605"}
    notification_rules:
      high: [{use: voice}]
""", 9, 20, ["'voice' names none of the contact methods of user 'alice'", "label, type or address",
             "(contact methods: email alice@example.com (work); sms +46701740605)"]),
    ("rule-uses-two-methods", """\
    contact_methods:
      - {type: sms, address: "+46701740605", label: on-call phone}
      - {type: voice, address: "+46701740605"}
    notification_rules:
      low:
        - use: "+46701740605"
          after: 30m
""", 10, 16, ["'+46701740605' names 2 contact methods of user 'alice'",
              "(sms +46701740605 (on-call phone); voice +46701740605)", "a label that only it has"]),
    ("rule-but-no-methods", """\
    notification_rules:
      high: [{use: email}]
""", 6, 20, ["'email' names no contact method: user 'alice' has none", "contact_methods"]),
    ("rule-listed-twice", """\
    contact_methods:
      - {type: email, address: alice@example.com, label: work}
    notification_rules:
      high: [{use: email}, {use: work, after: 0m}]
""", 8, 28, ["the high-urgency rule for email alice@example.com (work) after 0m is listed twice",
             "already at line 8"]),
    ("rule-after-not-minutes", """\
    contact_methods: [{type: email, address: alice@example.com}]
    notification_rules:
      high: [{use: email, after: 90s}]
""", 7, 34, ["1m30s is not a whole number of minutes"]),
    ("rule-after-over-a-day", """\
    contact_methods: [{type: email, address: alice@example.com}]
    notification_rules:
      low: [{use: email, after: 25h}]
""", 7, 33, ["1d1h is longer than a day", "at most 24h"]),
    ("rule-after-without-unit", """\
    contact_methods: [{type: email, address: alice@example.com}]
    notification_rules:
      low: [{use: email, after: 5}]
""", 7, 33, ["5 has no unit; write 5m"]),
    ("rule-unknown-urgency", """\
    contact_methods: [{type: email, address: alice@example.com}]
    notification_rules:
      urgent: [{use: email}]
""", 7, 7, ["unknown field 'urgent'", "(allowed: high, low)"]),
    ("rule-without-use", """\
    contact_methods: [{type: email, address: alice@example.com}]
    notification_rules:
      high: [{after: 5m}]
""", 7, 14, ["missing required field 'use'"]),
    ("severity-urgency", """\
severities:
  - {key: P1, urgency: critical}
""", 6, 24, ["invalid urgency 'critical'; expected one of high, low"]),
    ("slack-channel-name-as-id", """\
slack:
  channels:
    - {channel: "#incident-active", severities: [P1]}
""", 7, 17, ["'#incident-active' is not a Slack channel id", "C or G", "the #name goes in name"]),
    ("slack-unknown-severity", """\
slack:
  channels:
    - {channel: C0INCIDENT, severities: [P1, P5]}
""", 7, 46, ["unknown severity 'P5'", "(defined severities: P1, P2, P3, P4)"]),
    ("slack-severity-twice", """\
slack:
  channels:
    - {channel: C0INCIDENT, severities: [P1, P1]}
""", 7, 46, ["severity 'P1' is listed twice"]),
    ("slack-no-severities-no-tags", """\
slack:
  channels:
    - channel: C0INCIDENT
      name: "#incident-active"
      severities: []
""", 7, 7, ["Slack channel #incident-active has no severities and no tags",
            "this channel would get no incidents"]),
    ("slack-duplicate-channel", """\
slack:
  channels:
    - {channel: C0INCIDENT, severities: [P1]}
    - {channel: C0INCIDENT, tags: [data-breach]}
""", 8, 17, ["duplicate Slack channel C0INCIDENT; it is already listed at line 7"]),
    ("slack-webhook-url-instead-of-env", """\
slack:
  channels:
    - {channel: C0EXEC01, severities: [P1], webhook_url_env: "https://hooks.slack.com/services/T0/B0/x"}
""", 7, 62, ["this field names the environment variable that holds the incoming webhook's URL",
             "SLACK_WEBHOOK_EXEC", "the URL itself is a credential"]),
    ("slack-webhook-env-bad-name", """\
slack:
  channels:
    - {channel: C0EXEC01, severities: [P1], webhook_url_env: SLACK-WEBHOOK}
""", 7, 62, ["'SLACK-WEBHOOK' is not an environment variable name", "SLACK_WEBHOOK_EXEC"]),
    ("slack-fallback-unknown-route", """\
slack:
  fallback: {after: 5m, route: gchat-incidnets}
chat:
  routes:
    - {name: gchat-incidents, kind: google_chat, url_env: PRIA_GCHAT}
""", 6, 32, ["unknown chat route 'gchat-incidnets'; did you mean 'gchat-incidents'?"]),
    ("chat-route-url-pasted", """\
chat:
  routes:
    - {name: ops, kind: teams, url_env: "https://x.webhook.office.com/abc"}
""", 7, 41, ["names the environment variable that holds", "the URL itself is a credential"]),
    ("chat-route-unknown-kind", """\
chat:
  routes:
    - {name: ops, kind: discord, url_env: OPS_HOOK}
""", 7, 25, ["google_chat, teams"]),
    ("slack-not-a-mapping", """\
slack:
  - {channel: C0INCIDENT, severities: [P1]}
""", 6, 3, ["'slack' must be a mapping of its fields (allowed: channels, fallback), not a list"]),
    ("slack-channels-not-a-list", """\
slack:
  channels: {channel: C0INCIDENT, severities: [P1]}
""", 6, 13, ["'channels' must be a list, not a mapping"]),
    ("slack-misspelt-channels", """\
slack:
  chanels: []
""", 6, 3, ["unknown field 'chanels'; did you mean 'channels'?"]),
    ("slack-channel-unknown-field", """\
slack:
  channels:
    - {channel: C0INCIDENT, severity: [P1]}
""", 7, 29, ["unknown field 'severity'; did you mean 'severities'?"]),
    ("slack-section-misspelt", """\
slak:
  channels: []
""", 5, 1, ["unknown section 'slak'; did you mean 'slack'?"]),
]


@pytest.mark.parametrize(("text", "line", "column", "fragments"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_mistake_is_reported_once_at_its_position(
    tmp_path: Path, text: str, line: int, column: int, fragments: list[str]
) -> None:
    error = single_error(write(tmp_path, "config.yaml", HEAD + text), line, column, fragments)
    assert "hooks.slack.com" not in error.message  # a webhook URL is a credential


def test_a_duplicate_slack_member_in_another_file_names_that_file(tmp_path: Path) -> None:
    write(tmp_path / "tree", "a.yaml", HEAD + "    slack_user: U0ALICE01\n")
    write(tmp_path / "tree", "b.yaml", "users:\n  - {name: bob, email: bob@example.com, slack_user: U0ALICE01}\n")
    [error] = load(tmp_path / "tree").errors
    assert (Path(error.file).name, error.line, error.column) == ("b.yaml", 2, 53)
    assert f"given to both user 'alice' ({tmp_path / 'tree' / 'a.yaml'}:5) and user 'bob'" in error.message


def test_slack_channels_in_two_files_are_checked_together(tmp_path: Path) -> None:
    write(tmp_path / "tree", "a.yaml", HEAD + "slack:\n  channels:\n    - {channel: C0INCIDENT, severities: [P1]}\n")
    write(tmp_path / "tree", "b.yaml", "slack:\n  channels:\n    - {channel: C0INCIDENT, severities: [P7]}\n")
    errors = load(tmp_path / "tree").errors
    assert [(Path(e.file).name, e.line, e.column) for e in errors] == [("b.yaml", 3, 17), ("b.yaml", 3, 42)]
    assert errors[0].message == (f"duplicate Slack channel C0INCIDENT; it is already listed at "
                                 f"{tmp_path / 'tree' / 'a.yaml'}:7")
    assert "unknown severity 'P7'" in errors[1].message


def test_rule_errors_of_one_user_do_not_hide_those_of_another(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", HEAD + """\
    contact_methods: [{type: email, address: alice@example.com}]
    notification_rules: {high: [{use: sms}], low: [{use: email, after: 1h}, {use: email, after: 60m}]}
  - name: bob
    email: bob@example.com
    contact_methods: [{type: email, address: bob@example.com}]
    notification_rules: {high: [{use: pager}]}
""")
    errors = load(path).errors
    assert [(e.line, e.column) for e in errors] == [(6, 39), (6, 77), (10, 39)]
    assert "'sms' names none of the contact methods of user 'alice'" in errors[0].message
    assert "low-urgency rule for email alice@example.com after 1h is listed twice" in errors[1].message
    assert "'pager' names none of the contact methods of user 'bob'" in errors[2].message
