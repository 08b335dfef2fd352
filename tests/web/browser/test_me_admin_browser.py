"""/me and /admin in a real browser against a live server: an admin adds a phone number and a rule,
makes a token, then looks at people, sessions and the audit log. Screenshots: me (desktop and 390 px),
admin-people, admin-sessions, admin-audit."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.browser.conftest import PHONE, Site, shot

# What differs between the stores is tested without a browser on both (tests/web/test_me.py, test_admin.py,
# test_sessions.py); the browser looks at the pages, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"
# The elements that stick out on the right, to name in a failure.
WIDER_THAN_SCREEN = """[...document.querySelectorAll('main *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth).slice(0, 5)
  .map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"""


def test_an_admin_sets_up_their_own_page_and_looks_after_people(site: Site, desktop: Page,
                                                                 chromium: Browser) -> None:
    site.set_password("admin", PASSWORD)
    site.sign_in(desktop, "admin", PASSWORD)
    desktop.goto(f"{site.url}/me")
    desktop.get_by_label("Type", exact=True).select_option("sms")
    desktop.get_by_label("Address", exact=True).fill("+46701234567")
    desktop.get_by_label("Label").fill("on-call phone")
    desktop.get_by_role("button", name="Add method").click()
    expect(desktop.get_by_role("status")).to_contain_text("Contact method added")
    expect(desktop.locator("#methods")).to_contain_text("Not verified: never paged")

    desktop.get_by_label("Urgency", exact=True).select_option("high")
    desktop.get_by_label("After (minutes)").fill("0")
    desktop.get_by_role("button", name="Add rule").click()
    expect(desktop.locator("#rules")).to_contain_text("At once:")

    desktop.get_by_label("Name", exact=True).fill("laptop")
    desktop.get_by_role("button", name="Create token").click()
    assert desktop.get_by_label("Your new API token").input_value().startswith("fb_")
    expect(desktop.locator("#new-token-title").locator("..").get_by_role("button", name="Copy")).to_be_visible()
    shot(desktop, "me")

    phone = chromium.new_context(viewport=PHONE)  # type: ignore[arg-type]
    try:
        narrow = phone.new_page()
        narrow.context.add_cookies(desktop.context.cookies())
        narrow.goto(f"{site.url}/me")
        expect(narrow.get_by_role("heading", name="Contact methods")).to_be_visible()
        shot(narrow, "me-phone")
        width = narrow.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"/me scrolls sideways at 390 px ({width} px wide): " + str(narrow.evaluate(
            WIDER_THAN_SCREEN))
    finally:
        phone.close()

    desktop.get_by_role("link", name="Admin").click()
    expect(desktop.get_by_role("heading", name="People")).to_be_visible()
    expect(desktop.get_by_role("table")).to_contain_text("Alice Andersson")
    shot(desktop, "admin-people")
    desktop.get_by_role("link", name="Sessions").click()
    expect(desktop.get_by_role("table")).to_contain_text("admin")
    shot(desktop, "admin-sessions")
    desktop.get_by_role("link", name="Audit log").click()
    expect(desktop.get_by_role("status")).to_contain_text("The chain is intact")
    expect(desktop.get_by_role("table")).to_contain_text("contact_method.add")
    shot(desktop, "admin-audit")
