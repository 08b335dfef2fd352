"""The `status_page:` section: errors at their line, an idempotent apply, export round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from firebell.config import apply, load
from firebell.config.export import export
from firebell.config.plan import plan
from firebell.core.statuspage import notices as choices
from firebell.statuspage.public import live_page
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


def _round_trip(database: Database, tmp_path: Path, text: str) -> str:
    """Apply the tree with this status page, plan it (nothing to do), export it, load the export and
    plan that (nothing to do either); the export."""
    config = load(tree(tmp_path, text)).config
    assert config is not None
    with database.unit_of_work() as session:
        apply(session, config, now=NOW)
    with database.unit_of_work() as session:
        assert plan(session, config).empty
        exported = export(session)
    again = tmp_path / "again"
    again.mkdir()
    (again / "all.yaml").write_text(exported)
    reloaded = load(again)
    assert not reloaded.errors and reloaded.config is not None
    with database.unit_of_work() as session:
        assert plan(session, reloaded.config).empty
    return exported


def test_apply_is_idempotent_and_export_round_trips(database: Database, tmp_path: Path) -> None:
    exported = _round_trip(database, tmp_path, STATUS_PAGE)
    assert "status_page:" in exported and "Search" in exported
    assert "notify:" not in exported  # the default is left out


NOTIFY = """  notify:
    maintenance: {rescheduled: false}
    component_status: {email: true, slack: false}
"""


def test_the_notify_setting_is_checked_at_its_line(tmp_path: Path) -> None:
    text = STATUS_PAGE + "  notify:\n    maintenance: {strated: false}\n    incidents: {updated: \"no\"}\n"
    errors = load(tree(tmp_path, text)).errors
    found = {(e.file.rsplit("/", 1)[-1], e.line) for e in errors}
    assert found == {("status-page.yaml", 19), ("status-page.yaml", 20)}, errors
    messages = " ".join(e.message for e in errors)
    assert "strated" in messages


def test_the_notify_setting_is_stored_on_the_page_and_exported(database: Database, tmp_path: Path) -> None:
    exported = _round_trip(database, tmp_path, STATUS_PAGE + NOTIFY)
    assert "rescheduled: false" in exported and "email: true" in exported and "started" not in exported
    with database.unit_of_work(write=False) as session:
        page = live_page(session)
        assert page is not None
        choice = choices.from_stored(page.notify)
    assert choice.maintenance == {"scheduled", "started", "completed"}
    assert choice.component_modes == {"email", "webhook", "teams", "google_chat"}
