"""Status page fixtures: the API tests' organisation with a status page, a token per person."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from firebell.app import create_app
from firebell.auth.service import create_token
from firebell.config import apply, load
from firebell.store.uow import Database
from tests.api.conftest import ORG, PEOPLE, Api, FakeClock

# The status page's browser tests live in tests/web/browser, with the one session of Playwright: its
# sync API keeps an event loop running in the worker's main thread, so a second session started from
# another conftest broke every later browser test and every test that calls asyncio.run.

STATUS_PAGE = """
status_page:
  name: Testorg Status
  url: https://status.testorg.example
  time_zone: Europe/Stockholm
  editors: [on-call-engineer]
  branding: {accent: "#123456", footer_links: [{label: Home, url: https://testorg.example}]}
  components:
    - {name: API, description: The public API}
  groups:
    - name: Data
      components:
        - {name: Database}
        - {name: Search, only_show_if_degraded: true}
  severities:
    - {severity: P1, auto_open: immediately, component_status: major_outage}
    - {severity: P2, auto_open: {after: 1h}, component_status: partial_outage}
"""


def tree(tmp_path: Path, extra: str = STATUS_PAGE) -> Path:
    folder = tmp_path / "tree"
    folder.mkdir()
    shutil.copy(ORG, folder / "org.yaml")
    (folder / "status-page.yaml").write_text(extra)
    return folder


@pytest.fixture
def page_api(database: Database, tmp_path: Path) -> Api:
    return page_api_with(database, tmp_path, STATUS_PAGE)


def page_api_with(database: Database, tmp_path: Path, config: str) -> Api:
    """The API tests' organisation with this status_page: section, a token per person."""
    clock = FakeClock(datetime(2026, 11, 23, 3, 0, tzinfo=UTC))
    tokens = apply_page(database, tmp_path, config, clock)
    return Api(client=TestClient(create_app(database, clock)), tokens=tokens, clock=clock, db=database)


def apply_page(database: Database, tmp_path: Path, config: str, clock: FakeClock) -> dict[str, str]:
    """The API tests' organisation and this status_page: section applied; an API token per person."""
    result = load(tree(tmp_path, config))
    assert not result.errors and result.config is not None, result.errors
    with database.unit_of_work() as session:
        apply(session, result.config, now=clock.now)
        return {name: create_token(session, user_name=name, role=role, name="test", now=clock.now).token
                for name, role in PEOPLE.items()}
