"""`firebell config ...` as a user runs it: output lines and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from firebell.cli.config_cmd import app
from tests.config.helpers import BASE, write

runner = CliRunner()


def test_validate_ok_prints_a_summary_and_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", BASE)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"OK: {path} is valid (2 teams, 1 role, 2 users, 0 schedules, 2 escalation policies, 0 outbound webhooks, "
        "2 services, 4 severities, 2 criteria, 3 incident roles, 7 stages, 0 integrations, 0 routing rules, "
        "0 maintenance windows, 0 Slack channels, 0 notification rules; 1 file)"
    ]


def test_validate_prints_every_error_as_file_line_column_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", BASE.replace("access: admin", "access: owner").replace(
        "team: security,", "team: secops,"))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:11:13: invalid access 'owner'; expected one of admin, responder, viewer",
        f"{path}:24:24: unknown team 'secops' (defined teams: platform, security)",
    ]
    assert result.stderr.strip() == f"2 errors in {path}"


def test_validate_a_missing_path_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [f"{tmp_path / 'missing'}:1:1: no such file or folder"]


def test_plan_apply_and_apply_again(tmp_path: Path, database_url: str) -> None:
    path = write(tmp_path, "config.yaml", BASE)
    planned = runner.invoke(app, ["plan", str(path), "--database-url", database_url])
    assert planned.exit_code == 0, planned.output
    assert "+ team platform" in planned.stdout.splitlines()
    assert planned.stdout.splitlines()[-1] == "Plan: 26 to create, 0 to change, 0 to delete."

    applied = runner.invoke(app, ["apply", str(path), "--database-url", database_url])
    assert applied.exit_code == 0, applied.output
    assert "+ user alice" in applied.stdout.splitlines()
    assert applied.stdout.splitlines()[-1] == "Applied: 26 created, 0 changed, 0 deleted."

    again = runner.invoke(app, ["apply", str(path), "--database-url", database_url])
    assert again.exit_code == 0
    assert again.stdout.strip() == f"No changes: the database already matches {path}."


def test_plan_shows_changed_fields_and_archives(tmp_path: Path, database_url: str) -> None:
    path = write(tmp_path, "config.yaml", BASE)
    assert runner.invoke(app, ["apply", str(path), "--database-url", database_url]).exit_code == 0
    write(tmp_path, "config.yaml", BASE.replace("title: PRIA API", "title: Public API").replace(
        "  - name: bob\n    email: bob@example.com\n    teams: [platform, security]\n", ""))
    result = runner.invoke(app, ["plan", str(path), "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "- user bob (archived)",
        "~ service api",
        "    title: 'PRIA API' -> 'Public API'",
        "",
        "Plan: 0 to create, 1 to change, 1 to delete.",
    ]


def test_plan_of_an_invalid_tree_exits_1_without_touching_the_database(
    tmp_path: Path, database_url: str
) -> None:
    path = write(tmp_path, "config.yaml", "organisation: {name: PRIA}\nteams: [{name: Platform}]\n")
    result = runner.invoke(app, ["apply", str(path), "--database-url", database_url])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith(f"{path}:2:16: 'Platform' is not a valid name")
    exported = runner.invoke(app, ["export", "--database-url", database_url])
    assert exported.exit_code == 1
    assert "no organisation yet" in exported.stderr


def test_commands_refuse_a_database_whose_schema_is_not_current(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", BASE)
    (tmp_path / "old.db").touch()
    url = f"sqlite:///{tmp_path / 'old.db'}"
    for command in (["plan", str(path)], ["apply", str(path)], ["export"]):
        result = runner.invoke(app, [*command, "--database-url", url])
        assert result.exit_code == 1
        assert result.stderr.strip() == "error: database schema is not current; run `firebell db upgrade`"


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", BASE)
    url = f"sqlite:///{tmp_path / 'nope.db'}"
    result = runner.invoke(app, ["plan", str(path), "--database-url", url])
    assert result.exit_code == 1
    assert "does not exist; run `firebell db upgrade`" in result.stderr
    assert not (tmp_path / "nope.db").exists()


def test_export_to_a_file_validates(tmp_path: Path, database_url: str) -> None:
    path = write(tmp_path, "config.yaml", BASE)
    assert runner.invoke(app, ["apply", str(path), "--database-url", database_url]).exit_code == 0
    out = tmp_path / "exported.yaml"
    result = runner.invoke(app, ["export", "--output", str(out), "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    again = runner.invoke(app, ["plan", str(out), "--database-url", database_url])
    assert again.stdout.startswith("No changes")


ALERTING = BASE.replace(
    "  - {name: auth, team: security, escalation_policy: ep-p1, status_page_component: Auth}\n",
    "  - name: auth\n"
    "    team: security\n"
    "    integrations:\n"
    "      - {name: alertmanager, type: alertmanager}\n"
    "      - {name: pagerduty, type: pagerduty, key_env: PRIA_AUTH_PD_KEY}\n"
    "      - {name: grafana, type: grafana, hmac_secret: first-secret}\n")


def test_apply_shows_each_generated_key_once(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIA_AUTH_PD_KEY", "pd-key-0123456789abcdef")
    path = write(tmp_path, "config.yaml", ALERTING)
    applied = runner.invoke(app, ["apply", str(path), "--database-url", database_url])
    assert applied.exit_code == 0, applied.output
    lines = applied.stdout.splitlines()
    assert "+ integration auth/alertmanager" in lines
    shown = [line for line in lines if line.startswith("key for ")]
    assert [line.split(": ")[0] for line in shown] == [
        "key for auth/alertmanager (shown once)", "key for auth/grafana (shown once)"]
    assert all(len(line.split(": ")[1]) == 32 for line in shown)
    again = runner.invoke(app, ["apply", str(path), "--database-url", database_url])
    assert again.stdout.strip() == f"No changes: the database already matches {path}."

    # A secret changes: the plan says so without printing it; a key shows only as a short hash.
    write(tmp_path, "config.yaml", ALERTING.replace("first-secret", "second-secret"))
    monkeypatch.setenv("PRIA_AUTH_PD_KEY", "pd-key-rotated-0123456789")
    planned = runner.invoke(app, ["plan", str(path), "--database-url", database_url])
    assert planned.exit_code == 0, planned.output
    assert "secret" not in planned.stdout.replace("hmac_secret: (changed; not shown)", "")
    assert "    hmac_secret: (changed; not shown)" in planned.stdout.splitlines()
    [key_line] = [line for line in planned.stdout.splitlines() if "key_sha256" in line]
    assert key_line.startswith("    key_sha256: sha256:") and key_line.endswith("...")
    assert len(key_line) < 80


def test_apply_without_a_key_env_variable_exits_1_and_plan_warns(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRIA_AUTH_PD_KEY", raising=False)
    path = write(tmp_path, "config.yaml", ALERTING)
    planned = runner.invoke(app, ["plan", str(path), "--database-url", database_url])
    assert planned.exit_code == 0, planned.output
    assert planned.stderr.startswith("warning: environment variable PRIA_AUTH_PD_KEY is not set;")
    applied = runner.invoke(app, ["apply", str(path), "--database-url", database_url])
    assert applied.exit_code == 1
    assert applied.stdout.splitlines() == [
        f"{path}:28:53: environment variable PRIA_AUTH_PD_KEY is not set; integration auth/pagerduty reads its key "
        "from it (key_env)"]
    assert applied.stderr.strip() == f"1 error in {path}"
    exported = runner.invoke(app, ["export", "--database-url", database_url])
    assert exported.exit_code == 1 and "no organisation yet" in exported.stderr


def test_plan_shows_a_verification_vouched_for_and_keeps_one_not_mentioned(tmp_path: Path, database_url: str) -> None:
    path = write(tmp_path, "config.yaml", BASE)
    assert runner.invoke(app, ["apply", str(path), "--database-url", database_url]).exit_code == 0
    vouched = BASE.replace("{type: email, address: alice@example.com, label: work}",
                           "{type: email, address: alice@example.com, label: work, verified: true}")
    write(tmp_path, "config.yaml", vouched)
    result = runner.invoke(app, ["plan", str(path), "--database-url", database_url])
    assert "    contact_methods: [email:alice@example.com (work)] -> [email:alice@example.com (work) verified]" in (
        result.stdout.splitlines()), result.stdout
    assert runner.invoke(app, ["apply", str(path), "--database-url", database_url]).exit_code == 0
    # The tree stops vouching and renames the label: the method stays verified, and the plan says so.
    write(tmp_path, "config.yaml", BASE.replace("label: work}", "label: office}"))
    result = runner.invoke(app, ["plan", str(path), "--database-url", database_url])
    assert ("    contact_methods: [email:alice@example.com (work) verified] -> "
            "[email:alice@example.com (office) verified]") in result.stdout.splitlines(), result.stdout


def _grafana_settings(database_url: str) -> dict[str, object]:
    from sqlalchemy import select

    from firebell.alerts.models import Integration
    from firebell.store.db import make_engine
    from firebell.store.uow import Database

    db = Database(make_engine(database_url))
    try:
        with db.unit_of_work(write=False) as session:
            row = session.execute(select(Integration).where(Integration.name == "grafana")).scalar_one()
            return dict(row.settings or {})
    finally:
        db.dispose()


def test_export_never_prints_a_grafana_hmac_secret_and_applying_the_export_keeps_it(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIA_AUTH_PD_KEY", "pd-key-0123456789abcdef")
    path = write(tmp_path, "config.yaml", ALERTING)
    assert runner.invoke(app, ["apply", str(path), "--database-url", database_url]).exit_code == 0
    exported = runner.invoke(app, ["export", "--database-url", database_url])
    assert exported.exit_code == 0, exported.output
    assert "first-secret" not in exported.stdout
    assert "keep_hmac_secret: true" in exported.stdout
    out = write(tmp_path, "exported.yaml", exported.stdout)
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0
    assert runner.invoke(app, ["plan", str(out), "--database-url", database_url]).stdout.startswith("No changes")
    assert runner.invoke(app, ["apply", str(out), "--database-url", database_url]).exit_code == 0
    assert _grafana_settings(database_url)["hmac_secret"] == "first-secret", "applying the export lost the secret"


def test_keeping_a_secret_the_database_does_not_hold_is_refused(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRIA_AUTH_PD_KEY", "pd-key-0123456789abcdef")
    path = write(tmp_path, "config.yaml", ALERTING.replace("hmac_secret: first-secret", "keep_hmac_secret: true"))
    planned = runner.invoke(app, ["plan", str(path), "--database-url", database_url])
    assert planned.exit_code == 0, planned.output
    problem = ("integration auth/grafana says keep_hmac_secret, but the database holds no HMAC secret for it; "
               "give hmac_secret or hmac_secret_env")
    assert planned.stderr.startswith(f"warning: {problem}")
    applied = runner.invoke(app, ["apply", str(path), "--database-url", database_url])
    assert applied.exit_code == 1
    assert applied.stderr.splitlines() == [f"error: {problem}", "Nothing was applied."]
