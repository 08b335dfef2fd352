"""`links:` on the organisation and on a service: validated at its line, applied, planned and exported."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from firebell.config import apply, export, load, plan
from firebell.org.models import Organisation, Service
from firebell.store.uow import Database
from tests.config.helpers import valid, write

TREE = """\
organisation:
  name: PRIA
  links:
    trace: "https://tempo.example/trace/{traceID}"
    logs: "https://logs.example/?q={traceID}"
teams: [{name: platform}]
services:
  - name: api
    team: platform
    links:
      logs: "https://loki.example/api?trace={traceID}"
  - {name: web, team: platform}
"""
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("old", "new", "line", "column", "fragment"), [
    ('trace: "https://tempo.example/trace/{traceID}"', 'trace: "tempo.example/trace/{traceID}"', 4, 12,
     "must start with https://"),
    ('logs: "https://logs.example/?q={traceID}"', 'logs: "https://logs.example/?q={trace ID}"', 5, 11,
     "has a space"),
    ('logs: "https://loki.example/api?trace={traceID}"', 'logs: "https://loki.example/api"', 11, 13,
     "names no label"),
    ('    trace: "https', '    Trace Link: "https', 4, 17, "is not a link name"),
])
def test_a_bad_link_template_is_reported_at_its_line(tmp_path: Path, old: str, new: str, line: int, column: int,
                                                     fragment: str) -> None:
    assert old in TREE
    result = load(write(tmp_path, "config.yaml", TREE.replace(old, new)))
    assert result.config is None
    assert [(e.line, e.column) for e in result.errors] == [(line, column)], "\n".join(map(str, result.errors))
    assert fragment in result.errors[0].message


def test_links_are_applied_planned_and_exported(database: Database, tmp_path: Path) -> None:
    config = valid(write(tmp_path, "config.yaml", TREE))
    with database.unit_of_work() as session:
        apply(session, config, now=NOW, actor="test")
    with database.unit_of_work(write=False) as session:
        org = session.get(Organisation, 1)
        assert org is not None and org.links == {"trace": "https://tempo.example/trace/{traceID}",
                                                 "logs": "https://logs.example/?q={traceID}"}
        services = {s.name: s.links for s in session.query(Service)}
        assert services == {"api": {"logs": "https://loki.example/api?trace={traceID}"}, "web": {}}
        text = export(session)
    exported = valid(write(tmp_path, "exported/config.yaml", text))
    assert exported.organisation.links == config.organisation.links
    with database.unit_of_work() as session:
        assert plan(session, exported).changes == []
        changed = valid(write(tmp_path, "changed.yaml", TREE.replace("tempo.example", "jaeger.example")))
        [change] = plan(session, changed).changes
        assert (change.kind, change.field_names) == ("organisation", ["links"])
