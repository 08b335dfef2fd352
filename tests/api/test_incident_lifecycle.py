"""Declaring and working an incident through the API, with every status change checked."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


def test_declare_gives_numbered_incident_with_sla_clock(api: Api) -> None:
    first = api.declare(title="Checkout failing", severity="p1", services=["api", "database"], tags=["payments"])
    second = api.declare(severity="P3")
    assert (first["ref"], second["ref"]) == ("INC-1", "INC-2")
    assert first["status"] == "triggered" and first["stage"] == "detect" and first["severity"] == "P1"
    assert first["services"] == ["api", "database"] and first["team"] == "platform"
    assert first["declared_by"] == "admin" and first["source"] == "manual"
    assert first["sla"]["acknowledge"]["due_at"].startswith("2026-11-23T03:05:00")
    assert first["sla"]["recover"]["time_left_seconds"] == 30 * 60
    assert first["allowed_actions"] == ["acknowledge", "resolve"]


def test_full_lifecycle_and_refused_transitions(api: Api) -> None:
    ref = api.declare()["ref"]
    api.clock.advance(minutes=2)
    acked = api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice")
    assert acked.status_code == 200
    assert acked.json()["status"] == "acknowledged" and acked.json()["stage"] == "acknowledge"
    assert acked.json()["acknowledged_at"].startswith("2026-11-23T03:02:00")

    again = api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["detail"] == "INC-1 is already acknowledged"

    resolved = api.post(f"/api/v1/incidents/{ref}/resolve", {"resolution": "rolled back"}, who="alice")
    assert resolved.json()["status"] == "resolved" and resolved.json()["stage"] == "recover"
    for action, message in (("resolve", "already resolved"), ("acknowledge", "reopen it before acknowledging")):
        refused = api.post(f"/api/v1/incidents/{ref}/{action}", who="alice")
        assert refused.status_code == 409 and message in refused.json()["detail"]

    reopened = api.post(f"/api/v1/incidents/{ref}/reopen", {"reason": "errors are back"}, who="alice")
    assert reopened.json()["status"] == "triggered" and reopened.json()["resolved_at"] is None
    not_resolved = api.post(f"/api/v1/incidents/{ref}/reopen", who="alice")
    assert not_resolved.status_code == 409 and "not resolved" in not_resolved.json()["detail"]
    assert api.post(f"/api/v1/incidents/{ref}/resolve", who="alice").json()["status"] == "resolved"


def test_timeline_records_every_change_with_actor_and_time(api: Api) -> None:
    ref = api.declare(who="alice")["ref"]
    steps = [
        ("acknowledge", None), ("stage", {"stage": "Contain"}),
        ("severity", {"severity": "P2", "reason": "only EU tenants affected"}),
        ("roles", {"role": "commander", "user": "bob"}), ("notes", {"text": "rolled back deploy 42"}),
        ("updates", {"message": "Mitigated; monitoring", "status": "Monitoring"}),
        ("responders", {"user": "sam", "message": "need auth help"}),
        ("resolve", {"resolution": "fixed"}), ("reopen", {"reason": "flapping"}),
    ]
    for i, (action, body) in enumerate(steps):
        api.clock.advance(minutes=1)
        response = api.post(f"/api/v1/incidents/{ref}/{action}", body, who="alice")
        assert response.status_code == 200, (action, response.text)
        assert response.json()["version"] == i + 2
    patched = api.patch(f"/api/v1/incidents/{ref}", {"title": "Checkout 5xx", "tags": ["payments"]}, who="alice")
    assert patched.status_code == 200

    events = api.get(f"/api/v1/incidents/{ref}/timeline", who="alice").json()["events"]
    assert [e["type"] for e in events] == [
        "declared", "acknowledged", "stage_changed", "stage_changed", "severity_changed", "role_assigned",
        "note_added", "status_update", "responder_added", "resolved", "stage_changed", "reopened",
        "details_changed",
    ]
    assert {e["actor"] for e in events} == {"Alice Andersson via api"}
    by_type = {e["type"]: e for e in events}
    assert by_type["severity_changed"]["payload"] == {"from": "P1", "to": "P2", "reason": "only EU tenants affected"}
    assert by_type["role_assigned"]["payload"]["user"] == "bob"
    assert by_type["responder_added"]["payload"] == {"user": "sam", "message": "need auth help"}
    assert [e["payload"]["to"] for e in events if e["type"] == "stage_changed"] == ["acknowledge", "contain",
                                                                                     "recover"]
    assert by_type["details_changed"]["payload"]["title"] == {"from": "API 5xx above 5%", "to": "Checkout 5xx"}
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times) and times[1].startswith("2026-11-23T03:01:00")
    shown = api.get(f"/api/v1/incidents/{ref}", who="alice").json()
    assert shown["roles"] == {"commander": "bob"} and shown["responders"] == ["sam"]
    assert shown["last_update_at"].startswith("2026-11-23T03:06:00")


def test_sla_breach_shows_after_target(api: Api) -> None:
    ref = api.declare(severity="P1")["ref"]
    api.clock.advance(minutes=6)
    sla = api.get(f"/api/v1/incidents/{ref}").json()["sla"]
    assert sla["acknowledge"]["breached"] and sla["acknowledge"]["time_left_seconds"] == -60
    assert not sla["recover"]["breached"] and sla["breached"]
    api.post(f"/api/v1/incidents/{ref}/acknowledge")
    api.clock.advance(hours=1)
    sla = api.get(f"/api/v1/incidents/{ref}").json()["sla"]
    assert sla["acknowledge"]["met_at"].startswith("2026-11-23T03:06:00") and sla["acknowledge"]["breached"]
    assert sla["recover"]["breached"]


def test_p4_has_no_deadlines(api: Api) -> None:
    sla = api.declare(severity="P4")["sla"]
    assert sla == {"acknowledge": None, "recover": None, "breached": False}


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"title": "x", "severity": "P9", "services": ["api"]}, 422, "unknown severity 'P9'; severities are: P1, P2"),
    ({"title": "x", "severity": "P1", "services": ["nope"]}, 422, "unknown service 'nope'"),
    ({"title": "x", "severity": "P1"}, 422, "name at least one affected service"),
    ({"title": "", "severity": "P1", "services": ["api"]}, 422, "title"),
    ({"title": "x", "severity": "P1", "services": ["api"], "colour": "red"}, 422, "colour"),
    ({"title": "x", "severity": "P1", "services": "api"}, 422, "services"),
    ({"severity": "P1", "services": ["api"]}, 422, "title: Field required"),
])
def test_bad_declarations_are_explained(api: Api, body: dict, status: int, message: str) -> None:  # type: ignore[type-arg]
    response = api.post("/api/v1/incidents", body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]
    assert api.get("/api/v1/incidents").json()["items"] == []  # nothing half-written


def test_malformed_json_is_a_4xx(api: Api) -> None:
    response = api.client.post("/api/v1/incidents", content=b"{not json",
                               headers={"Authorization": f"Bearer {api.tokens['admin']}",
                                        "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["status"] == response.status_code


def test_other_refusals(api: Api) -> None:
    ref = api.declare(severity="P2")["ref"]
    same = api.post(f"/api/v1/incidents/{ref}/severity", {"severity": "P2", "reason": "x"})
    assert same.status_code == 409 and same.json()["detail"] == f"{ref} is already P2"
    no_reason = api.post(f"/api/v1/incidents/{ref}/severity", {"severity": "P1", "reason": " "})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    bad_stage = api.post(f"/api/v1/incidents/{ref}/stage", {"stage": "party"})
    assert bad_stage.status_code == 422 and "detect, acknowledge, contain" in bad_stage.json()["detail"]
    bad_role = api.post(f"/api/v1/incidents/{ref}/roles", {"role": "dictator", "user": "bob"})
    assert bad_role.status_code == 422 and "commander" in bad_role.json()["detail"]
    api.post(f"/api/v1/incidents/{ref}/roles", {"role": "Incident Commander", "user": "bob"})
    twice = api.post(f"/api/v1/incidents/{ref}/roles", {"role": "commander", "user": "bob"})
    assert twice.status_code == 409
    cleared = api.post(f"/api/v1/incidents/{ref}/roles", {"role": "commander", "user": None})
    assert cleared.json()["roles"] == {}
    assert api.get("/api/v1/incidents/INC-99").status_code == 404
    assert api.get("/api/v1/incidents/not-a-ref").status_code == 404
    empty_patch = api.patch(f"/api/v1/incidents/{ref}", {})
    assert empty_patch.status_code == 422
