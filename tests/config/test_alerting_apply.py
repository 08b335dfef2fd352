"""Plan, apply and export of alert ingestion configuration against a real database (SQLite and
PostgreSQL): integrations and their keys, routing rules, maintenance windows, config_version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from firebell.alerts.keys import hash_key
from firebell.alerts.models import Heartbeat, Integration, MaintenanceWindow, RoutingRule
from firebell.audit.models import AuditEntry
from firebell.config import Change, FieldChange, Plan, apply, export, load, plan
from firebell.config.errors import ApplyError
from firebell.config.schema import Config
from firebell.org.models import Organisation, Service
from firebell.store.uow import Database
from tests.config.helpers import BASE, valid, write

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = "grafana-key-0123456789abcdef"
PD_KEY = "pd0123456789abcdef0123456789abcd"
SHA = hash_key("a key kept in a vault elsewhere")
ENV = {"PRIA_API_PD_KEY": PD_KEY}

SERVICES = f"""\
services:
  - name: api
    title: PRIA API
    team: platform
    escalation_policy: {{P1: ep-p1, P2: ep-p2}}
    alerting:
      paging_threshold: P3
      group_by: [alertname]
      severity_map:
        - {{match: [severity=critical], severity: P1}}
      flapping: {{max_refires: 3, window: 1h}}
    integrations:
      - {{name: alertmanager, type: alertmanager}}
      - {{name: pagerduty, type: pagerduty, key_env: PRIA_API_PD_KEY}}
      - {{name: grafana, type: grafana, key: {KEY}, hmac_secret_env: GRAFANA_HMAC_SECRET,
          timestamp_header: X-Grafana-Alerting-Timestamp}}
      - name: ci
        type: webhook
        key_sha256: {SHA}
        mapping: {{summary: title, severity: level, status: state, links: [url, items.0.url]}}
  - name: auth
    team: security
    escalation_policy: ep-p1
    status_page_component: Auth
    integrations:
      - {{name: nightly-backup, type: heartbeat, interval: 24h}}
routing_rules:
  - {{name: disk, match: ['alertname=~Disk.*', 'team="db"'], set_service: auth, set_severity: P2, add_tags: [storage]}}
  - {{name: auth-scope, match: ['alertname="auth_failed_scope_checks"'], set_service: auth, continue: true}}
  - {{name: drop-test, match: ['env = "test"'], suppress: true}}
maintenance_windows:
  - {{name: auth-upgrade, service: auth, starts_at: 2027-01-10T23:00:00+01:00, ends_at: "2027-01-11T03:00:00+01:00",
      reason: PostgreSQL upgrade}}
