"""The status page's management API (Statuspage v1), driven by a client written from Statuspage's
documented request shapes (statuspage_v1_client.py), on both stores: what a re-pointed script or
Terraform provider does, what the public then sees, what the configuration keeps, and Idempotency-Key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firebell.auth.service import create_token
from firebell.config import apply, load
from tests.api.conftest import Api
from tests.statuspage.conftest import tree
from tests.statuspage.statuspage_v1_client import StatuspageClient


def _key(api: Api, who: str, role: str) -> str:
    with api.db.unit_of_work() as session:
        return create_token(session, user_name=who, role=role, name="terraform", now=api.clock.now,
                            scope="statuspage").token


@pytest.fixture
def v1(page_api: Api) -> StatuspageClient:
    client = StatuspageClient(page_api.client, _key(page_api, "admin", "admin"))
    pages = client.pages()
    assert pages.status_code == 200, pages.text
    client.page_id = pages.json()[0]["id"]
    return client


def _public(api: Api, path: str) -> Any:
    response = api.client.get(f"/api/v2/{path}")
    assert response.status_code == 200
    return response.json()


def _by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


def test_a_script_opens_updates_resolves_and_deletes_an_incident(page_api: Api, v1: StatuspageClient) -> None:
    made = v1.create_component("Webhooks", description="Outbound webhooks", status="operational")
    assert made.status_code == 201, made.text
    webhooks = made.json()
    assert webhooks["page_id"] == v1.page_id and webhooks["status"] == "operational"
    assert _by_name(v1.components().json(), "Webhooks")["id"] == webhooks["id"]

    opened = v1.create_incident(name="Webhook deliveries delayed", status="investigating",
                                body="Some webhooks arrive minutes late.",
                                components={webhooks["id"]: "partial_outage"}, deliver_notifications=True,
                                auto_tweet_on_creation=True)  # Statuspage's tweet fields are taken and ignored
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    assert incident["status"] == "investigating" and incident["impact"] == "major"
    assert incident["incident_updates"][0]["body"] == "Some webhooks arrive minutes late."
    summary = _public(page_api, "summary.json")
    assert _by_name(summary["components"], "Webhooks")["status"] == "partial_outage"
    assert [i["name"] for i in summary["incidents"]] == ["Webhook deliveries delayed"]
    assert summary["status"]["indicator"] == "major"

    page_api.clock.advance(minutes=20)
    identified = v1.update_incident(incident["id"], status="identified", body="A queue consumer is stuck.")
    assert identified.status_code == 200, identified.text
    assert [u["status"] for u in identified.json()["incident_updates"]] == ["identified", "investigating"]

    page_api.clock.advance(minutes=20)
    resolved = v1.update_incident(incident["id"], status="resolved", body="Deliveries are back to normal.")
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    assert _public(page_api, "incidents/unresolved.json")["incidents"] == []
    assert _by_name(_public(page_api, "components.json")["components"], "Webhooks")["status"] == "operational"

    draft = v1.put_postmortem(incident["id"], body_draft="Root cause: a stuck consumer.")
    assert draft.status_code == 200 and draft.json()["published_at"] is None
    published = v1.put_postmortem(incident["id"], body="Root cause: a stuck consumer.", notify_subscribers=False)
    assert published.json()["body"] == "Root cause: a stuck consumer." and published.json()["published_at"]
    assert _public(page_api, "incidents.json")["incidents"][0]["status"] == "postmortem"

    deleted = v1.delete_incident(incident["id"])
    assert deleted.status_code == 200 and deleted.json()["id"] == incident["id"]
    assert _public(page_api, "incidents.json")["incidents"] == []
    assert v1.delete_component(webhooks["id"]).status_code == 204
    assert "Webhooks" not in [c["name"] for c in v1.components().json()]


def test_components_of_the_configuration_take_a_status_but_keep_their_layout(page_api: Api, v1: StatuspageClient,
                                                                             tmp_path: Path) -> None:
    api_component = _by_name(v1.components().json(), "API")
    renamed = v1.update_component(api_component["id"], name="Public API")
    assert renamed.status_code == 409 and "status_page:" in renamed.json()["detail"]
    assert v1.delete_component(api_component["id"]).status_code == 409
    degraded = v1.update_component(api_component["id"], status="degraded_performance")
    assert degraded.status_code == 200 and degraded.json()["status"] == "degraded_performance"
    assert _public(page_api, "status.json")["status"]["indicator"] == "minor"

    made = v1.create_component("Webhooks").json()
    group = v1.create_group("Delivery", [made["id"]])
    assert group.status_code == 201 and group.json()["components"] == [made["id"]]
    # Applying the tree again leaves what the API made alone, and keeps the status it set.
    (tmp_path / "again").mkdir()
    result = load(tree(tmp_path / "again"))
    assert result.config is not None
    with page_api.db.unit_of_work() as session:
        applied = apply(session, result.config, now=page_api.clock.now)
    assert not [str(c) for c in applied.changes if "Webhooks" in str(c) or "Delivery" in str(c)]
    names = {c["name"]: c for c in v1.components().json()}
    assert names["Webhooks"]["group_id"] == group.json()["id"]
    assert names["API"]["status"] == "degraded_performance"


def test_an_idempotency_key_makes_a_retried_create_one_incident(page_api: Api, v1: StatuspageClient) -> None:
    body = {"name": "Login failures", "status": "investigating", "body": "Some sign-ins fail."}
    first = v1.create_incident(idempotency_key="retry-7", **body)
    again = v1.create_incident(idempotency_key="retry-7", **body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers.get("idempotent-replayed") == "true"
    assert len(v1.incidents().json()) == 1
    other = v1.create_incident(idempotency_key="retry-7", **(body | {"name": "Something else"}))
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    v1.create_incident(**body)
    assert len(v1.incidents().json()) == 2  # without a key, a second request is a second incident


def test_a_maintenance_is_an_incident_with_a_maintenance_status(page_api: Api, v1: StatuspageClient) -> None:
    api_component = _by_name(v1.components().json(), "API")
    start = page_api.clock.now.replace(microsecond=0)
    made = v1.create_incident(name="Database upgrade", status="scheduled", body="Writes pause for a minute.",
                              scheduled_for=(start.replace(hour=22)).isoformat(),
                              scheduled_until=(start.replace(hour=23)).isoformat(),
                              component_ids=[api_component["id"]], scheduled_auto_in_progress=True)
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "scheduled" and made.json()["impact"] == "maintenance"
    upcoming = _public(page_api, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    assert [m["name"] for m in upcoming] == ["Database upgrade"]
    assert [m["name"] for m in v1.incidents("upcoming").json()] == ["Database upgrade"]
    missing = v1.create_incident(name="No window", status="scheduled")
    assert missing.status_code == 422 and "scheduled_for" in missing.json()["detail"]


def test_who_may_use_it(page_api: Api, v1: StatuspageClient) -> None:
    viewer = StatuspageClient(page_api.client, _key(page_api, "vera", "viewer"), v1.page_id)
    assert viewer.components().status_code == 200
    refused = viewer.create_incident(name="x", status="investigating")
    assert refused.status_code == 403
    nobody = StatuspageClient(page_api.client, "fb_not-a-key", v1.page_id)
    assert nobody.components().status_code == 401
    elsewhere = StatuspageClient(page_api.client, v1.headers["Authorization"].split()[1], "nosuchpage")
    assert elsewhere.components().status_code == 404
    assert v1.create_incident(name="x", status="bogus").status_code == 422


def test_subscribers_through_the_api(page_api: Api, v1: StatuspageClient) -> None:
    made = v1.create_subscriber(email="ops@customer.example", skip_confirmation_notification=True)
    assert made.status_code == 201, made.text
    assert made.json()["email"] == "ops@customer.example" and made.json()["mode"] == "email"
    assert [s["email"] for s in v1.subscribers().json()] == ["ops@customer.example"]


def test_a_key_made_on_the_command_line_opens_the_management_api(page_api: Api) -> None:
    from typer.testing import CliRunner

    from firebell.cli.main import app

    url = page_api.db.engine.url.render_as_string(hide_password=False)
    made = CliRunner().invoke(app, ["statuspage", "key", "create", "--user", "alice", "--name", "terraform",
                                    "--database-url", url])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert "status page key for alice (responder)" in made.output and key.startswith("fb_")
    client = StatuspageClient(page_api.client, key)
    assert client.pages().status_code == 200
    assert page_api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_a_draft_is_not_there_for_the_v1_api_post_mortem_included(page_api: Api, v1: StatuspageClient) -> None:
    drafted = page_api.post("/api/v1/status-page/incidents", {
        "name": "Elevated API errors", "body": "We are investigating.", "components": {"API": "partial_outage"},
        "draft": True})
    assert drafted.status_code == 201, drafted.text
    draft_id = drafted.json()["id"]
    assert v1.incident(draft_id).status_code == 404
    assert v1.postmortem(draft_id).status_code == 404
    assert v1.put_postmortem(draft_id, body_draft="Root cause: a stuck consumer.").status_code == 404
    shown = v1.create_incident(name="Slow search", status="investigating", body="Looking.")
    assert shown.status_code == 201, shown.text
    assert v1.postmortem(shown.json()["id"]).status_code == 200
