"""The live Statuspage JSON and the comms lead's API, on both stores: every endpoint's keys and
value types against wire-formats section 5, who may change the page, private incidents never linked,
maintenance moved by the clock, the cache invalidated on change."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from firebell.app import create_app
from firebell.statuspage import maintenance
from firebell.store.uow import Database
from tests.api.conftest import Api

V2 = "/api/v2"
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$")
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {"id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
                  "start_date", "group_id", "page_id", "group", "only_show_if_degraded"}
INCIDENT_KEYS = {"id", "name", "status", "impact", "created_at", "updated_at", "monitoring_at", "resolved_at",
                 "started_at", "shortlink", "page_id", "incident_updates", "components"}
UPDATE_KEYS = {"id", "status", "body", "incident_id", "created_at", "updated_at", "display_at", "affected_components",
               "deliver_notifications", "custom_tweet", "tweet_id"}


def _ts(value: Any, nullable: bool = False) -> None:
    assert (nullable and value is None) or (isinstance(value, str) and TS.match(value)), value


def check_page(page: dict[str, Any]) -> None:
    assert set(page) == PAGE_KEYS and page["time_zone"] == "Europe/Stockholm"
    assert all(isinstance(page[k], str) for k in ("id", "name", "url"))
    _ts(page["updated_at"])


def check_component(c: dict[str, Any], page_id: str) -> None:
    assert set(c) == COMPONENT_KEYS | ({"components"} if c["group"] else set())
    assert c["status"] in COMPONENT_STATUSES and c["page_id"] == page_id
    assert isinstance(c["position"], int) and isinstance(c["showcase"], bool)
    assert isinstance(c["only_show_if_degraded"], bool) and isinstance(c["group"], bool)
    assert c["description"] is None or isinstance(c["description"], str)
    assert c["group_id"] is None or isinstance(c["group_id"], str)
    _ts(c["created_at"])
    _ts(c["updated_at"])
    if c["group"]:
        assert all(isinstance(i, str) for i in c["components"])


def check_incident(i: dict[str, Any], page_id: str, maintenance_: bool = False) -> None:
    assert set(i) == INCIDENT_KEYS | ({"scheduled_for", "scheduled_until"} if maintenance_ else set())
    statuses = ({"scheduled", "in_progress", "verifying", "completed"} if maintenance_ else
                {"investigating", "identified", "monitoring", "resolved", "postmortem"})
    assert i["status"] in statuses and i["page_id"] == page_id
    assert i["impact"] in {"none", "minor", "major", "critical", "maintenance"}
    stamped = ("created_at", "updated_at", "started_at")
    for key in stamped + (("scheduled_for", "scheduled_until") if maintenance_ else ()):
        _ts(i[key])
    _ts(i["monitoring_at"], nullable=True)
    _ts(i["resolved_at"], nullable=True)
    assert i["shortlink"] == f"https://status.testorg.example/incidents/{i['id']}.html"
    for u in i["incident_updates"]:
        assert set(u) == UPDATE_KEYS and u["incident_id"] == i["id"] and u["status"] in statuses
        assert isinstance(u["body"], str) and isinstance(u["deliver_notifications"], bool)
        for key in ("created_at", "updated_at", "display_at"):
            _ts(u[key])
        for a in u["affected_components"] or []:
            assert set(a) == {"code", "name", "old_status", "new_status"} and a["new_status"] in COMPONENT_STATUSES
    stamps = [u["created_at"] for u in i["incident_updates"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    for c in i["components"]:
        check_component(c, page_id)


def v2(api: Api, endpoint: str) -> dict[str, Any]:
    response = api.client.get(f"{V2}/{endpoint}")  # no credentials: the public JSON
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return dict(response.json())


def _component_id(api: Api, name: str) -> str:
    return next(c["id"] for c in v2(api, "components.json")["components"] if c["name"] == name)


def test_every_endpoint_has_statuspages_keys_and_types(page_api: Api) -> None:
    api = page_api
    summary = v2(api, "summary.json")
    assert set(summary) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    names = [c["name"] for c in summary["components"]]
    assert names == ["API", "Data", "Database", "Search"]  # a group is followed by its components
    incident = api.declare(title="Internal: db01 disk full, Alice paged", severity="P1")
    response = api.post("/api/v1/status-page/incidents", {
        "name": "Elevated API errors", "body": "We are investigating.", "components": {"API": "partial_outage"},
        "incidents": [incident["ref"]]}, who="alice")
    assert response.status_code == 201, response.text
    public = response.json()
    assert public["impact"] == "major" and public["draft"] is False
    api.clock.advance(minutes=5)
    updated = api.post(f"/api/v1/status-page/incidents/{public['id']}/updates", {
        "status": "monitoring", "body": "A fix is out.", "components": {"Database": "degraded_performance"}},
        who="alice")
    assert updated.status_code == 200, updated.text
    start = api.clock.now + timedelta(days=1)
    scheduled = api.post("/api/v1/status-page/maintenances", {
        "name": "Database upgrade", "body": "Planned.", "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=2)).isoformat(), "components": ["Database"]})
    assert scheduled.status_code == 201, scheduled.text

    summary = v2(api, "summary.json")
    page_id = summary["page"]["id"]
    assert re.fullmatch(r"[a-z0-9]{12}", page_id)
    check_page(summary["page"])
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    for c in summary["components"]:
        check_component(c, page_id)
    data = next(c for c in summary["components"] if c["name"] == "Data")
    assert data["status"] == "degraded_performance" and len(data["components"]) == 2  # its worst child
    [open_one] = summary["incidents"]
    check_incident(open_one, page_id)
    assert [u["status"] for u in open_one["incident_updates"]] == ["monitoring", "investigating"]
    assert open_one["incident_updates"][1]["affected_components"] == [
        {"code": _component_id(api, "API"), "name": "API", "old_status": "operational",
         "new_status": "partial_outage"}]
    [coming] = summary["scheduled_maintenances"]
    check_incident(coming, page_id, maintenance_=True)
    assert v2(api, "status.json") == {"page": summary["page"], "status": summary["status"]}
    assert v2(api, "components.json")["components"] == summary["components"]
    for endpoint, key, expected in (("incidents.json", "incidents", 1), ("incidents/unresolved.json", "incidents", 1),
                                    ("scheduled-maintenances.json", "scheduled_maintenances", 1),
                                    ("scheduled-maintenances/upcoming.json", "scheduled_maintenances", 1),
                                    ("scheduled-maintenances/active.json", "scheduled_maintenances", 0)):
        body = v2(api, endpoint)
        assert set(body) == {"page", key} and len(body[key]) == expected, endpoint
        for item in body[key]:
            check_incident(item, page_id, maintenance_=key == "scheduled_maintenances")

    # The internal incident's timeline says what the public was told; nothing internal went public.
    timeline = api.get(f"/api/v1/incidents/{incident['ref']}/timeline").json()
    events = timeline.get("events") if isinstance(timeline, dict) else timeline
    kinds = [e.get("type") or e.get("kind") for e in events]
    assert "public_incident_opened" in kinds and "public_incident_updated" in kinds
    every = "".join(v2(api, e).__repr__() for e in ("summary.json", "incidents.json", "scheduled-maintenances.json"))
    assert "db01" not in every and "Alice" not in every and incident["ref"] not in every

    resolved = api.post(f"/api/v1/status-page/incidents/{public['id']}/resolve", {"body": "Fixed."}, who="alice")
    assert resolved.status_code == 200, resolved.text
    after = v2(api, "summary.json")
    assert after["incidents"] == [] and after["status"]["indicator"] == "none"  # the cache moved with the change
    assert {c["name"]: c["status"] for c in after["components"]}["API"] == "operational"


def test_who_may_change_the_page(page_api: Api) -> None:
    api = page_api
    body = {"name": "Slow dashboard", "components": {"API": "degraded_performance"}}
    assert api.post("/api/v1/status-page/incidents", body, who="bob").status_code == 403  # no editor role
    assert api.post("/api/v1/status-page/incidents", body, who="vera").status_code == 403  # a viewer
    assert api.post("/api/v1/status-page/incidents", body, who=None).status_code == 401
    assert api.client.put("/api/v1/status-page/components/API", json={"status": "major_outage"},
                          headers={"Authorization": f"Bearer {api.tokens['alice']}"}).status_code == 200
    assert v2(api, "status.json")["status"]["indicator"] == "critical"


def test_a_private_incident_is_never_linked(page_api: Api) -> None:
    api = page_api
    private = api.declare(title="Secret breach", severity="P1", private=True)
    before = v2(api, "summary.json")
    refused = api.post("/api/v1/status-page/incidents", {
        "name": "Outage", "components": {"API": "major_outage"}, "incidents": [private["ref"]]})
    assert refused.status_code == 409 and "private" in refused.json()["detail"]
    assert v2(api, "summary.json") == before  # nothing public changed
    hidden = api.post("/api/v1/status-page/incidents", {"name": "Outage", "incidents": [private["ref"]]}, who="alice")
    assert hidden.status_code in (404, 409)


def test_a_draft_waits_for_publishing(page_api: Api) -> None:
    api = page_api
    draft = api.post("/api/v1/status-page/incidents", {"name": "Maybe trouble", "draft": True,
                                                        "components": {"API": "major_outage"}}).json()
    assert v2(api, "incidents.json")["incidents"] == [] and v2(api, "status.json")["status"]["indicator"] == "none"
    api.clock.advance(minutes=1)
    api.post(f"/api/v1/status-page/incidents/{draft['id']}/updates",
             {"status": "identified", "body": "Found it.", "publish": True})
    assert v2(api, "status.json")["status"]["indicator"] == "critical"
    assert [i["name"] for i in v2(api, "incidents.json")["incidents"]] == ["Maybe trouble"]


def test_maintenance_starts_and_completes_on_time(page_api: Api) -> None:
    api = page_api
    api.client.put("/api/v1/status-page/components/Database", json={"status": "degraded_performance"},
                   headers={"Authorization": f"Bearer {api.tokens['admin']}"})
    start = api.clock.now + timedelta(hours=1)
    created = api.post("/api/v1/status-page/maintenances", {
        "name": "Database upgrade", "scheduled_for": start.isoformat(),
        "scheduled_until": (start + timedelta(hours=2)).isoformat(), "components": ["Database"]}).json()
    statuses = {c["name"]: c["status"] for c in v2(api, "components.json")["components"]}

    def step() -> int:
        with api.db.unit_of_work() as session:
            return maintenance.step_due(session, api.clock.now)

    assert step() == 0 and statuses["Database"] == "degraded_performance"
    api.clock.advance(hours=1)
    assert step() == 1
    active = v2(api, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [m["id"] for m in active] == [created["id"]] and active[0]["status"] == "in_progress"
    assert {c["name"]: c["status"] for c in v2(api, "components.json")["components"]}["Database"] == "under_maintenance"
    assert v2(api, "status.json")["status"] == {"indicator": "minor", "description": "Minor Service Outage"} or \
        v2(api, "status.json")["status"]["indicator"] == "maintenance"
    api.clock.advance(hours=2)
    assert step() == 1
    assert {c["name"]: c["status"] for c in v2(api, "components.json")["components"]}["Database"] == \
        "degraded_performance"  # back to what it was
    done = v2(api, "scheduled-maintenances.json")["scheduled_maintenances"][0]
    assert done["status"] == "completed" and [u["status"] for u in done["incident_updates"]] == [
        "completed", "in_progress", "scheduled"]
    assert v2(api, "scheduled-maintenances/active.json")["scheduled_maintenances"] == []


def test_no_page_no_json(database: Database) -> None:
    client = TestClient(create_app(database))
    assert client.get(f"{V2}/summary.json").status_code == 404
