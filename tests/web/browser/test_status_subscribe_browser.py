"""The status page's subscribe form and unsubscribe page in a real browser, on a desktop and at 390 px
(look at the screenshots: build/screenshots/status-subscribe-*.png)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from firebell.core.status_subscriptions import unsubscribe_token
from firebell.statuspage.subscriptions import service
from firebell.store.secrets import link_secret
from tests.web.browser.conftest import PHONE, Site, shot

pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_subscribe_and_unsubscribe_pages(site: Site, desktop: Page, phone: Page) -> None:
    desktop.goto(f"{site.url}/subscribe")
    expect(desktop.get_by_role("heading", name="Subscribe to status updates")).to_be_visible()
    shot(desktop, "status-subscribe-form")
    desktop.get_by_label("Email address").fill("reader@example.com")
    desktop.get_by_role("button", name="Subscribe").click()
    expect(desktop.get_by_role("status")).to_contain_text("Check your inbox")
    shot(desktop, "status-subscribe-done")

    with site.db.unit_of_work() as session:
        subscriber = service.subscriber_of(session, "email", "reader@example.com")
        assert subscriber is not None and subscriber.confirmed_at is None
        token = unsubscribe_token(link_secret(session), subscriber.id)
    phone.goto(f"{site.url}/subscriptions/unsubscribe/{token}")
    shot(phone, "status-subscribe-unsubscribe-phone")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("button", name="Unsubscribe").click()
    expect(phone.get_by_role("status")).to_contain_text("receives no status updates")
    with site.db.unit_of_work(write=False) as session:
        gone = service.subscriber_of(session, "email", "reader@example.com")
        assert gone is not None and gone.unsubscribed_at is not None and gone.unsubscribed_at <= datetime.now(UTC)
