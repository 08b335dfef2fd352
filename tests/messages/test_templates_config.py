"""`templates:` in the config tree: errors at the line inside the template, applied, planned, exported."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from firebell.messages.models import MessageTemplate
from firebell.store.uow import Database
from tests.config.helpers import applied_and_exported, apply_text, error_at_line, valid, write

TREE = """\
organisation:
  name: PRIA
  support_contact: support@pria.example
teams: [{name: platform}]
services:
  - {name: api, team: platform}
templates:
  - purpose: update
    channel: slack
    text: |
      :warning: {{ incident.ref }} is {{ update.status }}
      We know: {{ update.known }}
  - purpose: status_investigating
    channel: status_page
    service: api
    title: "Investigating {{ incident.impact }}"
"""
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("old", "new", "line", "fragment"), [
    ("We know: {{ update.known }}", "We know: {{ update.knwon }}", 12, "unknown variable 'update.knwon'"),
    ("We know: {{ update.known }}", "We know: {% if %}", 12, "template syntax error"),
    (":warning: {{ incident.ref }}", ":warning: {{ incident.ref }} {{ page.reason }}", 11, "unknown variable 'page'"),
    ("    channel: slack", "    channel: sms", 9, "not rendered for channel 'sms'"),
    ("    service: api", "    service: apii", 15, "unknown service 'apii'"),
    ('title: "Investigating', 'subject: "Investigating', 16, "has no part 'subject'"),
    ("  - purpose: update", "  - purpose: updates", 8, "unknown purpose 'updates'"),
])
def test_a_bad_template_is_reported_at_its_line(tmp_path: Path, old: str, new: str, line: int, fragment: str) -> None:
    error_at_line(tmp_path, TREE, old, new, line, fragment)


def test_templates_are_applied_planned_and_exported(database: Database, tmp_path: Path) -> None:
    config = valid(write(tmp_path, "config.yaml", TREE))

    def written(session: Session) -> None:
        rows = {row.name: (row.service, row.parts) for row in session.query(MessageTemplate)}
        assert rows == {
            "update/slack": ("", {"text": ":warning: {{ incident.ref }} is {{ update.status }}\n"
                                          "We know: {{ update.known }}\n"}),
            "status_investigating/status_page/api": ("api", {"title": "Investigating {{ incident.impact }}"})}
    again = applied_and_exported(database, tmp_path, config, NOW, written)
    by_name = lambda t: t.name()  # noqa: E731
    assert sorted(again.templates, key=by_name) == sorted(config.templates, key=by_name)
    assert again.organisation.support_contact == "support@pria.example"
    apply_text(database, tmp_path, TREE.split("  - purpose: status_investigating")[0], NOW)
    with database.unit_of_work(write=False) as session:
        assert [row.name for row in session.query(MessageTemplate)] == ["update/slack"]
