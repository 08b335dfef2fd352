"""Real-browser fixtures: a live `firebell serve` (uvicorn on 127.0.0.1, a free port, the test
organisation applied; on SQLite and on PostgreSQL), Debian's chromium driven by Playwright, and
`shot(page, name)` for the screenshots people look at (build/screenshots/, not committed).

    @pytest.mark.browser
    def test_x(site: Site, desktop: Page) -> None:
        site.set_password("alice", "a long enough password")
        site.sign_in(desktop, "alice", "a long enough password")
        shot(desktop, "incidents")

Playwright launches /usr/bin/chromium by path and never downloads a browser (scripts/test.sh
installs Debian's chromium).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from firebell.auth.passwords import set_password
from firebell.store.db import make_engine
from firebell.store.uow import Database
from tests.api.conftest import PEOPLE
from tests.cli.test_cli_live import Live, serving
from tests.conftest import _in_ci

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = os.environ.get("FIREBELL_TEST_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
assert set(PEOPLE) >= {"admin", "alice"}  # the people of tests/fixtures/org.yaml the live server knows


@dataclass
class Site:
    """A live Firebell server and its database."""

    live: Live
    db: Database

    @property
    def url(self) -> str:
        return self.live.url

    def set_password(self, user_name: str, password: str) -> None:
        with self.db.unit_of_work() as session:
            set_password(session, user_name=user_name, plain=password, now=datetime.now(UTC), actor="test")

    def sign_in(self, page: Page, user_name: str, password: str) -> None:
        page.goto(f"{self.url}/sign-in")
        page.get_by_label("Username").fill(user_name)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    with serving(database_url, tmp_path) as live:
        db = Database(make_engine(database_url))
        try:
            yield Site(live=live, db=db)
        finally:
            db.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        if _in_ci():
            pytest.fail(f"no chromium at {CHROMIUM} in CI; scripts/test.sh must install Debian's chromium")
        pytest.skip(f"no chromium at {CHROMIUM} (scripts/test.sh installs Debian's)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    try:
        yield browser
    finally:
        browser.close()


def _page(chromium: Browser, viewport: dict[str, int]) -> Iterator[Page]:
    context = chromium.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def desktop(chromium: Browser) -> Iterator[Page]:
    yield from _page(chromium, DESKTOP)


@pytest.fixture
def phone(chromium: Browser) -> Iterator[Page]:
    yield from _page(chromium, PHONE)


def shot(page: Page, name: str) -> Path:
    """A full-page PNG at build/screenshots/<name>.png: look at it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
