"""Every public change tells the subscribers, in the change's own transaction: a webhook subscriber
(a local receiver on 127.0.0.1 that checks the Standard Webhooks signature) gets Statuspage's incident
payload once per update and the component shape for a component's change; a draft, or an update sent
with deliver_notifications off, tells no one; maintenance is heard of when scheduled, started and
completed, and rescheduled; and the page's `notify` setting says which of these are told at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from firebell.notify.channels.webhook import verify_standard_webhook
from firebell.notify.settings import Channels
from firebell.statuspage import maintenance
from firebell.statuspage.subscriptions.jobs import SubscriberSender
from firebell.store.uow import Database
from tests.api.conftest import Api
from tests.statuspage.conftest import STATUS_PAGE, page_api_with
from tests.statuspage.subscriptions.conftest import WEBHOOK_SECRET, _Runner
from tests.statuspage.subscriptions.test_webhooks import OWN_SECRET, Receiver, receiver


@dataclass
class Told:
    api: Api
    sender: SubscriberSender
    box: Receiver

    def sent(self) -> list[dict[str, Any]]:
        """Send what is due; every payload the receiver has had so far, each checked for its signature."""
        self.sender(_Runner(self.api.db, self.api.clock), self.api.clock())
        for _, headers, body in self.box.got:
            assert verify_standard_webhook(OWN_SECRET, headers, body, self.api.clock())
        return [json.loads(body) for _, _, body in self.box.got]

    def incidents(self) -> list[dict[str, Any]]:
        return [p["incident"] for p in self.sent() if "incident" in p]

    def components(self) -> list[dict[str, Any]]:
        return [p for p in self.sent() if "component" in p]


@contextmanager
def telling(database: Database, tmp_path: Path, config: str) -> Iterator[Told]:
    """The page of `config` with one webhook subscriber on a local receiver."""
    api = page_api_with(database, tmp_path, config)
    sender = SubscriberSender(Channels(public_url="http://status.example", by_name={},
                                       default_webhook_secret=WEBHOOK_SECRET, clock=api.clock))
    with receiver() as box:
        added = api.post("/api/v1/status-page/subscribers", {"mode": "webhook", "endpoint": box.url,
                                                             "secret": OWN_SECRET})
        assert added.status_code == 201, added.text
        try:
            yield Told(api, sender, box)
        finally:
            sender.transports.close()


@pytest.fixture
def told(database: Database, tmp_path: Path) -> Iterator[Told]:
    with telling(database, tmp_path, STATUS_PAGE) as found:
        yield found


def _open_update_resolve(api: Api) -> dict[str, Any]:
    """A public incident opened, updated five minutes later and resolved five after that."""
    opened: dict[str, Any] = api.post("/api/v1/status-page/incidents", {
        "name": "Elevated API errors", "body": "We are investigating.", "components": {"API": "partial_outage"}}).json()
    api.clock.advance(minutes=5)
    api.post(f"/api/v1/status-page/incidents/{opened['id']}/updates", {"status": "identified", "body": "Found it."})
    api.clock.advance(minutes=5)
    api.post(f"/api/v1/status-page/incidents/{opened['id']}/resolve", {"body": "Fixed."})
    return opened


def test_each_update_of_a_public_incident_is_sent_once(told: Told) -> None:
    opened = _open_update_resolve(told.api)
    incidents = told.incidents()
    assert [i["incident_updates"][0]["status"] for i in incidents] == ["investigating", "identified", "resolved"]
    assert {i["id"] for i in incidents} == {opened["id"]} and incidents[-1]["resolved_at"] is not None
    assert [u["body"] for u in incidents[1]["incident_updates"]] == ["Found it.", "We are investigating."]
    payload = told.sent()[0]
    assert set(payload) == {"meta", "page", "incident"}
    assert payload["page"]["status_indicator"] == "major"  # the page's state after the change
    assert told.incidents() == incidents, "sent once: a second pass sends nothing again"


def test_a_component_change_sends_the_component_shape(told: Told) -> None:
    api = told.api
    assert api.client.put("/api/v1/status-page/components/API", json={"status": "major_outage"},
                          headers={"Authorization": f"Bearer {api.tokens['admin']}"}).status_code == 200
    [sent] = told.components()
    assert set(sent) == {"meta", "page", "component_update", "component"}
    assert sent["component"]["name"] == "API" and sent["component"]["status"] == "major_outage"
    assert {k: sent["component_update"][k] for k in ("old_status", "new_status")} == {
        "old_status": "operational", "new_status": "major_outage"}
    assert sent["component_update"]["component_id"] == sent["component"]["id"]
    assert sent["page"]["status_indicator"] == "critical"


def test_a_draft_or_a_quiet_update_tells_no_one(told: Told) -> None:
    api = told.api
    draft = api.post("/api/v1/status-page/incidents", {"name": "Maybe trouble", "draft": True,
                                                        "components": {"API": "major_outage"}}).json()
    assert told.sent() == []
    api.clock.advance(minutes=1)
    api.post(f"/api/v1/status-page/incidents/{draft['id']}/updates",
             {"status": "identified", "body": "Confirmed.", "publish": True})
    assert [i["incident_updates"][0]["body"] for i in told.incidents()] == ["Confirmed."]
    before = len(told.sent())
    api.post(f"/api/v1/status-page/incidents/{draft['id']}/updates",
             {"status": "monitoring", "body": "Typo fixed.", "deliver_notifications": False,
              "components": {"Database": "degraded_performance"}})
    assert len(told.sent()) == before


def test_maintenance_is_heard_of_when_scheduled_started_and_completed(told: Told) -> None:
    api = told.api
    start = api.clock.now + timedelta(hours=1)
    api.post("/api/v1/status-page/maintenances", {
        "name": "Database upgrade", "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=2)).isoformat(), "components": ["Database"]})
    for hours in (1, 2):
        api.clock.advance(hours=hours)
        with api.db.unit_of_work() as session:
            assert maintenance.step_due(session, api.clock.now) == 1
    sent = told.incidents()
    assert [m["status"] for m in sent] == ["scheduled", "in_progress", "completed"]
    assert all(m["scheduled_for"] and m["scheduled_until"] for m in sent)


def _schedule_reschedule_start_complete(api: Api) -> None:
    start = api.clock.now + timedelta(hours=1)
    made = api.post("/api/v1/status-page/maintenances", {
        "name": "Database upgrade", "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=2)).isoformat(), "components": ["Database"]}).json()
    later = start + timedelta(hours=1)
    api.clock.advance(minutes=5)  # updates are ordered by time: each its own
    moved = api.post(f"/api/v1/status-page/maintenances/{made['id']}/reschedule", {
        "scheduled_for": later.isoformat(), "scheduled_until": (later + timedelta(hours=2)).isoformat()})
    assert moved.status_code == 200, moved.text
    for hours in (2, 2):
        api.clock.advance(hours=hours)
        with api.db.unit_of_work() as session:
            assert maintenance.step_due(session, api.clock.now) == 1


def test_a_rescheduled_maintenance_is_news_with_its_new_window(told: Told) -> None:
    _schedule_reschedule_start_complete(told.api)
    sent = told.incidents()
    assert [m["status"] for m in sent] == ["scheduled", "scheduled", "in_progress", "completed"]
    assert sent[1]["incident_updates"][0]["body"] == "This maintenance has been rescheduled."
    assert sent[1]["scheduled_for"] > sent[0]["scheduled_for"]


QUIET = STATUS_PAGE + """  notify:
    incidents: {updated: false}
    maintenance: {rescheduled: false, started: false}
    component_status: {webhook: false}
"""


def test_the_page_tells_only_what_its_notify_setting_chooses(database: Database, tmp_path: Path) -> None:
    with telling(database, tmp_path, QUIET) as told:
        api = told.api
        _schedule_reschedule_start_complete(api)
        assert [m["status"] for m in told.incidents()] == ["scheduled", "completed"]
        told.box.got.clear()  # checked; their signatures' timestamps are hours old now
        _open_update_resolve(api)
        assert [i["incident_updates"][0]["body"] for i in told.incidents()] == ["We are investigating.", "Fixed."]
        assert told.components() == []  # the components moved (incident and maintenance): no webhook hears
