"""The PRIA example reproduces the two runbooks, validates cleanly and applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firebell.config import apply, export, load, plan
from firebell.config.schema import Config
from firebell.core.severity import Criterion, SeverityLevel, assess
from firebell.store.uow import Database
from tests.config.helpers import valid, write

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pria"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pria() -> Config:
    return valid(EXAMPLE)


def test_example_validates_with_zero_errors() -> None:
    result = load(EXAMPLE)
    assert result.errors == []
    assert [f.name for f in result.files] == [
        "incident.yaml", "organisation.yaml", "people.yaml", "services.yaml", "severity.yaml"]


def test_example_has_one_admin_named_admin(pria: Config) -> None:
    assert [(u.name, u.access) for u in pria.users if u.access == "admin"] == [("admin", "admin")]
    assert all(any(c.type == "email" for c in u.contact_methods) for u in pria.users)


def test_example_people_hold_the_runbook_roles(pria: Config) -> None:
    holders = {role: sorted(u.name for u in pria.users if role in u.roles) for role in
               {r.name for r in pria.roles}}
    assert holders["on-call-engineer"][:3] == ["engineer-a", "engineer-b", "engineer-c"]
    assert holders["ceo"] == ["per-swedenborg"]
    assert all(holders.values()), f"roles nobody holds: {[r for r, h in holders.items() if not h]}"


def test_example_services_have_status_components_and_policies(pria: Config) -> None:
    assert [s.name for s in pria.services] == [
        "api", "database", "auth", "workflow-engine", "ai-inference", "billing", "dashboard",
        "training-api"]
    assert all(s.status_page_component and s.escalation_policy for s in pria.services)


def test_example_severity_targets_are_ops1s(pria: Config) -> None:
    targets = [(s.key, s.acknowledge_within, s.recover_within, s.update_every, s.postmortem_due)
               for s in pria.severities]
    minutes = timedelta(minutes=1)
    assert targets == [
        ("P1", 5 * minutes, 30 * minutes, 15 * minutes, 24 * 60 * minutes),
        ("P2", 10 * minutes, 120 * minutes, 30 * minutes, 24 * 60 * minutes),
        ("P3", 60 * minutes, 24 * 60 * minutes, None, None),
        ("P4", None, None, None, None),
    ]


@pytest.mark.parametrize(("flags", "metrics", "expected"), [
    (["pii_exposure"], {}, "P1"),
    (["all_customers"], {"error_rate": 2}, "P1"),
    ([], {"error_rate": 12}, "P2"),
    ([], {"error_rate": 10}, "P3"),
    ([], {"latency_multiple": 3}, "P3"),
    ([], {"users_affected": 30}, "P2"),
    ([], {"users_affected": 10}, "P3"),
    (["cosmetic"], {}, "P4"),
])
def test_example_criteria_suggest_tensafes_severity(
    pria: Config, flags: list[str], metrics: dict[str, float], expected: str
) -> None:
    levels = [SeverityLevel(key=s.key, rank=rank) for rank, s in enumerate(pria.severities)]
    criteria = [Criterion(**c.model_dump()) for c in pria.severity_criteria]
    assert assess(levels, criteria, flags, metrics).level.key == expected


def test_example_incident_roles_and_stages(pria: Config) -> None:
    assert [r.name for r in pria.incident_roles] == [
        "commander", "communications_lead", "technical_lead", "executive_sponsor"]
    assert [s.title for s in pria.lifecycle_stages] == [
        "Detect", "Acknowledge", "Contain", "Communicate", "Eradicate", "Recover", "Review"]


def test_example_applies_idempotently_and_exports_round_trip(
    database: Database, pria: Config, tmp_path: Path
) -> None:
    with database.unit_of_work() as session:
        assert apply(session, pria, now=NOW).counts()["create"] > 0
    with database.unit_of_work() as session:
        assert apply(session, pria, now=NOW).empty
        text = export(session)
    exported = valid(write(tmp_path, "pria.yaml", text))
    with database.unit_of_work(write=False) as session:
        assert plan(session, exported).empty
