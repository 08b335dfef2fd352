"""What an outside tester throws at the status page's management APIs (Statuspage's v1, and the comms
lead's /api/v1/status-page), on both stores: every odd body or path is a 4xx whose message names what
is wrong, never a 500 and never a half-written state, and the public side is still served afterwards."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api
from tests.statuspage.statuspage_v1_client import StatuspageClient
from tests.statuspage.test_v1_api import _key


@pytest.fixture
def v1(page_api: Api) -> StatuspageClient:
    client = StatuspageClient(page_api.client, _key(page_api, "admin", "admin"))
    client.page_id = client.pages().json()[0]["id"]
    return client


def _public_incidents(api: Api) -> list[dict[str, Any]]:
    response = api.client.get("/api/v2/incidents.json")
    assert response.status_code == 200
    return list(response.json()["incidents"])


def _refused(response: Any, *words: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert all(word in detail for word in words), detail


@pytest.mark.parametrize(("starts", "ends", "why"), [
    # past the last instant a datetime holds, and before the first
    ("9999-12-31T22:00:00-05:00", "9999-12-31T23:00:00-05:00", "incident.scheduled_for: Value error, is outside"),
    ("0001-01-01T00:00:00+05:00", "0001-01-01T01:00:00+05:00", "incident.scheduled_for: Value error, is outside"),
    # held, but a page in Stockholm's zone could not show them (this one took the page down: a 500)
    ("9999-12-30T00:00:00Z", "9999-12-31T00:00:00Z", "within ten years"),
    ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z", "within ten years"),
])
def test_a_maintenance_at_the_ends_of_time_is_refused_and_the_page_stays_up(page_api: Api, v1: StatuspageClient,
                                                                             starts: str, ends: str, why: str) -> None:
    made = v1.create_incident(name="Far away", status="scheduled", scheduled_for=starts, scheduled_until=ends)
    _refused(made, why)
    assert _public_incidents(page_api) == []
    for path in ("/status/", "/status/history", "/history.atom", "/api/v2/summary.json"):
        assert page_api.client.get(path).status_code == 200, path


def test_a_reschedule_to_the_end_of_time_is_refused(page_api: Api, v1: StatuspageClient) -> None:
    now = page_api.clock.now
    made = v1.create_incident(name="Upgrade", status="scheduled", scheduled_for=now.replace(year=2027).isoformat(),
                              scheduled_until=now.replace(year=2027, hour=5).isoformat())
    assert made.status_code == 201, made.text
    moved = v1.update_incident(made.json()["id"], scheduled_until="9999-12-31T23:00:00-05:00")
    _refused(moved, "scheduled_until")
    moved = v1.update_incident(made.json()["id"], scheduled_until="9000-01-01T00:00:00Z")
    _refused(moved, "within ten years")
    assert page_api.client.get("/status/").status_code == 200


@pytest.mark.parametrize("fields", [
    {"name": "Slow \x00API"},
    {"name": "Slow API", "body": "We are \x00looking"},
])
def test_nul_in_an_incident_is_refused_naming_the_field(page_api: Api, v1: StatuspageClient,
                                                        fields: dict[str, str]) -> None:
    _refused(v1.create_incident(**fields), "NUL")
    assert _public_incidents(page_api) == []


def test_nul_in_a_postmortem_or_a_component_is_refused(page_api: Api, v1: StatuspageClient) -> None:
    opened = v1.create_incident(name="Slow API")
    assert opened.status_code == 201, opened.text
    _refused(v1.put_postmortem(opened.json()["id"], body_draft="A \x00cause"), "postmortem.body_draft", "NUL")
    _refused(v1.update_incident(opened.json()["id"], body="more\x00"), "incident.body", "NUL")
    _refused(v1.create_component("Web\x00hooks"), "component.name", "NUL")
    assert [u["body"] for u in _public_incidents(page_api)[0]["incident_updates"]] == [""]


@pytest.mark.parametrize("path", ["/components/a%00b", "/incidents/a%00b", "/component-groups/a%00b",
                                  "/incidents/a%00b/postmortem"])
def test_nul_in_a_path_is_refused(v1: StatuspageClient, path: str) -> None:
    response = v1.http.get(f"/v1/pages/{v1.page_id}{path}", headers=v1.headers)
    _refused(response, "NUL")


@pytest.mark.parametrize("name", [" " * 3, "x" * 201])
def test_a_rename_keeps_the_names_rule(page_api: Api, v1: StatuspageClient, name: str) -> None:
    opened = v1.create_incident(name="Slow API")
    assert opened.status_code == 201, opened.text
    _refused(v1.update_incident(opened.json()["id"], name=name), "name")
    assert [i["name"] for i in _public_incidents(page_api)] == ["Slow API"]


def test_a_rename_is_trimmed(page_api: Api, v1: StatuspageClient) -> None:
    opened = v1.create_incident(name="Slow API")
    renamed = v1.update_incident(opened.json()["id"], name="  Slow API responses ")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Slow API responses"


def test_the_shortlink_leads_to_the_incident_page(page_api: Api, v1: StatuspageClient) -> None:
    opened = v1.create_incident(name="Slow API")
    link = opened.json()["shortlink"]
    [listed] = _public_incidents(page_api)
    assert listed["shortlink"] == link
    prefix = "https://status.testorg.example/"
    assert link.startswith(prefix)
    page = page_api.client.get(f"/status/{link.removeprefix(prefix)}")
    assert page.status_code == 200 and "Slow API" in page.text


def test_deep_json_is_a_400_saying_so(page_api: Api, v1: StatuspageClient) -> None:
    """It was a 400 that called the body "not UTF-8 JSON"; the REST API's depth check now covers /v1/ too."""
    deep = '{"incident": {"name": "Deep", "metadata": ' + '{"a":' * 5000 + "1" + "}" * 5000 + "}}"
    response = v1.http.post(f"/v1/pages/{v1.page_id}/incidents", content=deep.encode(),
                            headers=v1.headers | {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("the JSON is nested too deeply")
    assert _public_incidents(page_api) == []


@pytest.mark.parametrize(("fields", "why"), [
    ({"scheduled_for": "2027-01-01T10:00:00", "scheduled_until": "2027-01-01T12:00:00"},
     "scheduled_for: Input should have timezone info"),  # a naive time was compared with an aware one: 500
    ({"scheduled_for": "9999-12-31T22:00:00-05:00", "scheduled_until": "9999-12-31T23:00:00-05:00"},
     "scheduled_for: Value error, is outside"),
    ({"scheduled_for": "9999-12-30T00:00:00Z", "scheduled_until": "9999-12-31T00:00:00Z"}, "within ten years"),
    ({"name": "Upgrade\x00", "scheduled_for": "2027-01-01T10:00:00Z", "scheduled_until": "2027-01-01T12:00:00Z"},
     "name: Value error, contains a NUL character"),
])
def test_the_comms_leads_api_refuses_the_same(page_api: Api, fields: dict[str, str], why: str) -> None:
    made = page_api.post("/api/v1/status-page/maintenances", {"name": "Upgrade"} | fields, who="alice")
    _refused(made, why)
    assert page_api.client.get("/status/").status_code == 200
    opened = page_api.post("/api/v1/status-page/incidents", {"name": "Slow", "components": {"API\x00": "major_outage"}},
                           who="alice")
    _refused(opened, "NUL")
    assert _public_incidents(page_api) == []


def test_an_unknown_component_is_a_422_not_a_404(page_api: Api, v1: StatuspageClient) -> None:
    """A 404 on PATCH incidents/{id} or component-groups/{id} tells a Terraform provider the resource
    is gone (it drops it from its state); a component that is not there is a fault of the body."""
    opened = v1.create_incident(name="Slow API")
    assert opened.status_code == 201
    _refused(v1.create_incident(name="Other", components={"nope": "major_outage"}), "no component 'nope'")
    patched = v1.update_incident(opened.json()["id"], body="Worse.", component_ids=["nope"])
    assert patched.status_code == 422 and "no component 'nope'" in patched.json()["detail"]
    assert [len(i["incident_updates"]) for i in _public_incidents(page_api)] == [1]
    group = v1.create_group("Edge", components=["nope"])
    assert group.status_code == 422 and "no component 'nope'" in group.json()["detail"]
    assert v1.groups().json() == [g for g in v1.groups().json() if g["name"] != "Edge"]
