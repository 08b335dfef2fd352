"""The severity policy at work, with the API tests' clock: P1 opens its public incident at once, P2 once
it has lasted an hour (not at 59 minutes), P3 never on its own, a private incident or a drill never,
each internal incident once however often the job runs; a raised severity is picked up; resolving the
internal incident resolves the public one at once or proposes the resolved update to the comms lead."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from firebell.auth.service import create_token
from firebell.config import apply, load
from firebell.jobs import engine_loop
from firebell.notify.settings import Channels
from firebell.statuspage import policy_job
from firebell.store.uow import Database
from tests.api.conftest import Api
from tests.statuspage.conftest import tree

JOB = "status page severity policy"
POLICY_PAGE = """
status_page:
  name: Testorg Status
  url: https://status.testorg.example
  editors: [on-call-engineer]
  components:
    - {name: API}
    - {name: Database}
  severities:
    - {severity: P1, auto_open: immediately, publish: immediately, component_status: major_outage}
    - {severity: P2, auto_open: {after: 1h}, publish: draft, component_status: partial_outage}
    - {severity: P3, auto_open: manual, publish: draft, component_status: degraded_performance}
"""
TITLE = "Checkout DB credentials rotated by Alice"  # internal words: never public


@pytest.fixture
def policy_api(page_api: Api, tmp_path: Path) -> Api:
    (tmp_path / "policy").mkdir()
    result = load(tree(tmp_path / "policy", POLICY_PAGE))
    assert not result.errors and result.config is not None, result.errors
    with page_api.db.unit_of_work() as session:
        apply(session, result.config, now=page_api.clock.now)
    return page_api


def run_policy(api: Api) -> int:
    return engine_loop(api.db, api.clock, channels=Channels(public_url="http://testserver")).run_job(JOB)


def public_incidents(api: Api) -> list[dict[str, Any]]:
    response = api.get("/api/v1/status-page/incidents")
    assert response.status_code == 200, response.text
    return [i for i in response.json() if "scheduled_for" not in i]


def timeline(api: Api, ref: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"])


def api_component(api: Api) -> str:
    return str(next(c["status"] for c in api.client.get("/api/v2/components.json").json()["components"]
                    if c["name"] == "API"))


def test_p1_opens_at_once_published_with_the_template_words_and_once_only(policy_api: Api) -> None:
    api = policy_api
    incident = api.declare(title=TITLE, severity="P1", services=["api"])
    assert run_policy(api) == 1
    (public,) = public_incidents(api)
    assert public["draft"] is False and public["status"] == "investigating" and public["impact"] == "critical"
    assert public["name"] == "Investigating degraded service"  # the built-in status_investigating title
    (update,) = public["incident_updates"]
    assert "We are currently investigating" in update["body"]
    assert TITLE not in str(public) and "Alice" not in str(public)
    assert [c["name"] for c in public["components"]] == ["API"] and api_component(api) == "major_outage"
    (opened,) = [e for e in timeline(api, incident["ref"]) if e["type"] == "public_incident_opened"]
    assert opened["actor"] == "firebell" and opened["data"]["automatic"] is True
    assert "severity's policy opened a public incident" in opened["text"]
    # Again, later, from a second engine: nothing more.
    api.clock.advance(hours=3)
    assert run_policy(api) == 0 and run_policy(api) == 0
    assert len(public_incidents(api)) == 1


def test_two_engines_at_once_open_one_public_incident(policy_api: Api) -> None:
    api = policy_api
    api.declare(title=TITLE, severity="P1", services=["api"])
    start = threading.Barrier(2)
    opened: list[int] = []

    def engine() -> None:
        loop = engine_loop(api.db, api.clock, channels=Channels(public_url="http://testserver"))
        start.wait()
        opened.append(loop.run_job(JOB))

    threads = [threading.Thread(target=engine) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(opened) == [0, 1] and len(public_incidents(api)) == 1


def test_p2_waits_an_hour_and_leaves_a_draft(policy_api: Api) -> None:
    api = policy_api
    api.declare(title=TITLE, severity="P2", services=["api"])
    api.clock.advance(minutes=59)
    assert run_policy(api) == 0 and public_incidents(api) == []
    api.clock.advance(minutes=1)
    assert run_policy(api) == 1
    (public,) = public_incidents(api)
    assert public["draft"] is True and public["impact"] == "major"
    assert api_component(api) == "operational"  # a draft writes no component status until published
    assert api.client.get("/api/v2/incidents.json").json()["incidents"] == []
    published = api.post(f"/api/v1/status-page/incidents/{public['id']}/updates",
                         {"status": "identified", "body": "We found it.", "publish": True}, who="alice")
    assert published.status_code == 200, published.text
    assert api_component(api) == "partial_outage"


def test_p3_private_and_drill_never_open(policy_api: Api) -> None:
    api = policy_api
    api.declare(title=TITLE, severity="P3", services=["api"])
    api.declare(title=TITLE, severity="P1", services=["api"], private=True)
    api.declare(title=TITLE, severity="P1", services=["api"], tags=["drill"])
    for _ in range(3):
        assert run_policy(api) == 0
        api.clock.advance(hours=2)
    assert public_incidents(api) == [] and api_component(api) == "operational"


def test_a_raised_severity_is_picked_up(policy_api: Api) -> None:
    api = policy_api
    incident = api.declare(title=TITLE, severity="P3", services=["api"])
    api.clock.advance(minutes=10)
    assert run_policy(api) == 0
    raised = api.post(f"/api/v1/incidents/{incident['ref']}/severity", {"severity": "P1", "reason": "customers"})
    assert raised.status_code == 200, raised.text
    assert run_policy(api) == 1
    assert [p["impact"] for p in public_incidents(api)] == ["critical"]


def test_resolving_a_p1_resolves_the_public_incident_at_once(policy_api: Api) -> None:
    api = policy_api
    incident = api.declare(title=TITLE, severity="P1", services=["api"])
    run_policy(api)
    api.clock.advance(minutes=30)
    assert api.post(f"/api/v1/incidents/{incident['ref']}/resolve").status_code == 200
    assert run_policy(api) == 1 and run_policy(api) == 0
    (public,) = public_incidents(api)
    assert public["status"] == "resolved" and public["proposed_resolution"] is None
    assert "has been resolved" in public["incident_updates"][0]["body"]  # the status_resolved template
    assert api_component(api) == "operational"


def _p3_spoken_for_by_hand(api: Api) -> tuple[dict[str, Any], str]:
    """A P3 (no policy: its public side is the comms lead's) and the public incident Alice opened for it."""
    incident = api.declare(title=TITLE, severity="P3", services=["api"])
    opened = api.post("/api/v1/status-page/incidents", {
        "name": "Slow API responses", "body": "We are looking into slow responses.",
        "components": {"API": "degraded_performance"}, "incidents": [incident["ref"]]}, who="alice")
    assert opened.status_code == 201, opened.text
    return incident, str(opened.json()["id"])


def test_resolving_proposes_the_resolved_update_for_the_comms_lead(policy_api: Api) -> None:
    api = policy_api
    incident, public_id = _p3_spoken_for_by_hand(api)
    api.clock.advance(minutes=20)
    api.post(f"/api/v1/incidents/{incident['ref']}/resolve")
    assert run_policy(api) == 1 and run_policy(api) == 0
    (public,) = public_incidents(api)
    assert public["status"] == "investigating"  # not yet: it waits for the comms lead
    proposed = public["proposed_resolution"]
    assert proposed is not None and "has been resolved" in proposed["body"] and TITLE not in proposed["body"]
    assert "public_resolution_proposed" in [e["type"] for e in timeline(api, incident["ref"])]
    assert api.post(f"/api/v1/status-page/incidents/{public_id}/resolve", who="vera").status_code == 403
    resolved = api.post(f"/api/v1/status-page/incidents/{public_id}/resolve", who="alice")
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["status"] == "resolved" and body["proposed_resolution"] is None
    assert body["incident_updates"][0]["body"] == proposed["body"]
    assert api_component(api) == "operational"
    assert run_policy(api) == 0


def test_job_without_a_page_does_nothing(database: Database, page_api: Api) -> None:
    with database.unit_of_work(write=False) as session:
        assert policy_job.due_to_open(session, {}, page_api.clock.now) == []


def test_a_reopened_incident_withdraws_the_proposal_and_its_next_resolution_proposes_afresh(policy_api: Api) -> None:
    api = policy_api
    incident, public_id = _p3_spoken_for_by_hand(api)
    api.clock.advance(minutes=20)
    api.post(f"/api/v1/incidents/{incident['ref']}/resolve")
    assert run_policy(api) == 1
    assert public_incidents(api)[0]["proposed_resolution"] is not None
    api.clock.advance(minutes=5)
    assert api.post(f"/api/v1/incidents/{incident['ref']}/reopen", {"reason": "errors are back"}).status_code == 200
    assert run_policy(api) == 0
    # "Resolved" would now be false: nothing waits for the comms lead.
    assert public_incidents(api)[0]["proposed_resolution"] is None
    api.clock.advance(minutes=40)
    api.post(f"/api/v1/incidents/{incident['ref']}/resolve")
    assert run_policy(api) == 1 and run_policy(api) == 0
    (public,) = public_incidents(api)
    proposed = public["proposed_resolution"]
    assert public["status"] == "investigating" and proposed is not None and "has been resolved" in proposed["body"]
    proposals = [e for e in timeline(api, incident["ref"]) if e["type"] == "public_resolution_proposed"]
    assert len(proposals) == 2, "the second resolution is proposed to the comms lead too"
    resolved = api.post(f"/api/v1/status-page/incidents/{public_id}/resolve", who="alice")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"


def test_an_incident_made_private_after_it_went_public_is_not_spoken_for(policy_api: Api) -> None:
    """Made private once its public incident is open (it turned out to be a security matter): its
    resolution is not published for it, nor proposed from its words. The comms lead resolves the
    public incident by hand, when they choose; the public side learns nothing of the private one."""
    api = policy_api
    incident = api.declare(title=TITLE, severity="P1", services=["api"])
    assert run_policy(api) == 1
    assert api.patch(f"/api/v1/incidents/{incident['ref']}", {"private": True}).status_code == 200
    before = api.client.get("/api/v2/summary.json").json()
    api.clock.advance(minutes=30)
    assert api.post(f"/api/v1/incidents/{incident['ref']}/resolve").status_code == 200
    assert run_policy(api) == 0
    (public,) = public_incidents(api)
    assert public["status"] == "investigating" and public["proposed_resolution"] is None
    assert api.client.get("/api/v2/summary.json").json() == before


def test_a_public_incident_with_a_proposed_resolution_can_be_deleted(policy_api: Api) -> None:
    """Statuspage's v1 DELETE of a public incident whose resolved update waits for the comms lead: it
    was a 500 (the proposal still pointed at it) that deleted nothing."""
    api = policy_api
    incident = api.declare(title=TITLE, severity="P3", services=["api"])
    opened = api.post("/api/v1/status-page/incidents", {"name": "Slow API responses",
                                                        "incidents": [incident["ref"]]}, who="alice")
    api.post(f"/api/v1/incidents/{incident['ref']}/resolve")
    assert run_policy(api) == 1 and public_incidents(api)[0]["proposed_resolution"] is not None
    with api.db.unit_of_work() as session:
        key = create_token(session, user_name="admin", role="admin", name="t", now=api.clock.now, scope="statuspage")
    page_id = api.client.get("/api/v2/summary.json").json()["page"]["id"]
    deleted = api.client.delete(f"/v1/pages/{page_id}/incidents/{opened.json()['id']}",
                                headers={"Authorization": f"OAuth {key.token}"})
    assert deleted.status_code == 200, deleted.text
    assert public_incidents(api) == [] and run_policy(api) == 0
