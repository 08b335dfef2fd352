"""The sign_in section: single sign-on's provider, validated with positions, applied idempotently,
exported, and checked against the environment that holds the client id and secret."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from firebell.auth.oidc_models import OidcProvider
from firebell.cli.main import app
from firebell.config import export, load
from firebell.store.uow import Database
from tests.config.helpers import BASE, apply_changes, single_error, valid, write

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SIGN_IN = BASE + """\
sign_in:
  oidc:
    title: Okta
    discovery_url: https://pria.okta.com/.well-known/openid-configuration
    client_id_env: FIREBELL_TEST_OIDC_ID
    client_secret_env: FIREBELL_TEST_OIDC_SECRET
"""
ENV = {"FIREBELL_TEST_OIDC_ID": "0oa1b2c3", "FIREBELL_TEST_OIDC_SECRET": "s3cr3t"}
runner = CliRunner()


def test_applies_once_exports_and_goes_when_removed(database: Database, tmp_path: Path) -> None:
    config = valid(write(tmp_path, "config.yaml", SIGN_IN))
    assert "create sign_in oidc" in [str(c) for c in apply_changes(database, config, NOW)]
    assert apply_changes(database, config, NOW) == []
    with database.unit_of_work(write=False) as session:
        row = session.get(OidcProvider, "oidc")
        assert row is not None and (row.title, row.client_secret_env, row.create_users, row.default_access) == (
            "Okta", "FIREBELL_TEST_OIDC_SECRET", False, "viewer")
        text = export(session)
    assert "s3cr3t" not in text and "client_secret_env: FIREBELL_TEST_OIDC_SECRET" in text
    assert apply_changes(database, valid(write(tmp_path, "exported.yaml", text)), NOW) == []

    changed = SIGN_IN + "    create_users: true\n    default_access: responder\n"
    [change] = apply_changes(database, valid(write(tmp_path, "config.yaml", changed)), NOW)
    assert str(change) == "change sign_in oidc (create_users, default_access)"
    [change] = apply_changes(database, valid(write(tmp_path, "config.yaml", BASE)), NOW)
    assert str(change) == "delete sign_in oidc"
    with database.unit_of_work(write=False) as session:
        assert session.get(OidcProvider, "oidc") is None


def test_an_unset_client_secret_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "config.yaml", SIGN_IN)
    result = load(path, {"FIREBELL_TEST_OIDC_ID": "0oa1b2c3"})
    assert [str(e) for e in result.errors] == [
        f"{path}:33:24: environment variable FIREBELL_TEST_OIDC_SECRET is not set; single sign-on reads its "
        "client secret from it (client_secret_env)"]
    assert load(path, ENV).errors == []


def test_validate_on_the_command_line_names_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "config.yaml", SIGN_IN)
    monkeypatch.setenv("FIREBELL_TEST_OIDC_ID", "")
    monkeypatch.setenv("FIREBELL_TEST_OIDC_SECRET", "s3cr3t")
    result = runner.invoke(app, ["config", "validate", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:32:20: environment variable FIREBELL_TEST_OIDC_ID is empty; single sign-on reads its client id "
        "from it (client_id_env)"]


@pytest.mark.parametrize(("line", "replacement", "column", "fragment"), [
    ("    discovery_url: https://pria.okta.com/.well-known/openid-configuration\n",
     "    discovery_url: http://pria.okta.com/.well-known/openid-configuration\n", 20, "plain HTTP"),
    ("    discovery_url: https://pria.okta.com/.well-known/openid-configuration\n",
     "    discovery_url: pria.okta.com\n", 20, "is not a URL"),
    ("    client_id_env: FIREBELL_TEST_OIDC_ID\n", "    client_id_env: 0oa1b2c3-the-id\n", 20,
     "environment variable name"),
    ("    title: Okta\n", "    title: Okta\n    default_access: owner\n", 21,
     "expected one of admin, responder, viewer"),
])
def test_mistakes_are_reported_at_their_value(tmp_path: Path, line: str, replacement: str, column: int,
                                              fragment: str) -> None:
    path = write(tmp_path, "config.yaml", SIGN_IN.replace(line, replacement))
    text = path.read_text()
    row = text[: text.index(replacement)].count("\n") + 1 + replacement.count("\n") - 1
    single_error(path, row, column, [fragment])


def test_a_local_provider_may_be_plain_http(tmp_path: Path) -> None:
    text = SIGN_IN.replace("https://pria.okta.com", "http://127.0.0.1:9400")
    assert valid(write(tmp_path, "config.yaml", text)).sign_in.oidc is not None
