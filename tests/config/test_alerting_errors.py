"""Mistakes in the alert ingestion parts of the tree (service alerting settings, integrations,
routing rules, maintenance windows) are reported once, at their line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from firebell.config import load
from tests.config.helpers import valid, write

HEAD = """\
organisation: {name: PRIA}
teams: [{name: platform}]
services:
  - name: api
    team: platform
"""
KEY = "0123456789abcdef0123456789abcdef"
SHA = "a" * 64

# (id, YAML after HEAD, line, column, fragments the message must contain)
CASES = [
    ("bad-matcher-in-severity-map", """\
    alerting:
      severity_map:
        - {match: ['severity="critical"', 'severity=="critical"'], severity: P1}
""", 8, 43, ["invalid matcher 'severity==\"critical\"'", "stray double quote"]),
    ("not-a-matcher-in-routing-rule", """\
routing_rules:
  - {name: disk, match: [alertname], set_service: api}
""", 7, 26, ["'alertname' is not a matcher", 'name="value"']),
    ("bad-regex-in-routing-rule", """\
routing_rules:
  - name: disk
    match: ['alertname=~"Disk(.*"']
""", 8, 13, ["bad regular expression 'Disk(.*'", "missing )"]),
    ("routing-rule-without-matchers", """\
routing_rules:
  - {name: everything, match: [], suppress: true}
""", 7, 31, ["'match' must list at least one item"]),
    ("unknown-service-in-set-service", """\
routing_rules:
  - name: disk
    match: ['alertname="Disk"']
    set_service: databse
""", 9, 18, ["unknown service 'databse'", "(defined services: api)"]),
    ("unknown-severity-in-set-severity", """\
routing_rules:
  - name: disk
    match: ['alertname="Disk"']
    set_severity: P0
""", 9, 19, ["unknown severity 'P0'", "(defined severities: P1, P2, P3, P4)"]),
    ("unknown-field-in-routing-rule", """\
routing_rules:
  - name: disk
    match: ['alertname="Disk"']
    contineu: true
""", 9, 5, ["unknown field 'contineu'; did you mean 'continue'?",
            "name, match, set_service, set_severity, add_tags, suppress, continue"]),
    ("duplicate-routing-rule", """\
routing_rules:
  - {name: disk, match: ['alertname="Disk"'], set_service: api}
  - {name: disk, match: ['alertname="Disk2"'], set_service: api}
""", 8, 12, ["duplicate routing rule name 'disk'; it is already defined at line 7"]),
    ("unknown-service-in-window", """\
maintenance_windows:
  - {name: upgrade, service: apj, starts_at: 2026-12-01T22:00:00Z, ends_at: 2026-12-02T02:00:00Z}
""", 7, 30, ["unknown service 'apj'; did you mean 'api'?"]),
    ("duplicate-window", """\
maintenance_windows:
  - {name: upgrade, service: api, starts_at: 2026-12-01T22:00:00Z, ends_at: 2026-12-02T02:00:00Z}
  - {name: upgrade, service: api, starts_at: 2026-12-08T22:00:00Z, ends_at: 2026-12-09T02:00:00Z}
""", 8, 12, ["duplicate maintenance window name 'upgrade'; it is already defined at line 7"]),
    ("window-ends-before-it-starts", """\
maintenance_windows:
  - name: upgrade
    service: api
    starts_at: 2026-12-02T02:00:00Z
    ends_at: 2026-12-01T22:00:00Z
""", 10, 14, ["ends_at 2026-12-01T22:00:00+00:00 is not after starts_at 2026-12-02T02:00:00+00:00"]),
    ("window-naive-yaml-timestamp", """\
maintenance_windows:
  - name: upgrade
    service: api
    starts_at: 2026-12-01 22:00:00
    ends_at: 2026-12-02T02:00:00Z
""", 9, 16, ["timestamp 2026-12-01T22:00:00 has no time zone", "add Z for UTC"]),
    ("window-naive-quoted-timestamp", """\
maintenance_windows:
  - name: upgrade
    service: api
    starts_at: 2026-12-01T22:00:00Z
    ends_at: "2026-12-02T02:00:00"
""", 10, 14, ["timestamp 2026-12-02T02:00:00 has no time zone"]),
    ("window-date-only", """\
maintenance_windows:
  - {name: upgrade, service: api, starts_at: 2026-12-01, ends_at: 2026-12-02T02:00:00Z}
""", 7, 46, ["2026-12-01 is a date, not a timestamp"]),
    ("window-unreadable-timestamp", """\
maintenance_windows:
  - {name: upgrade, service: api, starts_at: tonight, ends_at: 2026-12-02T02:00:00Z}
