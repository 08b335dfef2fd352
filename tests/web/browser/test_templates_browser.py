"""/admin/templates in a real browser: an admin opens the escalation message's Slack editor, edits it
with a typo (shown at its line), fixes it and previews against a real incident, and gets the
`templates:` entry to paste. Screenshots: admin-templates, admin-template-problem, admin-template."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser.conftest import Site, shot

# What differs between the stores is tested without a browser on both; the browser looks at the page, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"


def test_an_admin_edits_and_previews_a_template(site: Site, desktop: Page) -> None:
    admin = site.live.token("admin", "admin")
    site.live.run("incident", "declare", "Checkout 5xx above 5%", "--severity", "P1", "--service", "api",
                  "--impact", "EU checkout failing", token=admin)
    site.set_password("admin", PASSWORD)
    site.sign_in(desktop, "admin", PASSWORD)
    desktop.goto(f"{site.url}/admin/templates")
    expect(desktop.get_by_role("heading", name="Message templates")).to_be_visible()
    shot(desktop, "admin-templates")

    desktop.goto(f"{site.url}/admin/templates/escalation?channel=slack")
    editor = desktop.get_by_label("Text (built-in)")
    expect(editor).to_contain_text("needs help")
    editor.fill(":sos: {{ incident.ref }} needs {{ escalation.hlep }}\n*Impact*: {{ incident.impact }}")
    desktop.get_by_role("button", name="Preview").click()
    expect(desktop.get_by_role("alert")).to_contain_text("text, line 1: unknown variable 'escalation.hlep'")
    shot(desktop, "admin-template-problem")

    desktop.get_by_label("Text (edited here)").fill(
        ":sos: {{ incident.ref }} needs {{ escalation.help or 'a hand' }}\n*Impact*: {{ incident.impact }}")
    desktop.get_by_label("Preview against").select_option("INC-1")
    desktop.get_by_role("button", name="Preview").click()
    expect(desktop.locator("#preview")).to_contain_text(":sos: INC-1 needs a hand\n*Impact*: EU checkout failing")
    expect(desktop.get_by_label("The templates: entry")).to_contain_text("purpose: escalation")
    shot(desktop, "admin-template")
