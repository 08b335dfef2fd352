"""The customer email page in a real browser: Alice (commander) drafts it and sees each customer's mail,
Bob approves and sends it; on a desktop and at 390 px, without sideways scrolling."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from firebell.auth.service import create_token
from firebell.config import apply, load
from tests.api.conftest import ORG
from tests.messages.test_customer_email import CUSTOMERS, WORDS
from tests.web.browser.conftest import PHONE, Site, shot

# What differs between the stores is tested without a browser on both; the browser looks at the page, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"


def _arrange(site: Site, tmp_path: Path) -> str:
    """Customers configured, and INC-1 (P1 on api) with Alice in command, made through the API."""
    tree = tmp_path / "org.yaml"
    tree.write_text(ORG.read_text() + CUSTOMERS)
    config = load(tree).config
    assert config is not None
    with site.db.unit_of_work() as session:
        now = datetime.now(UTC)
        apply(session, config, now=now)
        token = create_token(session, user_name="admin", role="admin", name="browser test", now=now).token
    headers = {"Authorization": f"Bearer {token}"}
    made = httpx.post(f"{site.url}/api/v1/incidents", headers=headers, json={
        "title": "API 5xx above 5%", "severity": "P1", "services": ["api"],
        "impact": "About 30 % of API calls failed."})
    ref = str(made.json()["ref"])
    assert httpx.post(f"{site.url}/api/v1/incidents/{ref}/roles", headers=headers,
                      json={"role": "commander", "user": "alice"}).status_code == 200
    return ref


def test_drafted_by_the_commander_and_sent_by_a_second_person(site: Site, desktop: Page, phone: Page,
                                                               tmp_path: Path) -> None:
    ref = _arrange(site, tmp_path)
    for person in ("alice", "bob"):
        site.set_password(person, PASSWORD)
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/incidents/{ref}")
    desktop.get_by_role("link", name="Customer email").click()
    for name, label in (("root_cause", "Root cause"), ("remediation", "Remediation"), ("prevention", "Prevention")):
        desktop.get_by_label(label).fill(WORDS[name])
    desktop.get_by_role("button", name="Start the draft").click()
    expect(desktop.locator(".inc-done")).to_contain_text("draft saved")
    mails = desktop.locator(".ce-mail")
    expect(mails).to_have_count(2)
    expect(mails.first).to_contain_text("Dear Acme Corp,")
    expect(mails.nth(1)).to_contain_text("Dear Globex,")
    expect(desktop.locator(".ce-decide")).to_contain_text("you wrote this draft")
    shot(desktop, "customer-email-draft-desktop")

    site.sign_in(phone, "bob", PASSWORD)
    phone.goto(f"{site.url}/incidents/{ref}/customer-email")
    expect(phone.locator(".ce-mail").first).to_contain_text("ROOT CAUSE")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at {PHONE['width']} px ({width} px wide)"
    shot(phone, "customer-email-approve-phone")
    phone.get_by_role("button", name="Approve and send").click()
    expect(phone.get_by_role("status")).to_contain_text("sending to 2 customers")
    expect(phone.locator(".ce-sent")).to_contain_text("written by Alice Andersson")
    shot(phone, "customer-email-sent-phone")
