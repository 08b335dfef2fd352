"""The console's stakeholder-update form in a real browser: status, what we know, what we are doing,
when the next update comes; posted, it is on the timeline in one sentence with all of them."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.browser.conftest import Site, shot

# What differs between the stores is tested without a browser on both; the browser looks at the page, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"


def test_a_structured_update_from_the_form_reaches_the_timeline(site: Site, desktop: Page) -> None:
    token = site.live.token("bob", "responder")
    declared = httpx.post(f"{site.url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"},
                          json={"title": "Checkout failing", "severity": "P1", "services": ["api"],
                                "impact": "a third of payments fail"}).json()
    site.set_password("alice", PASSWORD)
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/incidents/{declared['ref']}")
    form = desktop.locator("form.update-form")
    expect(form.get_by_label("Status")).to_be_visible()
    form.get_by_label("Status").select_option("Identified")
    form.get_by_label("What we know").fill("A bad deploy of the payment gateway.")
    form.get_by_label("What we are doing").fill("Rolling back to v41.")
    form.get_by_label("Next update in").select_option("30m")
    form.scroll_into_view_if_needed()
    shot(desktop, "stakeholder-update-form")
    form.get_by_role("button", name="Post update").click()
    expect(desktop.get_by_text("(Identified) via the web console: known: A bad deploy of the payment gateway; "
                               "doing: Rolling back to v41; next update at")).to_be_visible()
    # The promise is the next due moment the page shows (and the reminders keep), not the P1 cadence.
    expect(desktop.locator("dt", has_text="Next update").locator("xpath=following-sibling::dd")).to_contain_text(
        re.compile(r"in (29|30)m"))
    shot(desktop, "stakeholder-update-posted")
