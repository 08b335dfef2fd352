"""/api/v1/templates on both stores: where each part comes from, the variables, and previews against a
real incident or the sample, of configured or unsaved text, with problems at their lines."""

from __future__ import annotations

from firebell.messages.models import MessageTemplate
from tests.api.conftest import Api


def configure(api: Api, purpose: str, channel: str, service: str = "", **parts: str) -> None:
    name = "/".join(p for p in (purpose, channel, service) if p)
    with api.db.unit_of_work() as session:
        session.add(MessageTemplate(name=name, purpose=purpose, channel=channel, service=service, parts=parts))


def test_the_list_says_where_each_part_comes_from(api: Api) -> None:
    configure(api, "update", "slack", text="ORG {{ incident.ref }}")
    configure(api, "update", "slack", "api", text="API {{ incident.ref }}")
    listing = {t["name"]: t for t in api.get("/api/v1/templates", who="alice").json()}
    assert set(listing) >= {"page", "escalation", "declared", "update", "customer_email"}
    update = {c["channel"]: c["parts"] for c in listing["update"]["channels"]}
    assert update["slack"] == [{"part": "text", "source": "organisation", "text": "ORG {{ incident.ref }}",
                                "services": ["api"]}]
    assert [(p["part"], p["source"]) for p in update["email"]] == [
        ("subject", "built-in"), ("text", "built-in"), ("html", "built-in")]
    assert listing["escalation"]["wording"] == 'TenSafe "Escalation Communication"'
    shown = api.get("/api/v1/templates/update", who="alice", service="api").json()
    assert shown["channels"][0]["parts"][0]["source"] == "service api"
    assert "Current Status" in api.get("/api/v1/templates/update").json()["channels"][1]["parts"][1]["text"]
    missing = api.get("/api/v1/templates/updates")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_the_variables_have_their_meaning(api: Api) -> None:
    found = {v["name"]: v["meaning"] for v in api.get("/api/v1/templates/escalation/variables").json()}
    assert found["escalation.help"] == "the help needed" and found["incident.ref"].startswith("the incident's")
    assert "page.reason" not in found and "now" in found


def test_a_preview_renders_the_sample_or_a_real_incident(api: Api) -> None:
    sample = api.post("/api/v1/templates/update/preview", {"channel": "slack"}, who="alice").json()
    assert sample["incident"] == "sample" and "*What we know*: a bad deploy" in sample["parts"]["text"]
    assert sample["sources"] == {"text": "built-in"} and sample["fell_back"] == []
    ref = api.declare(title="Checkout down", impact="EU checkout")["ref"]
    real = api.post("/api/v1/templates/escalation/preview", {"channel": "email", "incident": ref}, who="alice").json()
    assert real["incident"] == ref and real["parts"]["subject"] == f"[P1] {ref} needs help: Checkout down"
    assert "Impact: EU checkout" in real["parts"]["text"]
    default = api.post("/api/v1/templates/escalation/preview", {"incident": ref}).json()
    assert default["channel"] == "slack"


def test_unsaved_text_wins_and_problems_come_back_with_their_lines(api: Api) -> None:
    configure(api, "page", "sms", text="ORG {{ incident.ref }}")
    configure(api, "page", "sms", "api", text="API {{ incident.ref }}")
    body = {"channel": "sms", "service": "api"}
    assert api.post("/api/v1/templates/page/preview", body).json()["parts"] == {"text": "API INC-42"}
    unsaved = api.post("/api/v1/templates/page/preview", body | {"parts": {"text": "NEW {{ incident.title }}"}})
    assert unsaved.json()["parts"] == {"text": "NEW API error rate above 5 %"}
    assert unsaved.json()["sources"] == {"text": "unsaved"}
    broken = api.post("/api/v1/templates/page/preview",
                      body | {"parts": {"text": "line one\n{{ incident.titel }}\n{% if %}"}})
    assert broken.status_code == 422 and broken.headers["content-type"] == "application/problem+json"
    (error,) = broken.json()["errors"]
    assert error["field"] == "parts.text" and error["line"] == 3 and "syntax error" in error["message"]
    unknown = api.post("/api/v1/templates/page/preview", body | {"parts": {"text": "a\n\n{{ incident.titel }}"}})
    (error,) = unknown.json()["errors"]
    assert error["line"] == 3 and "unknown variable 'incident.titel'" in error["message"]
    wrong_part = api.post("/api/v1/templates/page/preview", body | {"parts": {"subject": "x"}})
    assert wrong_part.status_code == 422 and "has no part 'subject'" in wrong_part.json()["detail"]
    wrong_channel = api.post("/api/v1/templates/page/preview", {"channel": "chat"})
    assert wrong_channel.status_code == 422
    assert "its channels: email, sms, voice, slack" in wrong_channel.json()["detail"]
    at_run_time = api.post("/api/v1/templates/page/preview", body | {"parts": {"text": "{{ 1 // 0 }}"}}).json()
    assert at_run_time["sources"] == {"text": "built-in"} and at_run_time["parts"]["text"].startswith("Firebell INC-42")
    assert "unsaved template failed" in at_run_time["fell_back"][0]["message"]


def test_a_private_incident_is_a_404_to_those_who_cannot_see_it(api: Api) -> None:
    breach = api.declare(title="Suspected JWT theft", services=["auth"], private=True, who="sam")["ref"]
    hidden = api.post("/api/v1/templates/update/preview", {"incident": breach}, who="alice")
    missing = api.post("/api/v1/templates/update/preview", {"incident": "INC-404"}, who="alice")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == f"incident {breach} not found"
    assert api.post("/api/v1/templates/update/preview", {"incident": breach}, who="sam").status_code == 200
    assert api.post("/api/v1/templates/update/preview", {}, who=None).status_code == 401


def test_openapi_documents_the_answers(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    operation = document["paths"]["/api/v1/templates/{name}/preview"]["post"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    assert "line" in document["components"]["schemas"]["FieldError"]["properties"]
