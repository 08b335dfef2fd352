"""The exported status site in real Chromium, served by a plain static server: a screenshot of the
front page in every overall state, light and dark, and at phone width (build/screenshots/status-*.png:
look at them), the history and an incident page, and axe-core's rules in both colour schemes."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from firebell.statuspage.export import write_export
from firebell.statuspage.site import render_site
from tests.statuspage.builders import DESCRIPTIONS, NOW, STATES, page_in
from tests.statuspage.serve import static_server
from tests.web.browser.conftest import shot
from tests.web.browser.test_accessibility_browser import _blocking

pytestmark = [pytest.mark.browser]


def export(tmp_path: Path, state: str) -> Path:
    directory = tmp_path / state
    write_export(directory, render_site(page_in(state), base_url="", now=NOW))
    return directory


def _requests(page: Page) -> list[str]:
    """Every address the page asks for (all must be the static server's: no CDN, no font service)."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    return asked


@pytest.mark.parametrize("state", STATES)
def test_the_front_page_in_each_state_light_and_dark(state: str, tmp_path: Path, desktop: Page) -> None:
    with static_server(export(tmp_path, state)) as url:
        asked = _requests(desktop)
        for scheme in ("light", "dark"):
            desktop.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
            desktop.goto(f"{url}/index.html")
            indicator = page_in(state)["summary"]["status"]["indicator"]
            expect(desktop.get_by_role("heading", level=1)).to_have_text(DESCRIPTIONS[indicator])
            shot(desktop, f"status-{state}-{scheme}")
        assert asked and all(address.startswith(url) for address in asked)


def test_the_front_page_at_phone_width(tmp_path: Path, phone: Page) -> None:
    for state, scheme in (("several", "light"), ("maintenance", "dark")):
        with static_server(export(tmp_path, state)) as url:
            phone.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
            phone.goto(f"{url}/index.html")
            bar = phone.get_by_role("list", name="API: each of the last 90 days")
            assert bar.locator("li:visible").count() == 30, "a phone shows the last 30 days"
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
            shot(phone, f"status-{state}-phone-{scheme}")


def test_the_history_and_an_incident_page(tmp_path: Path, desktop: Page, phone: Page) -> None:
    with static_server(export(tmp_path, "several")) as url:
        desktop.goto(f"{url}/index.html")
        desktop.get_by_role("link", name="Queue backlog delays notifications").click()
        expect(desktop.get_by_role("heading", level=1)).to_have_text("Queue backlog delays notifications")
        shot(desktop, "status-incident")
        desktop.get_by_role("link", name="Incident history").click()
        expect(desktop.get_by_role("heading", level=2, name="November 2026")).to_be_visible()
        shot(desktop, "status-history")
        phone.emulate_media(color_scheme="dark")
        phone.goto(f"{url}/incidents/incqueue.html")
        shot(phone, "status-incident-phone-dark")


def test_no_axe_violations_light_or_dark(tmp_path: Path, desktop: Page) -> None:
    axe = Axe()
    found: dict[str, list[str]] = {}

    for state in ("several", "maintenance", "empty"):
        with static_server(export(tmp_path, state)) as url:
            for path in ("index.html", "history.html", "incidents/inc0old.html"):
                if state == "empty" and path.startswith("incidents/"):
                    continue
                for scheme in ("light", "dark"):
                    desktop.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
                    desktop.goto(f"{url}/{path}")
                    found[f"{state} {path} {scheme}"] = _blocking(axe.run(desktop).response)
    report = "\n".join(f"{where}: {line}" for where, lines in found.items() for line in lines)
    assert not report, "axe-core found violations:\n" + report
