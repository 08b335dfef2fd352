"""Alerts and Services in a real browser, against a live server: a responder filters the alerts,
opens one and follows its trace link's address, explains a payload, and starts and ends maintenance."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from firebell.alerts.models import Heartbeat, Integration
from firebell.org.models import Organisation
from tests.web.browser.conftest import Site, shot
from tests.web.test_alerts_pages import AM_API, TRACE, am_message
from tests.web.test_services_pages import HEARTBEAT

# What differs between the stores is tested without a browser on both (tests/web/test_alerts_pages.py,
# test_services_pages.py); the browser looks at the pages, on SQLite.
pytestmark = [pytest.mark.browser, pytest.mark.live,
              pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
PASSWORD = "correct horse battery"


def _arrange(site: Site) -> None:
    with site.db.unit_of_work() as session:
        org = session.execute(select(Organisation)).scalar_one()
        org.links = {"trace": "https://tempo.example/trace/{traceID}", "logs": "https://logs.example/?q={traceID}"}
    for message in (
        am_message("HighErrorRate", severity="critical", fingerprint="fp-errors", group="g-errors",
                   labels={"traceID": TRACE, "instance": "api-7:9090", "job": "api"},
                   annotations={"summary": "API 5xx above 5% on api-7",
                                "description": "5.8% of requests failed over the last 5 minutes",
                                "runbook_url": "https://runbooks.example/5xx"}),
        am_message("DiskFull", severity="warning", fingerprint="fp-disk", group="g-disk",
                   annotations={"summary": "Disk 91% full on db-1"}),
        am_message("LatencyHigh", severity="info", fingerprint="fp-latency", group="g-latency",
                   annotations={"summary": "p95 latency twice the usual"}),
    ):
        assert httpx.post(f"{site.url}/integrations/alertmanager/{AM_API}", json=message).status_code == 202
    assert httpx.post(f"{site.url}/integrations/heartbeat/{HEARTBEAT}").status_code in (200, 202)
    # The backup's beat came 40 minutes ago: overdue (every 10m, 2m of grace).
    with site.db.unit_of_work() as session:
        backup = session.execute(select(Integration).where(Integration.name == "backup")).scalar_one()
        beat = session.get(Heartbeat, backup.id)
        assert beat is not None
        beat.last_beat_at = datetime.now(UTC) - timedelta(minutes=40)
        beat.overdue_at = datetime.now(UTC) - timedelta(minutes=28)


def test_a_responder_reads_alerts_and_services_on_a_desktop_and_a_phone(site: Site, desktop: Page,
                                                                        phone: Page) -> None:
    _arrange(site)
    site.set_password("alice", PASSWORD)
    site.sign_in(desktop, "alice", PASSWORD)
    desktop.goto(f"{site.url}/alerts")
    expect(desktop.get_by_role("link", name="API 5xx above 5% on api-7")).to_be_visible()
    shot(desktop, "alerts")

    desktop.get_by_label("Severity").select_option("P1")
    desktop.get_by_role("button", name="Filter").click()
    expect(desktop).to_have_url(re.compile(r"severity=P1"))
    expect(desktop.get_by_role("link", name="Disk 91% full on db-1")).to_have_count(0)
    desktop.get_by_role("link", name="API 5xx above 5% on api-7").click()
    expect(desktop.get_by_role("heading", level=1)).to_have_text("API 5xx above 5% on api-7")
    expect(desktop.get_by_role("link", name="Trace")).to_have_attribute("href", f"https://tempo.example/trace/{TRACE}")
    expect(desktop.get_by_role("link", name="INC-1", exact=False)).to_have_attribute("href", "/incidents/INC-1")
    shot(desktop, "alert")
    alert_url = desktop.url

    desktop.goto(f"{site.url}/alerts/explain")
    desktop.get_by_label("Service that receives it").select_option("api")
    desktop.get_by_label("Payload (JSON)").fill(
        '{"version": "4", "groupKey": "g-new", "status": "firing", "alerts": [{"status": "firing", '
        '"labels": {"alertname": "QueueBacklog", "severity": "error"}, "annotations": {"summary": "Queue backlog"}}]}')
    desktop.get_by_role("button", name="Explain").click()
    expect(desktop.get_by_role("heading", name="What would happen")).to_be_visible()
    expect(desktop.get_by_text("Nothing was stored.")).to_be_visible()
    shot(desktop, "alert-explain")

    desktop.goto(f"{site.url}/services")
    expect(desktop.get_by_text("overdue").first).to_be_visible()
    shot(desktop, "services")
    desktop.get_by_role("link", name="API", exact=True).click()
    desktop.get_by_label("Reason").fill("database upgrade")
    desktop.get_by_role("button", name="Start maintenance").click()
    expect(desktop.get_by_text("in maintenance").first).to_be_visible()
    shot(desktop, "service")
    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("button", name="End now").click()
    expect(desktop.get_by_text("No maintenance window now or planned.")).to_be_visible()

    # An admin rotates a generated key and sees the new one once.
    with site.db.unit_of_work() as session:
        for integration in session.execute(select(Integration).where(Integration.name == "pagerduty")).scalars():
            integration.key_source = "generated"
    desktop.get_by_role("button", name="Sign out").click()
    site.set_password("admin", PASSWORD)
    site.sign_in(desktop, "admin", PASSWORD)
    desktop.goto(f"{site.url}/services/api")
    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("row", name=re.compile("pagerduty")).get_by_role("button", name="Rotate key").click()
    expect(desktop.get_by_label("Routing key")).to_have_value(re.compile(r"^[a-z0-9]{32}$"))
    shot(desktop, "service-key-rotated")

    site.sign_in(phone, "alice", PASSWORD)
    phone.goto(alert_url)
    expect(phone.get_by_role("link", name="Trace")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the alert page scrolls sideways on a phone ({width}px)"
    shot(phone, "alert-phone")
