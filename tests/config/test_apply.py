"""Plan, apply and export against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from firebell.audit.models import AuditEntry
from firebell.config import Change, FieldChange, apply, export, load
from firebell.config.schema import Config
from firebell.incidents.models import IncidentSequence
from firebell.org.models import ContactMethod, Organisation, Service, User
from firebell.severity.models import SeverityCriterionRow, SeverityLevelRow
from firebell.store.uow import Database
from tests.config.helpers import BASE, apply_changes, plan_changes, valid, write

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _config(tmp_path: Path, text: str = BASE) -> Config:
    return valid(write(tmp_path, "config.yaml", text))


def _apply(database: Database, config: Config, now: datetime = NOW) -> list[Change]:
    return apply_changes(database, config, now)


def _plan(database: Database, config: Config) -> list[Change]:
    return plan_changes(database, config)


def test_plan_on_an_empty_database_creates_everything(database: Database, tmp_path: Path) -> None:
    changes = _plan(database, _config(tmp_path))
    assert {c.action for c in changes} == {"create"}
    created = {(c.kind, c.name) for c in changes}
    assert {("organisation", "PRIA"), ("team", "platform"), ("team", "security"), ("role", "cto"),
            ("user", "alice"), ("user", "bob"), ("escalation_policy", "ep-p1"), ("service", "api"),
            ("service", "auth"), ("severity_criterion", "full-outage")} <= created
    # Sections left out of the tree get their defaults.
    assert {name for kind, name in created if kind == "severity"} == {"P1", "P2", "P3", "P4"}
    assert {name for kind, name in created if kind == "incident_role"} == {
        "commander", "communications_lead", "technical_lead"}
    assert [name for kind, name in created if kind == "lifecycle_stage"] != []
    # Planning wrote nothing.
    assert _plan(database, _config(tmp_path)) == changes


def test_apply_then_plan_is_empty_and_a_second_apply_changes_nothing(
    database: Database, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    first = _apply(database, config)
    assert len(first) == 26  # 1 + 2 + 1 + 2 + 2 + 2 + 4 + 2 + 3 + 7
    assert _plan(database, config) == []
    assert _apply(database, config, LATER) == []
    with database.unit_of_work(write=False) as session:
        entries = session.scalars(select(AuditEntry)).all()
        # One audit entry for the apply that changed something, none for the no-op.
        assert [(e.action, e.actor, e.details["create"], e.details["change"], e.details["delete"])
                for e in entries] == [("config.apply", "config", 26, 0, 0)]
        assert "create user alice" in entries[0].details["changes"]


def test_applied_values_are_what_the_tree_says(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work(write=False) as session:
        alice = session.scalars(select(User).where(User.name == "alice")).one()
        assert (alice.email, alice.timezone, alice.access) == (
            "alice@example.com", "Europe/Stockholm", "admin")
        assert [m.team.name for m in alice.memberships] == ["platform"]
        assert [link.role.name for link in alice.role_links] == ["cto"]
        api = session.scalars(select(Service).where(Service.name == "api")).one()
        assert (api.team.name, api.escalation_policy) == ("platform", {"P1": "ep-p1", "P2": "ep-p2"})
        p1 = session.get(SeverityLevelRow, "P1")
        assert p1 is not None
        assert (p1.rank, p1.acknowledge_within_s, p1.recover_within_s, p1.postmortem_due_s) == (
            0, 300, 1800, 86400)
        org = session.get(Organisation, 1)
        assert org is not None and (org.name, org.timezone) == ("PRIA", "Europe/Stockholm")
        assert session.get(IncidentSequence, 1) is None  # no incident numbered yet: the first is INC-1


def test_changing_one_field_plans_exactly_that_change(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    changed = _config(tmp_path, BASE.replace("title: PRIA API", "title: Public API"))
    assert _plan(database, changed) == [
        Change("change", "service", "api", (FieldChange("title", "PRIA API", "Public API"),))
    ]
    _apply(database, changed, LATER)
    assert _plan(database, changed) == []


def test_membership_and_contact_changes_show_as_a_user_change(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work(write=False) as session:
        kept_id = session.scalars(select(ContactMethod.id)).one()
    changed = _config(tmp_path, BASE.replace(
        "    teams: [platform]\n", "    teams: [platform, security]\n", 1).replace(
        "label: work}", "label: office}\n      - {type: sms, address: '+46701740605'}"))
    [change] = _plan(database, changed)
    assert (change.action, change.kind, change.name) == ("change", "user", "alice")
    assert change.field_names == ["teams", "contact_methods"]
    _apply(database, changed, LATER)
    with database.unit_of_work(write=False) as session:
        alice = session.scalars(select(User).where(User.name == "alice")).one()
        assert sorted(m.team.name for m in alice.memberships) == ["platform", "security"]
        assert [(c.type, c.label, c.position) for c in alice.contact_methods] == [
            ("email", "office", 0), ("sms", "", 1)]
        # The kept method is updated in place, so anything pointing at it stays valid.
        assert alice.contact_methods[0].id == kept_id


def test_removing_a_user_archives_it_and_re_adding_restores_it(database: Database, tmp_path: Path) -> None:
    full = _config(tmp_path)
    _apply(database, full)
    without_bob = full.model_copy(update={"users": [u for u in full.users if u.name != "bob"]})
    assert _plan(database, without_bob) == [Change("delete", "user", "bob")]
    _apply(database, without_bob, LATER)
    with database.unit_of_work(write=False) as session:
        bob = session.scalars(select(User).where(User.name == "bob")).one()
        assert bob.archived_at == LATER  # kept for incidents and tokens that point at it
        assert "bob" not in export(session)
    assert _plan(database, without_bob) == []
    [restore] = _plan(database, full)
    assert (restore.action, restore.name, restore.field_names) == ("change", "bob", ["archived"])
    _apply(database, full)
    with database.unit_of_work(write=False) as session:
        bob = session.scalars(select(User).where(User.name == "bob")).one()
        assert bob.archived_at is None


def test_removing_a_criterion_deletes_it(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    without = _config(tmp_path, BASE.replace(
        "  - {name: error-rate-high, severity: P2, metric: error_rate, above: 10}\n", ""))
    assert _plan(database, without) == [Change("delete", "severity_criterion", "error-rate-high")]
    _apply(database, without, LATER)
    with database.unit_of_work(write=False) as session:
        assert session.scalars(select(SeverityCriterionRow.name)).all() == ["full-outage"]


def test_apply_keeps_the_incident_counter(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work() as session:
        session.add(IncidentSequence(id=1, last_number=41))
    renamed = _config(tmp_path, BASE.replace("name: PRIA,", "name: PRIA AB,"))
    assert _apply(database, renamed, LATER) == [
        Change("change", "organisation", "PRIA AB", (FieldChange("name", "PRIA", "PRIA AB"),))]
    with database.unit_of_work(write=False) as session:
        org, sequence = session.get(Organisation, 1), session.get(IncidentSequence, 1)
        assert org is not None and sequence is not None and (org.name, sequence.last_number) == ("PRIA AB", 41)


def test_a_failed_command_leaves_nothing_applied(database: Database, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        apply(session, _config(tmp_path), now=NOW)
        raise RuntimeError("the command fails after apply")
    with database.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.get(Organisation, 1) is None


def test_export_round_trips(database: Database, tmp_path: Path) -> None:
    _apply(database, _config(tmp_path))
    with database.unit_of_work(write=False) as session:
        text = export(session)
    exported = write(tmp_path, "exported/config.yaml", text)
    result = load(exported)
    assert result.errors == []
    assert result.config is not None
    assert _plan(database, result.config) == []
    assert [u.name for u in result.config.users] == ["alice", "bob"]
