"""The live status page in real Chromium, from a real `firebell serve`: the front page with an open
incident and the 404 page for an unknown incident, under the headers the server sends (its content
security policy must let the page's own stylesheet through). Screenshots in build/screenshots/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.cli.test_cli_live import serving
from tests.statuspage.conftest import STATUS_PAGE, tree
from tests.web.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.live]


# CI time: a browser over the same bytes on either store; test_live_site.py serves both stores.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_live_page_and_its_404_in_chromium(database_url: str, tmp_path: Path, desktop: Page) -> None:
    failed: list[str] = []
    desktop.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    with serving(database_url, tmp_path, "--config", str(tree(tmp_path, STATUS_PAGE))) as live:
        token = live.token("admin", "admin")
        opened = httpx.post(f"{live.url}/api/v1/status-page/incidents", headers={"Authorization": f"Bearer {token}"},
                            json={"name": "Elevated API errors", "body": "We are investigating.",
                                  "components": {"API": "partial_outage"}}, timeout=10)
        assert opened.status_code == 201, opened.text
        desktop.goto(f"{live.url}/status/")
        expect(desktop.get_by_role("heading", level=1)).to_have_text("Partial System Outage")
        expect(desktop.get_by_text("Elevated API errors").first).to_be_visible()
        accent = desktop.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent')")
        assert accent.strip() == "#123456", "the stylesheet loaded under the server's policy"
        shot(desktop, "status-live-front")
        desktop.get_by_role("link", name="History").first.click()
        expect(desktop).to_have_url(f"{live.url}/status/history.html")
        answer = desktop.goto(f"{live.url}/status/incidents/no-such-incident")
        assert answer is not None and answer.status == 404
        expect(desktop.get_by_role("heading", level=1)).to_have_text("Not found")
        shot(desktop, "status-live-404")
    assert [url.removeprefix(live.url) for url in failed] == ["/status/incidents/no-such-incident"]
