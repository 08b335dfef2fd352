"""Signing in with a password in a real browser, against a live server; and the throttle's message."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from firebell.auth.password_links import issue_link
from firebell.incidents.models import Incident
from firebell.notify.links import action_urls
from firebell.org.models import User
from firebell.store.secrets import link_secret
from tests.web.browser.conftest import Site, shot

# Sign-in, its throttle and action links are tested without a browser on both stores (tests/web/test_sign_in.py,
# tests/notify/test_action_link_page.py); the browser looks at the pages, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"


def test_a_person_signs_in_with_a_password_and_lands_on_the_incidents(site: Site, desktop: Page, phone: Page) -> None:
    site.set_password("alice", PASSWORD)
    phone.goto(f"{site.url}/sign-in")
    shot(phone, "sign-in-phone")
    desktop.goto(f"{site.url}/")
    expect(desktop).to_have_url(re.compile(r"/sign-in\?next=/incidents$"))
    shot(desktop, "sign-in")
    site.sign_in(desktop, "alice", PASSWORD)
    expect(desktop).to_have_url(f"{site.url}/incidents")
    expect(desktop.get_by_role("heading", name="Incidents", exact=True)).to_be_visible()
    expect(desktop.locator("header .who")).to_contain_text("Alice Andersson")
    shot(desktop, "incidents-signed-in")
    desktop.get_by_role("button", name="Sign out").click()
    expect(desktop).to_have_url(f"{site.url}/sign-in")
    desktop.goto(f"{site.url}/incidents")
    expect(desktop).to_have_url(re.compile(r"/sign-in\?next=/incidents$"))


def test_after_five_wrong_passwords_the_page_says_when_to_try_again(site: Site, phone: Page) -> None:
    with site.db.unit_of_work() as session:
        invite = issue_link(session, user_name="alice", purpose="invite", now=datetime.now(UTC), actor="test")
    phone.goto(invite.url(site.url))
    expect(phone.get_by_role("heading")).to_have_text("Welcome to Firebell")
    phone.get_by_label("New password").fill(PASSWORD)
    phone.get_by_label("The same password again").fill(PASSWORD)
    shot(phone, "invite-phone")
    phone.get_by_role("button", name="Set password and sign in").click()
    expect(phone).to_have_url(f"{site.url}/incidents")
    shot(phone, "layout-signed-in-phone")
    phone.get_by_role("button", name="Sign out").click()

    for attempt in range(4):
        site.sign_in(phone, "alice", f"wrong guess {attempt}")
        expect(phone.get_by_role("alert")).to_have_text("Wrong username or password.")
    shot(phone, "sign-in-wrong-password-phone")
    site.sign_in(phone, "alice", "wrong guess 5")
    locked = re.compile(r"^Too many attempts; try again at \d\d:\d\d \(UTC\)\.$")
    expect(phone.get_by_role("alert")).to_have_text(locked)
    shot(phone, "sign-in-throttled-phone")
    site.sign_in(phone, "alice", PASSWORD)  # the right one, too late: not even checked
    expect(phone.get_by_role("alert")).to_contain_text("Too many attempts")
    expect(phone).to_have_url(re.compile(r"/sign-in$"))


def test_an_emailed_acknowledge_link_opens_a_one_button_page_on_a_phone(site: Site, phone: Page) -> None:
    token = site.live.token("alice", "responder")
    declared = httpx.post(f"{site.url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"},
                          json={"title": "Checkout 5xx above 5%", "severity": "P1", "services": ["api"]})
    assert declared.status_code == 201, declared.text
    with site.db.unit_of_work(write=False) as session:
        incident = session.execute(select(Incident)).scalar_one()
        alice = session.execute(select(User.id).where(User.name == "alice")).scalar_one()
        urls = action_urls(link_secret(session), site.url, incident_id=incident.id, user_id=alice,
                           notification_id="browser-test", now=incident.declared_at)
    phone.goto(urls["acknowledge"])
    expect(phone.get_by_role("heading")).to_have_text("Acknowledge INC-1?")
    shot(phone, "act-confirm-phone")
    phone.get_by_role("button", name="Acknowledge INC-1").click()
    expect(phone.get_by_role("status")).to_have_text("INC-1 acknowledged by Alice Andersson via link.")
    shot(phone, "act-done-phone")
