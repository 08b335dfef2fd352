"""Scheduled maintenance silences paging: the status page's maintenance creates the alert maintenance
window of each service behind its components, for the same window; an Alertmanager alert for such a
service during the window opens no incident; rescheduling moves the windows; completing early ends
them; an editor who may not silence the service is refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from firebell.statuspage.service import page
from tests.alerts.test_ingest_api import AM_API, am_alert, am_message, incidents
from tests.api.conftest import Api


def pages(api: Api, instance: str) -> bool:
    """Fire an Alertmanager alert for the api service; whether it reached an incident (paged)."""
    response = api.client.post(f"/integrations/alertmanager/{AM_API}",
                               json=am_message("HighLatency", [am_alert("HighLatency", instance)]))
    assert response.status_code == 202, response.text
    (outcome,) = response.json()["outcomes"]
    return outcome["incident"] is not None


def windows(api: Api) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/maintenance").json())


def schedule(api: Api, start: datetime, end: datetime, who: str = "alice") -> Any:
    return api.post("/api/v1/status-page/maintenances", {
        "name": "Gateway upgrade", "body": "The API may be slow.", "scheduled_for": start.isoformat(),
        "scheduled_until": end.isoformat(), "components": ["API"]}, who=who)


def test_maintenance_silences_the_services_behind_its_components(page_api: Api) -> None:
    api, now = page_api, page_api.clock.now
    scheduled = schedule(api, now + timedelta(hours=1), now + timedelta(hours=3))
    assert scheduled.status_code == 201, scheduled.text
    (window,) = windows(api)
    assert window["service"] == "api" and "Gateway upgrade" in window["reason"]

    api.clock.advance(hours=1, minutes=30)  # inside the window: held, no page
    assert not pages(api, "gw1")
    assert incidents(api) == []
    (alert,) = api.get("/api/v1/alerts").json()
    assert "in maintenance" in alert["held_reason"]

    api.clock.advance(hours=2)  # after it: pages again
    assert pages(api, "gw2")
    assert len(incidents(api)) == 1


def test_rescheduling_moves_the_silence_and_completing_early_ends_it(page_api: Api) -> None:
    api, now = page_api, page_api.clock.now
    public_id = schedule(api, now + timedelta(hours=1), now + timedelta(hours=3)).json()["id"]
    moved = api.post(f"/api/v1/status-page/maintenances/{public_id}/reschedule", {
        "scheduled_for": (now + timedelta(hours=5)).isoformat(),
        "scheduled_until": (now + timedelta(hours=6)).isoformat(), "body": "Moved to tonight."}, who="alice")
    assert moved.status_code == 200, moved.text
    assert moved.json()["scheduled_for"].startswith("2026-11-23T08:00")
    (window,) = windows(api)  # the old one ended, the new one waits
    assert window["starts_at"].startswith("2026-11-23T08:00")

    api.clock.advance(hours=1, minutes=30)  # the old window: no longer silent
    assert pages(api, "gw1")
    assert api.post("/api/v1/incidents/INC-1/resolve").status_code == 200

    api.clock.advance(hours=4)  # 08:30, in the new window: silent
    assert not pages(api, "gw2")

    done = api.post(f"/api/v1/status-page/maintenances/{public_id}/status", {"status": "completed"}, who="alice")
    assert done.status_code == 200, done.text
    assert windows(api) == []
    assert pages(api, "gw3")  # completed early: pages again


def test_an_editor_who_may_not_silence_the_service_is_refused(page_api: Api) -> None:
    api, now = page_api, page_api.clock.now
    with api.db.unit_of_work() as session:  # sam (security team) becomes an editor of the page
        page(session).editors = ["on-call-engineer", "security-lead"]
    refused = schedule(api, now + timedelta(hours=1), now + timedelta(hours=2), who="sam")
    assert refused.status_code == 403 and "api" in refused.json()["detail"]
    assert windows(api) == [] and api.get("/api/v1/status-page/incidents").json() == []
