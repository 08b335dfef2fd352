"""Small helpers for configuration tests: write YAML to disk and load it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from firebell.config import ConfigError, apply, export, load, plan
from firebell.config.plan import Change
from firebell.config.schema import Config
from firebell.store.uow import Database

# A valid, small organisation. Line numbers matter to some tests; keep its layout.
BASE = """\
organisation: {name: PRIA, timezone: Europe/Stockholm}
teams:
  - {name: platform, description: Platform team}
  - {name: security}
roles:
  - {name: cto, title: CTO}
users:
  - name: alice
    full_name: Alice Andersson
    email: alice@example.com
    access: admin
    roles: [cto]
    teams: [platform]
    contact_methods:
      - {type: email, address: alice@example.com, label: work}
  - name: bob
    email: bob@example.com
    teams: [platform, security]
escalation_policies:
  - {name: ep-p1, levels: [{targets: [{user: alice}], delay: 5m}, {targets: [{role: cto}]}]}
  - {name: ep-p2, levels: [{targets: [{team: platform}]}]}
services:
  - {name: api, title: PRIA API, team: platform, escalation_policy: {P1: ep-p1, P2: ep-p2}}
  - {name: auth, team: security, escalation_policy: ep-p1, status_page_component: Auth}
severity_criteria:
  - {name: full-outage, severity: P1, flag: full_outage}
  - {name: error-rate-high, severity: P2, metric: error_rate, above: 10}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_in(path: Path) -> list[ConfigError]:
    return load(path).errors


def valid(path: Path) -> Config:
    result = load(path)
    assert result.errors == [], "\n".join(map(str, result.errors))
    assert result.config is not None
    return result.config


def single_error(path: Path, line: int, column: int, fragments: list[str]) -> ConfigError:
    """Loading `path` fails with exactly one error, at (line, column), whose message has every fragment."""
    result = load(path)
    assert result.config is None
    assert [(e.file, e.line, e.column) for e in result.errors] == [(str(path), line, column)], \
        "\n".join(map(str, result.errors))
    error = result.errors[0]
    for fragment in fragments:
        assert fragment in error.message, error.message
    return error


def apply_changes(database: Database, config: Config, now: datetime) -> list[Change]:
    with database.unit_of_work() as session:
        return apply(session, config, now=now).changes


def plan_changes(database: Database, config: Config) -> list[Change]:
    with database.unit_of_work(write=False) as session:
        return plan(session, config).changes


def error_at_line(directory: Path, tree: str, old: str, new: str, line: int, fragment: str) -> None:
    """`tree` with `old` replaced by `new` fails to load with one error, at `line`, saying `fragment`."""
    assert old in tree
    result = load(write(directory, "config.yaml", tree.replace(old, new)))
    assert result.config is None
    assert [e.line for e in result.errors] == [line], "\n".join(map(str, result.errors))
    assert fragment in result.errors[0].message


def applied_and_exported(database: Database, directory: Path, config: Config, now: datetime,
                         check: Callable[[Session], None]) -> Config:
    """Apply `config`, `check` what it wrote, plan it again (nothing to do), export it and load the
    export, which plans as nothing too; the export's config."""
    with database.unit_of_work() as session:
        apply(session, config, now=now, actor="test")
    with database.unit_of_work(write=False) as session:
        check(session)
        assert plan(session, config).empty
        text = export(session)
    again = valid(write(directory / "again", "config.yaml", text))
    with database.unit_of_work(write=False) as session:
        assert plan(session, again).empty
    return again


def apply_text(database: Database, directory: Path, text: str, now: datetime) -> None:
    """Load `text` (valid) from a file of its own under `directory` and apply it."""
    config = valid(write(directory / "next", "config.yaml", text))
    with database.unit_of_work() as session:
        apply(session, config, now=now, actor="test")
