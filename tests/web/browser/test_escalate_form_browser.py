"""The console's Escalate form in a real browser: the level may be left blank (the next), and what
help is needed and what was done so far go with it onto the timeline; on a desktop and at 390 px."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.browser.conftest import PHONE, SCREENSHOTS, Site, shot
from tests.web.test_alerts_pages import AM_API, am_message

# What differs between the stores is tested without a browser on both; the browser looks at the page, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"


def test_escalating_with_help_needed_and_actions_taken(site: Site, desktop: Page, phone: Page) -> None:
    message = am_message("CheckoutErrors", severity="error", fingerprint="fp-checkout", group="g-checkout",
                         annotations={"summary": "Checkout 5xx above 20%"})  # a P2: api's ladder pages it
    assert httpx.post(f"{site.url}/integrations/alertmanager/{AM_API}", json=message).status_code == 202
    site.set_password("alice", PASSWORD)
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/incidents/INC-1")
    form = desktop.locator("form[action$='/escalate']", has=desktop.locator("input[name=help_needed]"))
    form.locator("input[name=help_needed]").fill("a DBA to check replication lag")
    form.locator("input[name=actions_taken]").fill("restarted the primary")
    form.scroll_into_view_if_needed()
    shot(desktop, "escalate-form-desktop")
    form.screenshot(path=str(SCREENSHOTS / "escalate-form-desktop-form.png"))
    form.get_by_role("button", name="Page now").click()
    expect(desktop.locator(".inc-done")).to_contain_text("is being paged")
    expect(desktop.locator("body")).to_contain_text(
        "help needed: a DBA to check replication lag; actions taken: restarted the primary")

    site.sign_in(phone, "alice", PASSWORD)
    phone.goto(f"{site.url}/incidents/INC-1")
    phone.locator("input[name=help_needed]").scroll_into_view_if_needed()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "escalate-form-phone")
    phone.locator("form[action$='/escalate']", has=phone.locator("input[name=help_needed]")).screenshot(
        path=str(SCREENSHOTS / "escalate-form-phone-form.png"))
