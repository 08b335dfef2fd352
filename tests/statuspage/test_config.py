"""The `status_page:` section: errors at their line, an idempotent apply, export round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from firebell.config import apply, load
from firebell.config.export import export
from firebell.config.plan import plan
from firebell.store.uow import Database
from tests.statuspage.conftest import STATUS_PAGE, tree

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_unknown_component_severity_and_duplicates_are_errors_at_their_line(tmp_path: Path) -> None:
    text = STATUS_PAGE.replace("{name: API, description: The public API}", "{name: Api}").replace(
        "{name: Search, only_show_if_degraded: true}", "{name: Database}").replace("severity: P2", "severity: P9")
    result = load(tree(tmp_path, text))
    found = {(e.file.rsplit("/", 1)[-1], e.line, e.message.split(" (")[0].split(";")[0]) for e in result.errors}
    assert ("org.yaml", 46, "unknown status page component 'API'") in found
    assert ("status-page.yaml", 14, "status page component 'Database' is defined twice") in found
    assert ("status-page.yaml", 17, "unknown severity 'P9'") in found


def test_a_bad_colour_and_a_bad_auto_open_are_refused(tmp_path: Path) -> None:
    text = STATUS_PAGE.replace("#123456", "blue").replace("auto_open: immediately", "auto_open: soon")
    messages = " ".join(e.message for e in load(tree(tmp_path, text)).errors)
    assert "'blue' is not a colour" in messages and "'soon' is not a way to open" in messages


def test_apply_is_idempotent_and_export_round_trips(database: Database, tmp_path: Path) -> None:
    config = load(tree(tmp_path)).config
    assert config is not None
    with database.unit_of_work() as session:
        apply(session, config, now=NOW)
    with database.unit_of_work() as session:
        assert plan(session, config).empty
        exported = export(session)
    assert "status_page:" in exported and "Search" in exported
    again = tmp_path / "again"
    again.mkdir()
    (again / "all.yaml").write_text(exported)
    reloaded = load(again)
    assert not reloaded.errors and reloaded.config is not None
    with database.unit_of_work() as session:
        assert plan(session, reloaded.config).empty
