"""The static export follows the clock, not only changes: a day with nothing new still moves the day
bars at midnight in the page's zone, so the export is made again every EXPORT_REFRESH_EVERY."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from firebell.statuspage import jobs, live
from firebell.store.uow import Database
from tests.statuspage.conftest import STATUS_PAGE, page_api_with


def test_the_export_shows_a_new_day_though_nothing_changed(database: Database, tmp_path: Path) -> None:
    site = tmp_path / "site"
    api = page_api_with(database, tmp_path, STATUS_PAGE + f"  export_dir: {site}\n")
    opened = api.post("/api/v1/status-page/incidents", {
        "name": "Elevated API errors", "body": "We are investigating.", "components": {"API": "partial_outage"}})
    assert opened.status_code == 201, opened.text
    exporter = live.site_of(database.engine)
    assert exporter.exported()
    index = site / "index.html"
    assert "23 Nov 2026" in index.read_text() and "24 Nov 2026" not in index.read_text()

    refresh = jobs.export_refresh()
    assert refresh.every == jobs.EXPORT_REFRESH_EVERY <= timedelta(minutes=10)
    api.clock.advance(days=1)  # 03:00 the next day in Stockholm: no change was made meanwhile
    refresh.run(SimpleNamespace(db=database), api.clock())  # type: ignore[arg-type]
    assert exporter.exported()
    assert "24 Nov 2026" in index.read_text(), "the export's bars never reached the new day"
    assert "Elevated API errors" in index.read_text()


def test_no_export_directory_writes_nothing(database: Database, tmp_path: Path) -> None:
    api = page_api_with(database, tmp_path, STATUS_PAGE)
    jobs.export_refresh().run(SimpleNamespace(db=database), api.clock())  # type: ignore[arg-type]
    assert live.site_of(database.engine).exported()
    assert not any(tmp_path.rglob("index.html"))
