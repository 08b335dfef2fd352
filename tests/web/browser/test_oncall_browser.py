"""The on-call pages in a real browser against a live server: an override added through the form,
the feed's Copy button (the one script on the page), and screenshots of /oncall and a schedule page
with coverage gaps, on a desktop and a 390 px phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from firebell.oncall.models import Schedule
from firebell.org.models import Team
from tests.web.browser.conftest import SCREENSHOTS, Site, shot

# What differs between the stores is tested without a browser on both (tests/web/test_oncall_pages.py);
# the browser looks at the pages and the Copy button, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"
OFFICE_HOURS = {"layers": [
    {"name": "days", "participants": ["alice", "bob"], "rotation": {"days": 1}, "handoff": "09:00",
     "start": "2026-11-02", "restrictions": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00",
                                              "to": "17:00"}]},
    {"name": "follow-the-sun", "participants": ["sam"], "rotation": {"days": 7}, "handoff": "09:00",
     "start": "2026-11-02", "restrictions": [{"days": ["sat"], "from": "10:00", "to": "16:00"}]}]}


def _office_hours(site: Site) -> None:
    with site.db.unit_of_work() as session:
        team = session.execute(select(Team.id).where(Team.name == "platform")).scalar_one()
        session.add(Schedule(name="office-hours", title="Platform office hours", team_id=team,
                             timezone="America/New_York", spec=OFFICE_HOURS))


def _errors(page: Page) -> list[str]:
    """Script errors, CSP refusals and failed loads of the page's own files (the browser's own
    favicon request is not the page's)."""
    found: list[str] = []
    page.on("console", lambda m: found.append(m.text) if m.type == "error" and "Failed to load" not in m.text
            else None)
    page.on("response", lambda r: found.append(f"{r.status} {r.url}") if r.status >= 400
            and not r.url.endswith("/favicon.ico") else None)
    return found


def test_on_call_pages_in_a_browser(site: Site, desktop: Page, phone: Page) -> None:
    site.set_password("alice", PASSWORD)
    _office_hours(site)
    errors = _errors(desktop)
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/oncall")
    expect(desktop.get_by_role("heading", name="Now and next")).to_be_visible()
    shot(desktop, "oncall")
    desktop.get_by_role("link", name="Platform primary on-call").click()
    desktop.get_by_label("Who", exact=True).select_option("bob")
    desktop.get_by_label("Reason").first.fill("alice at the dentist")
    desktop.get_by_role("button", name="Add override").click()
    expect(desktop.get_by_role("status")).to_have_text("Override added.")
    expect(desktop.get_by_role("table").filter(has_text="alice at the dentist")).to_be_visible()
    expect(desktop.get_by_role("button", name="Copy")).to_be_visible()  # shown by the script
    shot(desktop, "oncall-schedule")
    desktop.goto(f"{site.url}/oncall/schedules/office-hours")
    expect(desktop.get_by_text("with no one on call")).to_be_visible()
    shot(desktop, "oncall-schedule-gaps")
    assert errors == [], errors  # no CSP refusal, no script error

    site.sign_in(phone, "alice", PASSWORD)
    phone.goto(f"{site.url}/oncall")
    shot(phone, "oncall-phone")
    phone.goto(f"{site.url}/oncall/schedules/office-hours")
    expect(phone.get_by_role("heading", name="Platform office hours")).to_be_visible()
    shot(phone, "oncall-schedule-phone")
    # The timeline scrolls sideways on a phone: its first screen, as a person sees it.
    phone.locator(".timeline-scroll").screenshot(path=str(SCREENSHOTS / "oncall-timeline-phone.png"))