"""
OLD_SERVICES = BASE[BASE.index("services:\n"):BASE.index("severity_criteria:\n")]
TREE = BASE.replace(OLD_SERVICES, SERVICES)


def _config(tmp_path: Path, text: str = TREE) -> Config:
    return valid(write(tmp_path, "config.yaml", text))


def _apply(database: Database, config: Config, *, env: dict[str, str] | None = None, now: datetime = NOW) -> Plan:
    with database.unit_of_work() as session:
        return apply(session, config, now=now, env=ENV if env is None else env)


def _plan(database: Database, config: Config, env: dict[str, str] | None = None) -> Plan:
    with database.unit_of_work(write=False) as session:
        return plan(session, config, env=ENV if env is None else env)


def _integrations(database: Database) -> dict[str, Integration]:
    """Every integration by "service/name", detached with its values loaded."""
    with database.unit_of_work(write=False) as session:
        names = dict(session.execute(select(Service.id, Service.name)).all())
        rows = {f"{names[i.service_id]}/{i.name}": i for i in session.scalars(select(Integration))}
        session.expunge_all()
        return rows


def _config_version(database: Database) -> int:
    with database.unit_of_work(write=False) as session:
        org = session.get(Organisation, 1)
        assert org is not None
        return org.config_version


def test_apply_stores_integrations_with_hashed_keys_and_returns_generated_ones(
    database: Database, tmp_path: Path
) -> None:
    result = _apply(database, _config(tmp_path))
    assert set(result.generated_keys) == {"api/alertmanager", "auth/nightly-backup"}
    rows = _integrations(database)
    for name, key in result.generated_keys.items():
        assert (rows[name].key_source, rows[name].key_hash, rows[name].key_prefix) == (
            "generated", hash_key(key), key[:6])
    pagerduty, grafana, ci = rows["api/pagerduty"], rows["api/grafana"], rows["api/ci"]
    assert (pagerduty.key_source, pagerduty.key_hash, pagerduty.key_prefix, pagerduty.settings) == (
        "env", hash_key(PD_KEY), PD_KEY[:6], {"key_env": "PRIA_API_PD_KEY"})
    assert (grafana.key_source, grafana.key_hash, grafana.key_prefix) == ("config", hash_key(KEY), KEY[:6])
    assert grafana.settings == {"hmac_secret_env": "GRAFANA_HMAC_SECRET",
                                "timestamp_header": "X-Grafana-Alerting-Timestamp",
                                "signature_header": "X-Grafana-Alerting-Signature"}
    assert (ci.key_source, ci.key_hash, ci.key_prefix) == ("config", SHA, "")
    assert ci.settings == {"mapping": {"summary": "title", "severity": "level", "status": "state",
                                       "resolved_values": ["resolved", "ok"], "acknowledged_values": [],
                                       "links": ["url", "items.0.url"]}}
    backup = rows["auth/nightly-backup"]
    assert backup.settings == {"interval_s": 86400, "grace_s": 17280, "severity": "P2",
                               "summary": "No heartbeat from auth/nightly-backup"}
    with database.unit_of_work(write=False) as session:
        heartbeat = session.get(Heartbeat, backup.id)
        assert heartbeat is not None and (heartbeat.status, heartbeat.last_beat_at) == ("waiting", None)
        api = session.scalars(select(Service).where(Service.name == "api")).one()
        assert api.alerting == {
            "paging_threshold": "P3", "group_by": ["alertname"],
            "severity_map": [{"match": ['severity="critical"'], "severity": "P1"}],
            "flapping": {"max_refires": 3, "window_s": 3600},
        }
        auth = session.scalars(select(Service).where(Service.name == "auth")).one()
        assert auth.alerting == {}
        # The audit trail says which keys were generated, never the keys themselves.
        [entry] = session.scalars(select(AuditEntry)).all()
        assert entry.details["generated_keys"] == ["api/alertmanager", "auth/nightly-backup"]
        logged = json.dumps(entry.details)
        assert not any(key in logged for key in [*result.generated_keys.values(), KEY, PD_KEY])
    # A plan never carries a plain key either.
    assert KEY not in repr(result) and KEY not in json.dumps(result.desired, default=str)


def test_a_second_apply_is_empty_and_keeps_generated_keys(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path)
    first = _apply(database, config)
    hashes = {name: row.key_hash for name, row in _integrations(database).items()}
    assert _plan(database, config).changes == []
    again = _apply(database, config, now=LATER)
    assert (again.changes, again.generated_keys) == ([], {})
    assert {name: row.key_hash for name, row in _integrations(database).items()} == hashes
    assert hashes["api/alertmanager"] == hash_key(first.generated_keys["api/alertmanager"])


def test_a_missing_key_env_variable_refuses_the_whole_apply(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path)
    with pytest.raises(ApplyError) as raised:
        _apply(database, config, env={})
    assert raised.value.problems == [
        "environment variable PRIA_API_PD_KEY is not set; integration api/pagerduty reads its key from it (key_env)"]
    with database.unit_of_work(write=False) as session:
        assert session.get(Organisation, 1) is None  # nothing at all was written
        assert session.scalar(select(func.count()).select_from(Integration)) == 0
    with pytest.raises(ApplyError, match="PRIA_API_PD_KEY is empty"):
        _apply(database, config, env={"PRIA_API_PD_KEY": " "})
    with pytest.raises(ApplyError, match="does not hold a valid key for integration api/pagerduty"):
        _apply(database, config, env={"PRIA_API_PD_KEY": "short"})


def test_a_missing_variable_also_refuses_an_apply_that_would_change_other_things(
    database: Database, tmp_path: Path
) -> None:
    _apply(database, _config(tmp_path))
    retitled = _config(tmp_path, TREE.replace("title: PRIA API", "title: Public API"))
    with pytest.raises(ApplyError, match="PRIA_API_PD_KEY is not set"):
        _apply(database, retitled, env={})
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(Service.title).where(Service.name == "api")).one() == "PRIA API"
    assert _config_version(database) == 1


def test_plan_without_the_variable_warns_and_a_rotated_key_plans_a_change(
    database: Database, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    _apply(database, config)
    unset = _plan(database, config, env={})
    assert unset.changes == []
    assert unset.warnings == [
        "environment variable PRIA_API_PD_KEY is not set; integration api/pagerduty reads its key from it "
        "(key_env); its key is not compared, and apply will refuse to run without it"]
    rotated = {"PRIA_API_PD_KEY": "rotated-0123456789abcdef"}
    assert _plan(database, config, env=rotated).changes == [Change(
        "change", "integration", "api/pagerduty",
        (FieldChange("key_sha256", hash_key(PD_KEY), hash_key("rotated-0123456789abcdef")),))]
    _apply(database, config, env=rotated, now=LATER)
    row = _integrations(database)["api/pagerduty"]
    assert (row.key_hash, row.key_prefix) == (hash_key("rotated-0123456789abcdef"), "rotate")


def test_removing_an_integration_archives_it_and_re_adding_restores_its_key(
    database: Database, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    generated = _apply(database, config).generated_keys["api/alertmanager"]
    without = _config(tmp_path, TREE.replace("      - {name: alertmanager, type: alertmanager}\n", ""))
    assert _plan(database, without).changes == [Change("delete", "integration", "api/alertmanager")]
    _apply(database, without, now=LATER)
    row = _integrations(database)["api/alertmanager"]
    assert row.archived_at == LATER and row.key_hash == hash_key(generated)
    with database.unit_of_work(write=False) as session:
        assert "name: alertmanager" not in export(session)
    [restore] = _plan(database, config).changes
    assert (restore.action, restore.name, restore.field_names) == ("change", "api/alertmanager", ["archived"])
    assert _apply(database, config).generated_keys == {}
    row = _integrations(database)["api/alertmanager"]
    assert row.archived_at is None and row.key_hash == hash_key(generated)


def test_a_key_held_by_an_archived_integration_cannot_be_reused(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    renamed = _config(tmp_path, TREE.replace("{name: grafana, type: grafana", "{name: grafana-2, type: grafana"))
    with pytest.raises(ApplyError) as raised:
        _apply(database, renamed, now=LATER)
    assert raised.value.problems == ["the key of integration api/grafana-2 is already used by integration "
                                     "api/grafana; every integration needs its own key"]


def test_switching_between_a_written_and_a_generated_key(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path)
    _apply(database, config)
    own_key = "my-own-alertmanager-key-0001"
    written = _config(tmp_path, TREE.replace(
        "{name: alertmanager, type: alertmanager}", f"{{name: alertmanager, type: alertmanager, key: {own_key}}}"))
    [change] = _plan(database, written).changes
    assert (change.name, change.field_names) == ("api/alertmanager", ["key_source", "key_sha256"])
    assert _apply(database, written).generated_keys == {}
    row = _integrations(database)["api/alertmanager"]
    assert (row.key_source, row.key_hash, row.key_prefix) == ("config", hash_key(own_key), own_key[:6])
    # The same key given by its hash is no change (the prefix stays what it was).
    hashed = _config(tmp_path, TREE.replace(
        "{name: alertmanager, type: alertmanager}",
        f"{{name: alertmanager, type: alertmanager, key_sha256: {hash_key(own_key)}}}"))
    assert _plan(database, hashed).changes == []
    # Back to no key: Firebell generates a new one, since the old one was the author's.
    regenerated = _apply(database, config, now=LATER).generated_keys
    assert set(regenerated) == {"api/alertmanager"}
    row = _integrations(database)["api/alertmanager"]
    assert (row.key_source, row.key_hash) == ("generated", hash_key(regenerated["api/alertmanager"]))


def test_changing_an_integrations_type_keeps_its_heartbeat_row_in_step(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    backup_id = _integrations(database)["auth/nightly-backup"].id
    as_webhook = _config(tmp_path, TREE.replace(
        "{name: nightly-backup, type: heartbeat, interval: 24h}",
        "{name: nightly-backup, type: webhook, mapping: {summary: message}}"))
    [change] = _plan(database, as_webhook).changes
    assert change.field_names == ["type", "mapping"]
    _apply(database, as_webhook, now=LATER)
    with database.unit_of_work(write=False) as session:
        assert session.get(Heartbeat, backup_id) is None
    _apply(database, _config(tmp_path))
    with database.unit_of_work(write=False) as session:
        heartbeat = session.get(Heartbeat, backup_id)
        assert heartbeat is not None and heartbeat.status == "waiting"


def test_routing_rules_keep_list_order_and_normalised_matchers(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work(write=False) as session:
        rules = session.scalars(select(RoutingRule).order_by(RoutingRule.position)).all()
        assert [(r.name, r.position, r.matchers, r.actions, r.continue_) for r in rules] == [
            ("disk", 0, ['alertname=~"Disk.*"', 'team="db"'],
             {"set_service": "auth", "set_severity": "P2", "add_tags": ["storage"]}, False),
            ("auth-scope", 1, ['alertname="auth_failed_scope_checks"'], {"set_service": "auth"}, True),
            ("drop-test", 2, ['env="test"'], {"suppress": True}, False),
        ]
    # Moving a rule changes positions only; writing a matcher another way is no change at all.
    disk = "  - {name: disk, match: ['alertname=~Disk.*', 'team=\"db\"'], set_service: auth, set_severity: P2, " \
           "add_tags: [storage]}\n"
    last_with_team_unquoted = disk.replace("'team=\"db\"'", "team=db")
    moved = TREE.replace(disk, "").replace("maintenance_windows:\n", last_with_team_unquoted + "maintenance_windows:\n")
    assert _plan(database, _config(tmp_path, moved)).changes == [
        Change("change", "routing_rule", "auth-scope", (FieldChange("position", 1, 0),)),
        Change("change", "routing_rule", "drop-test", (FieldChange("position", 2, 1),)),
        Change("change", "routing_rule", "disk", (FieldChange("position", 0, 2),)),
    ]
    # Removing a rule deletes it for good.
    without = _config(tmp_path, TREE.replace(disk, ""))
    assert Change("delete", "routing_rule", "disk") in _plan(database, without).changes
    _apply(database, without, now=LATER)
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(RoutingRule.name).order_by(RoutingRule.position)).all() == [
            "auth-scope", "drop-test"]
        assert [r.position for r in session.scalars(select(RoutingRule).order_by(RoutingRule.position))] == [0, 1]


def test_config_windows_are_managed_and_adhoc_windows_are_left_alone(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work() as session:
        window = session.scalars(select(MaintenanceWindow)).one()
        assert (window.name, window.origin, window.starts_at, window.ends_at, window.reason) == (
            "auth-upgrade", "config", datetime(2027, 1, 10, 22, tzinfo=UTC), datetime(2027, 1, 11, 2, tzinfo=UTC),
            "PostgreSQL upgrade")
        # Opened by hand during an incident, even under the same name: not the tree's business.
        session.add(MaintenanceWindow(service_id=window.service_id, name="auth-upgrade", origin="adhoc",
                                      starts_at=NOW, ends_at=LATER, reason="by hand"))
        session.add(MaintenanceWindow(service_id=window.service_id, origin="adhoc", starts_at=NOW,
                                      ends_at=LATER))
    config = _config(tmp_path)
    assert _plan(database, config).changes == []
    moved = _config(tmp_path, TREE.replace('"2027-01-11T03:00:00+01:00"', "2027-01-11T04:00:00+01:00"))
    assert _plan(database, moved).changes == [Change(
        "change", "maintenance_window", "auth-upgrade",
        (FieldChange("ends_at", "2027-01-11T02:00:00Z", "2027-01-11T03:00:00Z"),))]
    window_block = TREE[TREE.index("maintenance_windows:"):TREE.index("severity_criteria:")]
    without = _config(tmp_path, TREE.replace(window_block, ""))
    assert _plan(database, without).changes == [Change("delete", "maintenance_window", "auth-upgrade")]
    _apply(database, without, now=LATER)
    with database.unit_of_work(write=False) as session:
        left = session.scalars(select(MaintenanceWindow).order_by(MaintenanceWindow.reason)).all()
        assert [(w.origin, w.name, w.reason) for w in left] == [("adhoc", None, ""),
                                                                ("adhoc", "auth-upgrade", "by hand")]


def test_config_version_moves_only_when_something_changed(database: Database, tmp_path: Path) -> None:
    config = _config(tmp_path)
    _plan(database, config)
    _apply(database, config)
    assert _config_version(database) == 1
    _apply(database, config, now=LATER)
    assert _config_version(database) == 1
    changed = _config(tmp_path, TREE.replace("paging_threshold: P3", "paging_threshold: P2"))
    [change] = _plan(database, changed).changes
    assert (change.kind, change.name, change.field_names) == ("service", "api", ["alerting"])
    assert change.fields[0].after["paging_threshold"] == "P2"
    _apply(database, changed, now=LATER)
    assert _config_version(database) == 2
    _apply(database, changed, now=LATER)
    assert _config_version(database) == 2


def test_export_round_trips_integrations_rules_and_windows(database: Database, tmp_path: Path) -> None:
    generated = _apply(database, _config(tmp_path)).generated_keys
    with database.unit_of_work(write=False) as session:
        text = export(session)
    # Config keys are written as their hash, env keys by variable, generated keys not at all.
    assert KEY not in text and PD_KEY not in text
    assert not any(key in text for key in generated.values())
    assert f"key_sha256: {hash_key(KEY)}" in text and f"key_sha256: {SHA}" in text
    assert "key_env: PRIA_API_PD_KEY" in text
    result = load(write(tmp_path, "exported/config.yaml", text))
    assert result.errors == [], "\n".join(map(str, result.errors))
    assert result.config is not None
    exported = result.config
    api = exported.services[0]
    assert [(i.name, i.key, i.key_env, i.key_sha256) for i in api.integrations] == [
        ("alertmanager", None, None, None), ("ci", None, None, SHA), ("grafana", None, None, hash_key(KEY)),
        ("pagerduty", None, "PRIA_API_PD_KEY", None)]
    assert [r.name for r in exported.routing_rules] == ["disk", "auth-scope", "drop-test"]
    assert [w.name for w in exported.maintenance_windows] == ["auth-upgrade"]
    assert _plan(database, exported).changes == []
    again = _apply(database, exported, now=LATER)
    assert (again.changes, again.generated_keys) == ([], {})
    assert _integrations(database)["api/alertmanager"].key_hash == hash_key(generated["api/alertmanager"])