""", 7, 46, ["'tonight' is not a timestamp", "2026-12-01T22:00:00Z"]),
    ("unknown-severity-in-paging-threshold", """\
    alerting:
      paging_threshold: P5
""", 7, 25, ["unknown severity 'P5'"]),
    ("unknown-severity-in-severity-map", """\
    alerting:
      severity_map:
        - {match: ['severity="critical"'], severity: SEV1}
""", 8, 54, ["unknown severity 'SEV1'"]),
    ("bad-group-by-label", """\
    alerting:
      group_by: [alertname, "the cluster"]
""", 7, 29, ["'the cluster' is not a label name"]),
    ("flapping-max-refires-zero", """\
    alerting:
      flapping: {max_refires: 0, window: 30m}
""", 7, 31, ["'max_refires' must be at least 1, not the number 0"]),
    ("duplicate-integration", """\
    integrations:
      - {name: alertmanager, type: alertmanager}
      - {name: alertmanager, type: pagerduty}
""", 8, 16, ["duplicate integration name 'alertmanager' in service 'api'; it is already defined at line 7"]),
    ("invalid-integration-type", """\
    integrations:
      - {name: grafana, type: grafna}
""", 7, 31, ["invalid type 'grafna'", "alertmanager, pagerduty, grafana, webhook, heartbeat",
             "did you mean 'grafana'?"]),
    ("mapping-on-alertmanager", """\
    integrations:
      - name: alertmanager
        type: alertmanager
        mapping: {summary: title}
""", 9, 9, ["'mapping' only applies to webhook integrations; integration 'alertmanager' is of type "
            "alertmanager"]),
    ("interval-on-webhook", """\
    integrations:
      - {name: ci, type: webhook, mapping: {summary: title}, interval: 5m}
""", 7, 62, ["'interval' only applies to heartbeat integrations; integration 'ci' is of type webhook"]),
    ("hmac-secret-on-pagerduty", """\
    integrations:
      - {name: pd, type: pagerduty, hmac_secret_env: PD_SECRET}
""", 7, 37, ["'hmac_secret_env' only applies to grafana integrations"]),
    ("webhook-without-mapping", """\
    integrations:
      - {name: ci, type: webhook}
""", 7, 9, ["webhook integration 'ci' needs a mapping"]),
    ("mapping-without-summary", """\
    integrations:
      - {name: ci, type: webhook, mapping: {severity: level}}
""", 7, 44, ["missing required field 'summary'"]),
    ("bad-mapping-path", """\
    integrations:
      - {name: ci, type: webhook, mapping: {summary: alert..title}}
""", 7, 54, ["'alert..title' is not a path into the JSON body", "items.0.name"]),
    ("heartbeat-without-interval", """\
    integrations:
      - {name: backup, type: heartbeat, grace: 1h}
""", 7, 9, ["heartbeat integration 'backup' needs an interval"]),
    ("heartbeat-interval-too-short", """\
    integrations:
      - {name: backup, type: heartbeat, interval: 30s}
""", 7, 51, ["interval 30s is too short", "at least 1m"]),
    ("heartbeat-unknown-severity", """\
    integrations:
      - {name: backup, type: heartbeat, interval: 1d, severity: P9}
""", 7, 65, ["unknown severity 'P9'"]),
    ("unknown-field-in-integration", """\
    integrations:
      - {name: backup, type: heartbeat, intervall: 1d}
""", 7, 41, ["unknown field 'intervall'; did you mean 'interval'?"]),
    ("key-too-short", """\
    integrations:
      - {name: am, type: alertmanager, key: abc123}
""", 7, 45, ["key is not a valid integration key (it is 6 characters long)", "16 to 128"]),
    ("key-with-bad-characters", """\
    integrations:
      - {name: am, type: alertmanager, key: "0123456789abcdef/0123456789"}
""", 7, 45, ["key is not a valid integration key (it holds other characters)"]),
    ("key-sha256-uppercase", f"""\
    integrations:
      - {{name: am, type: alertmanager, key_sha256: {SHA.upper()}}}
""", 7, 52, ["is not a SHA-256 digest", "64 lowercase hexadecimal digits"]),
    ("key-env-bad-name", """\
    integrations:
      - {name: pd, type: pagerduty, key_env: PD-KEY}
""", 7, 46, ["'PD-KEY' is not an environment variable name"]),
    ("key-and-key-env", f"""\
    integrations:
      - name: pd
        type: pagerduty
        key: {KEY}
        key_env: PRIA_API_PD_KEY
""", 10, 9, ["integration 'pd' has both key and key_env; give at most one of key, key_env, key_sha256"]),
    ("hmac-secret-twice", """\
    integrations:
      - {name: grafana, type: grafana, hmac_secret: s3cret, hmac_secret_env: GRAFANA_HMAC}
