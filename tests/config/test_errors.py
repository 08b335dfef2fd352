"""Every kind of configuration mistake is reported once, at the line and column where it was
written, with a message that says what is wrong and, where it can, what was meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from firebell.config import load
from tests.config.helpers import BASE, errors_in, write

# (id, YAML, line, column, fragments the message must contain)
CASES = [
    ("yaml-syntax", """\
        organisation: {name: PRIA}
        teams:
          - name: platform: core
        """, 3, 19, ["YAML syntax error", "mapping values are not allowed here"]),
    ("duplicate-key", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice@example.com
            email: alice@example.org
        """, 5, 5, ["duplicate key 'email' (first defined at line 4)"]),
    ("unknown-field", """\
        organisation: {name: PRIA}
        teams:
          - name: platform
            descripton: Platform team
        """, 4, 5, ["unknown field 'descripton'; did you mean 'description'?"]),
    ("missing-field", """\
        organisation: {name: PRIA}
        teams: [{name: platform}]
        services:
          - name: api
            title: PRIA API
        """, 4, 5, ["missing required field 'team'"]),
    ("missing-organisation-name", """\
        organisation: {timezone: UTC}
        """, 1, 15, ["missing required field 'name'"]),
    ("wrong-type", """\
        organisation: {name: PRIA}
        teams: [{name: platform}]
        users:
          - name: alice
            email: alice@example.com
            teams: platform
        """, 6, 12, ["'teams' must be a list, not the string 'platform'"]),
    ("wrong-type-bool", """\
        organisation: {name: PRIA}
        severities:
          - key: P1
            postmortem_required: "yes"
        """, 4, 26, ["'postmortem_required' must be true or false, not the string 'yes'"]),
    ("invalid-access", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice@example.com
            access: superuser
        """, 5, 13, ["invalid access 'superuser'; expected one of admin, responder, viewer"]),
    ("invalid-contact-type", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice@example.com
            contact_methods:
              - {type: emial, address: alice@example.com}
        """, 6, 16, ["invalid type 'emial'", "email, sms, voice, slack, webhook",
                     "did you mean 'email'?"]),
    ("bad-phone-number", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice@example.com
            contact_methods:
              - {type: sms, address: "070-174 06 05"}
        """, 6, 30, ["'070-174 06 05' is not a phone number", "+46701234567"]),
    ("duplicate-name", """\
        organisation: {name: PRIA}
        teams:
          - name: platform
          - name: security
          - name: platform
        """, 5, 11, ["duplicate team name 'platform'; it is already defined at line 3"]),
    ("unknown-team", """\
        organisation: {name: PRIA}
        teams: [{name: platform}, {name: security}]
        services:
          - name: api
            team: platfrom
        """, 5, 11, ["unknown team 'platfrom'; did you mean 'platform'?",
                     "(defined teams: platform, security)"]),
    ("unknown-role", """\
        organisation: {name: PRIA}
        roles: [{name: cto}]
        users:
          - name: alice
            email: alice@example.com
            roles: [cto, ceo]
        """, 6, 18, ["unknown role 'ceo'", "(defined roles: cto)"]),
    ("unknown-policy", """\
        organisation: {name: PRIA}
        teams: [{name: platform}]
        escalation_policies: [{name: ep-prod, levels: [{targets: [{team: platform}]}]}]
        services:
          - {name: api, team: platform, escalation_policy: ep-prd}
        """, 5, 52, ["unknown escalation policy 'ep-prd'; did you mean 'ep-prod'?"]),
    ("unknown-severity-in-policy-map", """\
        organisation: {name: PRIA}
        teams: [{name: platform}]
        escalation_policies: [{name: ep-prod, levels: [{targets: [{team: platform}]}]}]
        services:
          - name: api
            team: platform
            escalation_policy: {P1: ep-prod, P5: ep-prod}
        """, 7, 38, ["unknown severity 'P5'", "(defined severities: P1, P2, P3, P4)"]),
    ("unknown-severity-in-criterion", """\
        organisation: {name: PRIA}
        severity_criteria:
          - name: full-outage
            severity: P0
            flag: full_outage
        """, 4, 15, ["unknown severity 'P0'", "(defined severities: P1, P2, P3, P4)"]),
    ("no-policies-defined", """\
        organisation: {name: PRIA}
        teams: [{name: platform}]
        services:
          - {name: api, team: platform, escalation_policy: ep-prod}
        """, 4, 52, ["unknown escalation policy 'ep-prod'; no escalation policies are defined"]),
    ("bad-time-zone", """\
        organisation: {name: PRIA, timezone: Europe/Stokholm}
        """, 1, 38, ["unknown time zone 'Europe/Stokholm'; did you mean 'Europe/Stockholm'?"]),
    ("bad-user-time-zone", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice@example.com
            timezone: CEST
        """, 5, 15, ["unknown time zone 'CEST'", "abbreviations", "IANA name"]),
    ("bad-duration", """\
        organisation: {name: PRIA}
        severities:
          - key: P1
            acknowledge_within: 5 minutes
        """, 4, 25, ["'5 minutes' is not a duration", "5m"]),
    ("bad-email", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice.example.com
        """, 4, 12, ["'alice.example.com' is not a valid email address"]),
    ("bad-slug", """\
        organisation: {name: PRIA}
        teams:
          - name: Platform Team
        """, 3, 11, ["'Platform Team' is not a valid name", "lowercase letters"]),
    ("criterion-flag-and-metric", """\
        organisation: {name: PRIA}
        severity_criteria:
          - name: outage
            severity: P1
            flag: full_outage
            metric: error_rate
            min: 50
        """, 6, 5, ["criterion 'outage' has both flag and metric"]),
    ("criterion-neither", """\
        organisation: {name: PRIA}
        severity_criteria:
          - name: outage
            severity: P1
        """, 3, 5, ["criterion 'outage' needs either flag", "or metric"]),
    ("criterion-no-lower-bound", """\
        organisation: {name: PRIA}
        severity_criteria:
          - name: slow
            severity: P3
            metric: latency_multiple
            max: 5
        """, 5, 5, ["criterion 'slow' needs a lower bound: min (inclusive) or above (exclusive)"]),
    ("criterion-max-below-min", """\
        organisation: {name: PRIA}
        severity_criteria:
          - {name: error-rate-elevated, severity: P3, metric: error_rate, min: 10, max: 1}
        """, 3, 81, ["criterion 'error-rate-elevated' has max (1) below min (10)"]),
    ("missing-organisation", """\
        teams: [{name: platform}]
        """, 1, 1, ["organisation is missing"]),
    ("empty-file", "", 1, 1, ["file is empty"]),
    ("comments-only-file", "# nothing here yet\n", 1, 1, ["file is empty"]),
    ("unknown-section", """\
        organisation: {name: PRIA}
        team:
          - name: platform
        """, 2, 1, ["unknown section 'team'; did you mean 'teams'?"]),
    ("top-level-list", """\
        - organisation: {name: PRIA}
        """, 1, 1, ["top level must be a mapping of sections"]),
    ("empty-severities", """\
        organisation: {name: PRIA}
        severities: []
        """, 2, 13, ["'severities' must list at least one item", "leave the section out"]),
    ("section-not-a-list", """\
        organisation: {name: PRIA}
        teams:
          platform: {description: Platform}
        """, 3, 3, ["'teams' must be a list", "not a mapping"]),
    ("policy-of-wrong-shape", """\
        organisation: {name: PRIA}
        teams: [{name: platform}]
        escalation_policies: [{name: ep-prod, levels: [{targets: [{team: platform}]}]}]
        services:
          - name: api
            team: platform
            escalation_policy: [ep-prod]
        """, 7, 24, ["escalation_policy must be a policy name or a mapping of severity key to policy"]),
    ("duplicate-contact-method", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice@example.com
            contact_methods:
              - {type: email, address: alice@example.com}
              - {type: email, address: alice@example.com, label: again}
        """, 7, 9, ["duplicate contact method email alice@example.com; already listed at line 6"]),
    ("unquoted-phone-number", """\
        organisation: {name: PRIA}
        users:
          - name: alice
            email: alice@example.com
            contact_methods:
              - {type: sms, address: +46701740605}
        """, 6, 30, ["'address' must be a string, not the number 46701740605",
                     "put it in quotes"]),
    ("user-in-team-twice", """\
        organisation: {name: PRIA}
        teams: [{name: platform}]
        users:
          - {name: alice, email: alice@example.com, teams: [platform, platform]}
        """, 4, 63, ["team 'platform' is listed twice"]),
]


