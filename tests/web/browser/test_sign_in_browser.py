"""Signing in with a password in a real browser, against a live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser.conftest import Site, shot

pytestmark = [pytest.mark.browser, pytest.mark.live]
PASSWORD = "correct horse battery"


def test_a_person_signs_in_with_a_password_and_lands_on_the_incidents(site: Site, desktop: Page,
                                                                       database_url: str) -> None:
    site.set_password("alice", PASSWORD)
    desktop.goto(f"{site.url}/")
    expect(desktop).to_have_url(re.compile(r"/sign-in\?next=/incidents$"))
    shot(desktop, "sign-in")
    site.sign_in(desktop, "alice", PASSWORD)
    expect(desktop).to_have_url(f"{site.url}/incidents")
    expect(desktop.get_by_role("main")).to_contain_text("Alice Andersson")
    expect(desktop.get_by_role("button", name="Sign out")).to_be_visible()
    shot(desktop, "incidents-signed-in")
