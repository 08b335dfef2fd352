"""The incident pages in a real browser against a live server: declare from the form, acknowledge
from the incident page and the ladder stops (no further page reaches the webhook receiver), an
acknowledgement made through the API by another process shows within two seconds without a reload,
and the phone viewport puts Acknowledge at the top, one tap away."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select, update

from firebell.alerts import snapshot
from firebell.escalation.models import EscalationPolicy
from firebell.org.models import ContactMethod, Service, User
from firebell.store.db import make_engine
from firebell.store.uow import Database
from tests.cli.test_cli_live import serving
from tests.escalation.test_crash import SECRET
from tests.escalation.test_paging_end_to_end import Receiver, receiver
from tests.web.browser.conftest import PHONE, Site, shot
from tests.web.conftest import BOTH_STORES

pytestmark = [pytest.mark.browser, pytest.mark.live]
PASSWORD = "correct horse battery"
LADDER_DELAY_S = 4


@pytest.fixture
def paging(database_url: str, tmp_path: Path) -> Iterator[tuple[Site, Receiver]]:
    """A live server whose webhooks are signed, alice and bob reached by a webhook on loopback, and
    api's P2 ladder: alice now, bob LADDER_DELAY_S later."""
    with receiver() as hook, serving(database_url, tmp_path,
                                     extra_env={"FIREBELL_WEBHOOK_SECRET": SECRET}) as live:
        hook.failing = False
        db = Database(make_engine(database_url))
        spec = {"name": "ep-fast", "repeat": 0, "triggers": [], "levels": [
            {"targets": [{"kind": "user", "name": "alice"}], "delay_s": LADDER_DELAY_S},
            {"targets": [{"kind": "user", "name": "bob"}], "delay_s": 60}]}
        with db.unit_of_work() as session:
            session.add(EscalationPolicy(name="ep-fast", spec=spec))
            session.execute(update(Service).where(Service.name == "api").values(escalation_policy={"P2": "ep-fast"}))
            for name in ("alice", "bob"):
                person = session.execute(select(User).where(User.name == name)).scalar_one()
                session.execute(delete(ContactMethod).where(ContactMethod.user_id == person.id))
                session.add(ContactMethod(user_id=person.id, type="webhook", address=hook.url, position=0,
                                          verified_at=datetime(2026, 1, 1, tzinfo=UTC)))
            snapshot.bump_version(session)
        site = Site(live=live, db=db)
        site.set_password("alice", PASSWORD)
        try:
            yield site, hook
        finally:
            db.dispose()


def _paged(hook: Receiver) -> list[str]:
    return [body.get("recipient", {}).get("user", "?") if isinstance(body.get("recipient"), dict) else "?"
            for _, body in hook.received]


def test_declared_from_the_form_acknowledged_from_the_page_and_the_ladder_stops(
        paging: tuple[Site, Receiver], desktop: Page) -> None:
    site, hook = paging
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/incidents")
    form = desktop.locator("#declare")
    form.get_by_label("Title").fill("Checkout returns 502")
    form.get_by_label("Affected services").select_option("api")
    form.get_by_label("Complete service unavailability").check()
    expect(form.locator("#suggestion")).to_contain_text("Suggested: P1")  # live.js asked the assessment
    expect(form.get_by_label("Severity")).to_have_value("P1")
    form.get_by_label("Severity").select_option("P2")
    shot(desktop, "declare-form")
    form.get_by_role("button", name="Declare", exact=True).click()
    expect(desktop.locator(".inc-top h1")).to_have_text("Checkout returns 502")
    deadline = time.monotonic() + 10
    while not hook.received and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(hook.received) == 1, "level 1 (alice) was not paged"
    desktop.get_by_role("button", name="Acknowledge").click()
    expect(desktop.locator(".inc-top .badge.status")).to_have_text("acknowledged")
    shot(desktop, "incident-desktop")
    time.sleep(LADDER_DELAY_S + 3)  # past level 2's moment: bob would have been paged by now
    assert len(hook.received) == 1, f"paged after the acknowledgement: {hook.received[1:]}"
    desktop.goto(f"{site.url}/incidents")
    shot(desktop, "incidents-desktop")


@BOTH_STORES
def test_an_acknowledgement_through_the_api_shows_on_the_open_page_within_two_seconds(
        paging: tuple[Site, Receiver], desktop: Page) -> None:
    site, _ = paging
    token = site.live.token("bob", "responder")
    declared = httpx.post(f"{site.url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"},
                          json={"title": "Search is slow", "severity": "P3", "services": ["api"]}).json()
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/incidents/{declared['ref']}")
    expect(desktop.locator(".inc-top .badge.status")).to_have_text("triggered")
    desktop.wait_for_timeout(500)  # the page's stream is connected
    started = time.monotonic()
    answer = httpx.post(f"{site.url}/api/v1/incidents/{declared['ref']}/acknowledge",
                        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    expect(desktop.locator(".inc-top .badge.status")).to_have_text("acknowledged", timeout=2000)
    expect(desktop.locator(".events")).to_contain_text("Bob Berg acknowledged")
    assert time.monotonic() - started < 2


def test_on_a_phone_acknowledge_is_one_tap_at_the_top(paging: tuple[Site, Receiver], phone: Page) -> None:
    site, _ = paging
    token = site.live.token("bob", "responder")
    declared = httpx.post(f"{site.url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"},
                          json={"title": "Database replica lag above 30 s on the primary cluster",
                                "severity": "P2", "services": ["api"]}).json()
    site.sign_in(phone, "alice", PASSWORD)
    phone.goto(f"{site.url}/incidents/{declared['ref']}")
    # The engine's first page changes the incident, and the live page swaps its top for the new one:
    # measure the button that stays.
    expect(phone.locator(".events")).to_contain_text("Paged")
    button = phone.get_by_role("button", name="Acknowledge")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"] and box["width"] >= 300
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    shot(phone, "incident-phone")
    button.click()
    expect(phone.locator(".inc-top .badge.status")).to_have_text("acknowledged")
    phone.goto(f"{site.url}/incidents")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "incidents-phone")