@pytest.mark.parametrize(("text", "line", "column", "fragments"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_mistake_is_reported_once_at_its_position(
    tmp_path: Path, text: str, line: int, column: int, fragments: list[str]
) -> None:
    path = write(tmp_path, "config.yaml", text)
    result = load(path)
    assert result.config is None
    assert [(e.file, e.line, e.column) for e in result.errors] == [(str(path), line, column)], \
        "\n".join(map(str, result.errors))
    for fragment in fragments:
        assert fragment in result.errors[0].message


def test_error_prints_as_file_line_column_message(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", """\
        organisation: {name: PRIA}
        teams:
          - name: Platform
        """)
    [error] = errors_in(path)
    assert str(error) == (
        f"{path}:3:11: 'Platform' is not a valid name; use lowercase letters, digits, '-' and '_', "
        "starting with a letter or digit"
    )


def test_every_error_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", """\
        organisation: {name: PRIA, timezone: Mars/Olympus}
        teams:
          - {name: platform, titel: Platform}
        users:
          - {name: alice, email: alice@, teams: [platfrom]}
          - {name: alice, email: alice2@example.com, access: root}
        severities:
          - {key: P1, recover_within: soon}
        severity_criteria:
          - {name: outage, severity: P2, flag: full_outage}
        """)
    errors = errors_in(path)
    assert [(e.line, e.column) for e in errors] == [
        (1, 38), (3, 22), (5, 26), (5, 42), (6, 12), (6, 54), (8, 31), (10, 30),
    ]
    messages = [e.message for e in errors]
    assert "unknown time zone 'Mars/Olympus'" in messages[0]
    assert "unknown field 'titel' (allowed: name, description)" in messages[1]
    assert "not a valid email address" in messages[2]
    assert "unknown team 'platfrom'" in messages[3]
    assert "duplicate user name 'alice'; it is already defined at line 5" in messages[4]
    assert "invalid access 'root'" in messages[5]
    assert "'soon' is not a duration" in messages[6]
    assert "unknown severity 'P2' (defined severities: P1)" in messages[7]


def test_a_type_error_does_not_hide_a_reference_error_elsewhere(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", BASE.replace("access: admin", "access: 5").replace(
        "team: security, escalation_policy: ep-p1", "team: securty, escalation_policy: ep-p1"))
    messages = [e.message for e in errors_in(path)]
    assert len(messages) == 2
    assert "invalid access the number 5" in messages[0]
    assert "unknown team 'securty'; did you mean 'security'?" in messages[1]


def test_the_base_document_is_valid(tmp_path: Path) -> None:
    assert errors_in(write(tmp_path, "config.yaml", BASE)) == []


def test_missing_path_is_reported(tmp_path: Path) -> None:
    [error] = errors_in(tmp_path / "nope.yaml")
    assert (error.file, error.line, error.column) == (str(tmp_path / "nope.yaml"), 1, 1)
    assert error.message == "no such file or folder"
