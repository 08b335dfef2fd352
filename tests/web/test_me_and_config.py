"""A person's own edits and the config tree (docs/config-reaching-people.md, "Who keeps a person's
settings"): `config apply` keeps what a person set for themselves while the tree does not manage it,
and when a tree takes their settings over, its plan says so, line by line, before anything is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from firebell.cli.config_cmd import app as config_cli
from firebell.config import load
from firebell.config.export import export
from firebell.config.plan import plan
from firebell.org.models import User
from tests.api.conftest import ORG
from tests.web.conftest import Web

runner = CliRunner()


def _tree(tmp_path: Path, edit: dict[str, dict[str, Any]]) -> Path:
    """The test organisation with some users' entries updated."""
    tree = yaml.safe_load(ORG.read_text())
    for entry in tree["users"]:
        entry.update(edit.get(entry["name"], {}))
    path = tmp_path / "org.yaml"
    path.write_text(yaml.safe_dump(tree, sort_keys=False))
    return path


def _settings(web: Web, name: str) -> tuple[str, list[tuple[str, str]], list[tuple[str, int]], str]:
    with web.db.unit_of_work(write=False) as session:
        user = session.execute(select(User).where(User.name == name)).scalar_one()
        return (user.notification_settings, [(m.type, m.address) for m in user.contact_methods],
                [(r.urgency, r.delay_minutes) for r in user.notification_rules], user.quiet_start)


def _bob_sets_his_own(web: Web) -> None:
    bob = web.signed_in("bob")
    assert bob.post("/me/contact-methods", {"type": "sms", "address": "+46701234567"}).status_code == 303
    assert bob.post("/me/rules/add", {"urgency": "high", "method": "sms", "after_minutes": "2"}).status_code == 303
    assert bob.post("/me/quiet-hours", {"start": "23:00", "end": "06:00"}).status_code == 303


def test_apply_keeps_the_edits_of_a_person_whose_settings_the_tree_does_not_list(
        web: Web, database_url: str, tmp_path: Path) -> None:
    _bob_sets_his_own(web)
    mine = _settings(web, "bob")
    assert mine == ("personal", [("sms", "+46701234567")], [("high", 2)], "23:00")

    # The same tree, and a tree that changes bob's name and lists alice's methods differently.
    same = runner.invoke(config_cli, ["apply", str(ORG), "--database-url", database_url])
    assert same.exit_code == 0 and "No changes" in same.stdout, same.stdout
    renamed = _tree(tmp_path, {"bob": {"full_name": "Robert Berg"}})
    applied = runner.invoke(config_cli, ["apply", str(renamed), "--database-url", database_url])
    assert applied.exit_code == 0 and "~ user bob" in applied.stdout, applied.stdout
    assert "contact_methods" not in applied.stdout and "notification_rules" not in applied.stdout
    assert _settings(web, "bob") == mine


def test_a_tree_that_takes_a_persons_settings_over_says_so_in_its_plan(
        web: Web, database_url: str, tmp_path: Path) -> None:
    _bob_sets_his_own(web)
    managed = _tree(tmp_path, {"bob": {"contact_methods": [{"type": "email", "address": "bob@example.com"}]}})
    planned = runner.invoke(config_cli, ["plan", str(managed), "--database-url", database_url])
    assert planned.exit_code == 0, planned.stdout
    lines = planned.stdout
    assert "notification_settings: 'personal' -> 'managed'" in lines
    assert "contact_methods: [sms:+46701234567] -> [email:bob@example.com]" in lines
    assert "notification_rules:" in lines and "quiet_hours:" in lines
    assert "the tree takes over this person's contact methods" in lines
    assert _settings(web, "bob")[1] == [("sms", "+46701234567")]  # planning wrote nothing

    applied = runner.invoke(config_cli, ["apply", str(managed), "--database-url", database_url])
    assert "the tree takes over" in applied.stdout, applied.stdout
    assert _settings(web, "bob") == ("managed", [("email", "bob@example.com")], [], "22:00")
    refused = web.signed_in("bob").post("/me/quiet-hours", {"start": "23:00", "end": "06:00"})
    assert refused.status_code == 409


def test_a_tree_hands_a_persons_settings_over_to_them_keeping_what_it_had_set(
        web: Web, database_url: str, tmp_path: Path) -> None:
    before = _settings(web, "alice")
    assert before[0] == "managed" and before[1] == [("email", "alice@example.com")]
    personal = _tree(tmp_path, {"alice": {"notification_settings": "personal"}})
    applied = runner.invoke(config_cli, ["apply", str(personal), "--database-url", database_url])
    assert "notification_settings: 'managed' -> 'personal'" in applied.stdout, applied.stdout
    assert "keeps their contact methods" in applied.stdout
    assert _settings(web, "alice") == ("personal", *before[1:])
    alice = web.signed_in("alice")
    assert alice.post("/me/contact-methods", {"type": "sms", "address": "+46709999999"}).status_code == 303
    # The tree still lists alice's email only: as a starting point, not the truth.
    again = runner.invoke(config_cli, ["apply", str(personal), "--database-url", database_url])
    assert "No changes" in again.stdout, again.stdout
    assert _settings(web, "alice")[1] == [("email", "alice@example.com"), ("sms", "+46709999999")]


def test_export_leaves_a_persons_own_settings_out_and_applies_as_no_change(web: Web, tmp_path: Path) -> None:
    _bob_sets_his_own(web)
    with web.db.unit_of_work(write=False) as session:
        text = export(session)
    users = {u["name"]: u for u in yaml.safe_load(text)["users"]}
    assert "contact_methods" not in users["bob"] and "notification_settings" not in users["bob"]
    assert users["alice"]["contact_methods"] and "notification_settings" not in users["alice"]
    exported = tmp_path / "export.yaml"
    exported.write_text(text)
    loaded = load(exported)
    assert loaded.config is not None, loaded.errors
    with web.db.unit_of_work(write=False) as session:
        assert plan(session, loaded.config).empty
