"""The main pages have no serious or critical axe-core violations, signed in as an admin (who sees
every page and every button) against a live server.

axe-core's script is the one axe-playwright-python ships (read from the package and evaluated in the
page): the browser is allowed no address but the live server's, so nothing can come from a CDN. Each
page is checked with the light look and again, for contrast, with the dark one asked for (the CSS
has no dark scheme today; the second run keeps one that comes later honest)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route, expect
from sqlalchemy import select

from firebell.alerts.models import Alert
from tests.web.browser.conftest import DESKTOP, Site, shot
from tests.web.test_alerts_pages import AM_API, TRACE, am_message

# axe-core reads the rendered page, the same on both stores (whose pages are tested without a browser on
# both, tests/web and test_error_pages for the 404): it runs on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"
BLOCKING = {"serious", "critical", "moderate", "minor"}


def _arrange(site: Site) -> str:
    """An alert that opened an incident (INC-1); the alert's id."""
    message = am_message("HighErrorRate", severity="critical", fingerprint="fp-errors", group="g-errors",
                         labels={"traceID": TRACE},
                         annotations={"summary": "API 5xx above 5% on api-7",
                                      "runbook_url": "https://runbooks.example/5xx"})
    assert httpx.post(f"{site.url}/integrations/alertmanager/{AM_API}", json=message).status_code == 202
    with site.db.unit_of_work(write=False) as session:
        return session.execute(select(Alert.id)).scalar_one()


def _only_the_site(page: Page, site: Site) -> list[str]:
    """Every request to anywhere but the live server is refused (and remembered)."""
    elsewhere: list[str] = []

    def guard(route: Route) -> None:
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return elsewhere


def _blocking(results: dict[str, Any]) -> list[str]:
    return [f"{v['id']} ({v['impact']}) at {', '.join(str(t) for n in v['nodes'] for t in n['target'])}: "
            f"{v['help']}" for v in results["violations"] if v.get("impact") in BLOCKING]


def test_the_main_pages_have_no_serious_or_critical_axe_violations(site: Site, desktop: Page) -> None:
    alert = _arrange(site)
    elsewhere = _only_the_site(desktop, site)
    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(path: str) -> None:
        desktop.emulate_media(color_scheme="light")
        desktop.goto(f"{site.url}{path}")
        desktop.wait_for_load_state("load")
        r = axe.run(desktop, options={"resultTypes": ["violations", "incomplete"]}).response
        print(path, [(v["id"], [n["target"] for n in v["nodes"]][:4]) for v in r["incomplete"]])
        found[path] = _blocking(r)
        desktop.emulate_media(color_scheme="dark")
        dark = axe.run(desktop, options={"runOnly": ["color-contrast"], "resultTypes": ["violations"]})
        found[path] += [f"dark: {line}" for line in _blocking(dark.response)]

    check("/sign-in")
    site.set_password("admin", PASSWORD)
    site.sign_in(desktop, "admin", "not the password")  # the form again, with why
    expect(desktop.get_by_role("alert")).to_be_visible()
    found["/sign-in refused"] = _blocking(axe.run(desktop).response)
    site.sign_in(desktop, "admin", PASSWORD)
    desktop.wait_for_url(f"{site.url}/incidents")
    for path in ("/incidents", "/incidents/INC-1", "/oncall", "/oncall/schedules/primary", "/alerts",
                 f"/alerts/{alert}", "/alerts/explain", "/services", "/services/api", "/me", "/admin",
                 "/admin/sessions", "/admin/audit", "/no-such-page"):
        check(path)
    report = "\n".join(f"{path}: {line}" for path, lines in found.items() for line in lines)
    assert not report, "axe-core found serious or critical violations:\n" + report
    assert not elsewhere, f"the pages asked for something outside Firebell: {elsewhere}"


def test_the_404_page_on_a_desktop_and_a_phone(site: Site, desktop: Page, phone: Page) -> None:
    """A stale link and a private incident: the one 404 page, with a way on, on both screens."""
    token = site.live.token("sam", "responder")
    private = httpx.post(f"{site.url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"},
                         json={"title": "Suspected JWT theft", "severity": "P2", "services": ["auth"],
                               "private": True}).json()["ref"]
    site.set_password("alice", PASSWORD)
    for page, name in ((desktop, "not-found"), (phone, "not-found-phone")):
        site.sign_in(page, "alice", PASSWORD)
        page.wait_for_url(f"{site.url}/incidents")
        answer = page.goto(f"{site.url}/incidents/{private}")
        assert answer is not None and answer.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Incident not found")
        page.goto(f"{site.url}/incidents/INC-404")
        expect(page.get_by_role("heading", level=1)).to_have_text("Incident not found")
        page.goto(f"{site.url}/incidnets")  # a mistyped address
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        shot(page, name)
        page.get_by_role("link", name="Open incidents").click()
        page.wait_for_url(f"{site.url}/incidents")
    anonymous = desktop.context.browser.new_page(viewport=DESKTOP) if desktop.context.browser else desktop
    anonymous.goto(f"{site.url}/no-such-page")
    expect(anonymous.get_by_role("link", name="Sign in")).to_be_visible()
    shot(anonymous, "not-found-signed-out")
