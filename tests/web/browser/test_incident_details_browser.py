"""An incident opened by an alert, in a real browser: its alert's links (the trace link from a label),
the recent changes of its service, why each page waits or failed, and the role form that shows the
chosen role's holder; on a desktop and at 390 px, without sideways scrolling."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from firebell.alerts.models import ChangeEvent
from firebell.incidents.models import Incident
from firebell.notify.models import Notification
from firebell.org.models import Organisation, Service, User
from tests.web.browser.conftest import PHONE, SCREENSHOTS, Site, shot
from tests.web.test_alerts_pages import AM_API, TRACE, am_message

# What differs between the stores is tested without a browser on both (tests/web/test_incident_page_details.py);
# the browser looks at the page, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"


def _arrange(site: Site) -> str:
    """INC-1 from a P1 alert on api (no ladder for P1 on api: the engine pages nobody), a deploy 20
    minutes before it and pages that wait or failed, made in the store (the engine takes no page
    whose time has not come)."""
    with site.db.unit_of_work() as session:
        session.execute(select(Organisation)).scalar_one().links = {"trace": "https://tempo.example/trace/{traceID}"}
    message = am_message("HighErrorRate", severity="critical", fingerprint="fp-errors", group="g-errors",
                         labels={"traceID": TRACE, "job": "api"},
                         annotations={"summary": "API 5xx above 5% on api-7",
                                      "runbook_url": "https://runbooks.example/5xx"})
    assert httpx.post(f"{site.url}/integrations/alertmanager/{AM_API}", json=message).status_code == 202
    now = datetime.now(UTC)
    with site.db.unit_of_work() as session:
        incident = session.execute(select(Incident).where(Incident.number == 1)).scalar_one()
        api = session.execute(select(Service.id).where(Service.name == "api")).scalar_one()
        session.add(ChangeEvent(service_id=api, summary="Deploy api v1.2.3 (connection pool 20 -> 5)",
                                source="github-actions", occurred_at=now - timedelta(minutes=20), received_at=now,
                                links=[{"href": "https://github.example/acme/api/actions/runs/7", "text": "Run"}]))
        users = dict(session.execute(select(User.name, User.id)).all())
        for user, fields in (
            ("alice", {"held_reason": "high-urgency rule: SMS +46 70 123 45 67 5 min after the page",
                       "next_attempt_at": now + timedelta(minutes=5)}),
            ("bob", {"attempts": 2, "last_error": "HTTP 503 Service Unavailable",
                     "next_attempt_at": now + timedelta(seconds=50)}),
            ("admin", {"state": "failed", "attempts": 1, "channel": "webhook", "next_attempt_at": now,
                       "last_error": "webhook URL 'https://hooks.slack.example/services/T0/B0/s3cr3t' is unusable"}),
        ):
            values: dict[str, object] = {"state": "pending", "attempts": 0, "last_error": "", "held_reason": "",
                                         "channel": "sms"} | fields
            session.add(Notification(idempotency_key=str(uuid.uuid4()), incident_id=incident.id,
                                     user_id=users[user], target=f"user:{user}", address="+46701234567",
                                     level=0, message={"ref": "INC-1"}, created_at=now, **values))
    return "INC-1"


def test_alert_links_changes_and_page_reasons_on_a_desktop_and_a_phone(site: Site, desktop: Page,
                                                                       phone: Page) -> None:
    ref = _arrange(site)
    site.set_password("alice", PASSWORD)
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/incidents/{ref}")
    alerts = desktop.locator("section", has=desktop.locator("#alerts-h"))
    expect(alerts.get_by_role("link", name="Trace")).to_have_attribute("href", f"https://tempo.example/trace/{TRACE}")
    expect(desktop.locator(".inc-changes")).to_contain_text("Deploy api v1.2.3")
    expect(desktop.locator(".inc-pages")).to_contain_text("5 min after the page")
    expect(desktop.locator(".inc-pages")).not_to_contain_text("s3cr3t")
    role = desktop.locator("form.role-form select[name=role]")
    person = desktop.locator("form.role-form select[name=user]")
    role.select_option("technical_lead")
    person.select_option("bob")
    desktop.get_by_role("button", name="Set role").click()
    expect(desktop.locator(".inc-done")).to_contain_text("bob is technical lead now")
    expect(person).to_have_value("")  # the first role (commander) has nobody
    role.select_option("technical_lead")
    expect(person).to_have_value("bob")  # live.js: the chosen role's holder
    shot(desktop, "incident-details-desktop")

    site.sign_in(phone, "alice", PASSWORD)
    phone.goto(f"{site.url}/incidents/{ref}")
    expect(phone.locator(".inc-changes")).to_contain_text("Deploy api v1.2.3")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "incident-details-phone")
    phone.locator("#pages-h").evaluate("h => h.scrollIntoView()")  # one phone screen of the pages and after
    phone.screenshot(path=str(SCREENSHOTS / "incident-details-phone-pages.png"))
