"""The status page's subscribe form, confirmation and unsubscribe pages in real Chromium, from a real
`firebell serve` with a status page: found from the public page, in the page's own look, light and
dark and at 390 px, with axe-core's rules in both schemes (look at the screenshots:
build/screenshots/status-subscribe-*.png)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from firebell.core.status_subscriptions import confirmation_token, unsubscribe_token
from firebell.statuspage.subscriptions import service
from firebell.statuspage.subscriptions.models import StatusDelivery
from firebell.store.db import make_engine
from firebell.store.secrets import link_secret
from firebell.store.uow import Database
from tests.cli.test_cli_live import serving
from tests.statuspage.conftest import STATUS_PAGE, tree
from tests.web.browser.conftest import PHONE, shot
from tests.web.browser.test_accessibility_browser import _blocking

pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _confirmation_link(db: Database, address: str) -> str:
    """The link the confirmation mail carries (this server sends no mail: made as the sender makes it)."""
    with db.unit_of_work(write=False) as session:
        subscriber = service.subscriber_of(session, "email", address)
        assert subscriber is not None and subscriber.confirmed_at is None
        delivery = session.scalars(select(StatusDelivery).where(StatusDelivery.subscriber_id == subscriber.id,
                                                                StatusDelivery.notice_key == "confirmation")).one()
        token = confirmation_token(link_secret(session), subscriber.id, delivery.payload["nonce"])
        return f"/subscriptions/confirm/{token}"


def _axe(page: Page, found: dict[str, list[str]], where: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        found[f"{where} {scheme}"] = _blocking(Axe().run(page).response)
    page.emulate_media(color_scheme="light")


def test_subscribe_confirm_and_unsubscribe_in_the_pages_look(database_url: str, tmp_path: Path, desktop: Page,
                                                             phone: Page) -> None:
    failed: list[str] = []
    desktop.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    violations: dict[str, list[str]] = {}
    with serving(database_url, tmp_path, "--config", str(tree(tmp_path, STATUS_PAGE))) as live:
        db = Database(make_engine(database_url))
        try:
            desktop.goto(f"{live.url}/status/")
            desktop.get_by_role("navigation").get_by_role("link", name="Subscribe to updates").click()
            expect(desktop).to_have_url(f"{live.url}/status/subscribe")
            expect(desktop.get_by_role("heading", level=1)).to_have_text("Subscribe to status updates")
            expect(desktop.get_by_role("link", name="Testorg Status")).to_be_visible()
            accent = desktop.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent')")
            assert accent.strip() == "#123456", "the page's stylesheet loaded under the form's policy"
            expect(desktop.get_by_label("Everything on this page")).to_be_checked()
            expect(desktop.get_by_role("group", name="Data").get_by_label("Search")).to_be_visible()
            shot(desktop, "status-subscribe-form-light")
            desktop.emulate_media(color_scheme="dark")
            shot(desktop, "status-subscribe-form-dark")
            _axe(desktop, violations, "form")

            desktop.get_by_label("Email address").fill("reader@example.com")
            desktop.get_by_label("Only the components I choose").check()
            desktop.get_by_label("Database").check()
            desktop.get_by_role("button", name="Subscribe").click()
            expect(desktop.get_by_role("status")).to_contain_text("Check your inbox")
            shot(desktop, "status-subscribe-done-dark")
            _axe(desktop, violations, "done")

            desktop.goto(f"{live.url}{_confirmation_link(db, 'reader@example.com')}")
            expect(desktop.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
            shot(desktop, "status-subscribe-confirm-light")
            _axe(desktop, violations, "confirm")
            desktop.get_by_role("button", name="Confirm subscription").click()
            expect(desktop.get_by_role("status")).to_contain_text("reader@example.com will receive status updates")
            shot(desktop, "status-subscribe-confirmed-light")
            desktop.emulate_media(color_scheme="dark")
            shot(desktop, "status-subscribe-confirmed-dark")
            _axe(desktop, violations, "confirmed")

            with db.unit_of_work(write=False) as session:
                subscriber = service.subscriber_of(session, "email", "reader@example.com")
                assert subscriber is not None and subscriber.confirmed_at is not None
                assert subscriber.component_ids is not None and len(subscriber.component_ids) == 1
                token = unsubscribe_token(link_secret(session), subscriber.id)
            phone.goto(f"{live.url}/subscriptions/unsubscribe/{token}")
            shot(phone, "status-subscribe-unsubscribe-phone")
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            phone.get_by_role("button", name="Unsubscribe").click()
            expect(phone.get_by_role("status")).to_contain_text("receives no status updates")
            phone.goto(f"{live.url}/status/subscribe")
            shot(phone, "status-subscribe-form-phone")
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            with db.unit_of_work(write=False) as session:
                gone = service.subscriber_of(session, "email", "reader@example.com")
                assert gone is not None and gone.unsubscribed_at is not None
                assert gone.unsubscribed_at <= datetime.now(UTC)
        finally:
            db.dispose()
    assert failed == [], "every request of the pages succeeded (stylesheet included)"
    report = "\n".join(f"{where}: {line}" for where, lines in violations.items() for line in lines)
    assert not report, "axe-core found violations:\n" + report
