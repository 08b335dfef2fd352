"""`customers:` in the config tree: errors at their line, applied, planned as a no-op the second time,
exported so that the export applies as a no-op."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from firebell.messages.customer_models import CustomerEmailPolicy, CustomerRecipient
from firebell.store.uow import Database
from tests.config.helpers import applied_and_exported, apply_text, error_at_line, valid, write

TREE = """\
organisation: {name: PRIA}
teams: [{name: platform}]
services:
  - {name: api, team: platform}
  - {name: auth, team: platform}
customers:
  severities:
    - severity: P1
    - {severity: P2, approval: single_person}
  recipients:
    - {service: api, name: Acme Corp, email: ops@acme.example}
    - {service: api, name: Globex, email: it@globex.example}
    - {service: auth, name: Acme Corp, email: ops@acme.example}
"""
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("old", "new", "line", "fragment"), [
    ("{service: api, name: Globex", "{service: apii, name: Globex", 12, "unknown service 'apii'"),
    ("it@globex.example", "ops@acme.example", 12, "ops@acme.example is already a customer of api, at line 11"),
    ("it@globex.example", "not an address", 12, "not a valid email address"),
    ("    - severity: P1", "    - severity: P9", 8, "unknown severity 'P9'"),
    ("{severity: P2, approval", "{severity: P1, approval", 9, "severity P1 is listed twice; the first is at line 8"),
    ("approval: single_person", "approval: anyone", 9, "second_person"),
    ("name: Globex, ", "", 12, "name"),
])
def test_a_bad_entry_is_reported_at_its_line(tmp_path: Path, old: str, new: str, line: int, fragment: str) -> None:
    error_at_line(tmp_path, TREE, old, new, line, fragment)


def test_customers_are_applied_planned_and_exported(database: Database, tmp_path: Path) -> None:
    config = valid(write(tmp_path, "config.yaml", TREE))

    def written(session: Session) -> None:
        assert sorted((r.service, r.customer, r.email) for r in session.query(CustomerRecipient)) == [
            ("api", "Acme Corp", "ops@acme.example"), ("api", "Globex", "it@globex.example"),
            ("auth", "Acme Corp", "ops@acme.example")]
        assert sorted((p.severity, p.approval) for p in session.query(CustomerEmailPolicy)) == [
            ("P1", "second_person"), ("P2", "single_person")]
    again = applied_and_exported(database, tmp_path, config, NOW, written)
    assert again.customers.model_dump() == {
        "severities": [{"severity": "P1", "approval": "second_person"},
                       {"severity": "P2", "approval": "single_person"}],
        "recipients": sorted(config.customers.model_dump()["recipients"], key=lambda r: (r["service"], r["email"]))}
    apply_text(database, tmp_path, TREE.split("    - {service: api, name: Globex")[0]
               .replace("    - {severity: P2, approval: single_person}\n", ""), NOW)
    with database.unit_of_work(write=False) as session:
        assert [r.name for r in session.query(CustomerRecipient)] == ["api/ops@acme.example"]
        assert [p.severity for p in session.query(CustomerEmailPolicy)] == ["P1"]