""", 7, 61, ["integration 'grafana' has both hmac_secret and hmac_secret_env"]),
    ("hmac-secret-and-keep", """\
    integrations:
      - {name: grafana, type: grafana, hmac_secret: s3cret, keep_hmac_secret: true}
""", 7, 61, ["integration 'grafana' has both hmac_secret and keep_hmac_secret"]),
    ("same-key-twice", f"""\
    integrations:
      - {{name: am, type: alertmanager, key: {KEY}}}
      - {{name: pd, type: pagerduty, key_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}}
  - name: auth
    team: platform
    integrations:
      - {{name: am, type: alertmanager, key_sha256: {__import__("hashlib").sha256(KEY.encode()).hexdigest()}}}
""", 12, 52, ["integration auth/am uses the same key as integration api/am (line 7)"]),
    ("same-key-env-twice", """\
    integrations:
      - {name: am, type: alertmanager, key_env: PRIA_KEY}
      - {name: pd, type: pagerduty, key_env: PRIA_KEY}
""", 8, 46, ["integration api/pd uses the same key_env PRIA_KEY as integration api/am (line 7)"]),
    ("header-name", """\
    integrations:
      - {name: grafana, type: grafana, timestamp_header: "X Grafana"}
""", 7, 58, ["'X Grafana' is not an HTTP header name"]),
]


@pytest.mark.parametrize(("text", "line", "column", "fragments"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_mistake_is_reported_once_at_its_position(
    tmp_path: Path, text: str, line: int, column: int, fragments: list[str]
) -> None:
    path = write(tmp_path, "config.yaml", HEAD + text)
    result = load(path)
    assert result.config is None
    assert [(e.line, e.column) for e in result.errors] == [(line, column)], "\n".join(map(str, result.errors))
    for fragment in fragments:
        assert fragment in result.errors[0].message
    assert "0123456789abcdef" not in result.errors[0].message  # keys are never echoed


def test_heartbeat_without_severity_needs_p2_to_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", HEAD + """\
    integrations:
      - {name: backup, type: heartbeat, interval: 1d}
severities: [{key: SEV1}, {key: SEV2}]
""")
    [error] = load(path).errors
    assert (error.line, error.column) == (7, 9)
    assert error.message == ("heartbeat integration 'backup' needs a severity: the default P2 is not a defined "
                             "severity (defined severities: SEV1, SEV2)")


def test_the_full_shape_validates(tmp_path: Path) -> None:
    config = valid(write(tmp_path, "config.yaml", HEAD + f"""\
    alerting:
      paging_threshold: P3
      default_severity: P3
      auto_resolve: true
      group_by: [alertname, cluster]
      severity_map:
        - {{match: ['severity="critical"'], severity: P1}}
        - {{match: ['severity=~"warn(ing)?"'], severity: P3}}
      flapping: {{max_refires: 4, window: 30m}}
    integrations:
      - {{name: alertmanager, type: alertmanager}}
      - {{name: pagerduty, type: pagerduty, key_env: PRIA_API_PD_KEY}}
      - {{name: grafana, type: grafana, key: "{KEY}", hmac_secret_env: GRAFANA_HMAC_SECRET,
          timestamp_header: X-Grafana-Alerting-Timestamp}}
      - name: ci
        type: webhook
        key_sha256: "{SHA}"
        mapping: {{summary: title, severity: level, dedup_key: id, status: state, resolved_values: [ok, resolved],
                  source: host, links: [url, items.0.url], group_key: check, details: alert.labels}}
      - {{name: nightly-backup, type: heartbeat, interval: 24h, grace: 1h, severity: P2,
          summary: "Nightly backup did not report"}}
  - name: database
    team: platform
    integrations:
      - {{name: alertmanager, type: alertmanager}}   # the same name in another service is fine
routing_rules:
  - name: disk-alerts-to-database
    match: ['alertname=~"Disk.*"', 'team="db"']
    set_service: database
    set_severity: P2
    add_tags: [storage]
    suppress: false
    continue: true
maintenance_windows:
  - {{name: db-upgrade, service: database, starts_at: "2026-12-01T22:00:00Z", ends_at: 2026-12-02T03:00:00+01:00,
      reason: "PostgreSQL 16 upgrade"}}
"""))
    api = config.services[0]
    assert [i.name for i in api.integrations] == ["alertmanager", "pagerduty", "grafana", "ci", "nightly-backup"]
    assert api.integrations[3].mapping is not None
    assert api.integrations[3].mapping.links == ["url", "items.0.url"]
    assert config.routing_rules[0].continue_ is True
    window = config.maintenance_windows[0]
    assert (window.ends_at - window.starts_at).total_seconds() == 4 * 3600
