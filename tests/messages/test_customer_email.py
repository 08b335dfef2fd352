"""The customer email through the API, on both stores: drafted by the commander or communications lead,
previewed per customer, approved by a second person (or by its writer where the severity's policy lets
one person send), sent once per customer to a real SMTP server, and refused for a private incident
without the override."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from firebell.config import apply, load
from firebell.notify.channels.email import EmailChannel, SmtpSettings
from firebell.notify.settings import Channels
from tests.api.conftest import ORG, Api
from tests.escalation.test_paging_end_to_end import engine
from tests.notify.test_email import MailSink, smtp_server

CUSTOMERS = """
customers:
  severities:
    - {severity: P1}
    - {severity: P2, approval: single_person}
  recipients:
    - {service: api, name: Acme Corp, email: ops@acme.example}
    - {service: api, name: Globex, email: it@globex.example}
    - {service: database, name: Initech, email: dba@initech.example}
"""
WORDS = {"summary": "The API returned errors for a third of requests.", "impact": "About 30 % of API calls failed.",
         "root_cause": "A bad deploy of the API gateway.", "remediation": "We rolled the deploy back.",
         "prevention": "Canary deploys for the gateway."}
URL = "/api/v1/incidents/{ref}/customer-email"


def with_customers(api: Api, tmp_path: Path, extra: str = CUSTOMERS) -> None:
    tree = tmp_path / "org.yaml"
    tree.write_text(ORG.read_text() + extra)
    result = load(tree)
    assert result.config is not None, result.errors
    with api.db.unit_of_work() as session:
        apply(session, result.config, now=api.clock.now)


def p1_with_alice_commanding(api: Api, **fields: Any) -> str:
    ref = str(api.declare(title="API 5xx above 5%", severity="P1", services=["api"], **fields)["ref"])
    assert api.post(f"/api/v1/incidents/{ref}/roles", {"role": "commander", "user": "alice"}).status_code == 200
    return ref


def deliver(api: Api) -> MailSink:
    sink = MailSink()
    with smtp_server(sink) as port:
        channels = Channels(public_url="http://testserver", clock=api.clock, by_name={"email": EmailChannel(
            SmtpSettings(host="127.0.0.1", port=port, from_address="firebell@example.com", security="none"))})
        loop = engine(api, channels)
        loop.run_once()
        loop.run_once()
    return sink


def kinds(api: Api, ref: str) -> list[str]:
    return [e["type"] for e in api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]]


def test_drafted_previewed_approved_by_a_second_person_and_delivered_once_per_customer(
        api: Api, tmp_path: Path) -> None:
    with_customers(api, tmp_path)
    ref = p1_with_alice_commanding(api)
    url = URL.format(ref=ref)
    drafted = api.post(url, WORDS, who="alice")
    assert drafted.status_code == 200, drafted.text
    assert drafted.json()["state"] == "draft" and drafted.json()["approval"] == "second_person"
    assert [r["name"] for r in drafted.json()["recipients"]] == ["Acme Corp", "Globex"]  # api's, not database's

    previews = api.get(f"{url}/preview", who="bob").json()["previews"]
    assert [(p["email"], p["text"].splitlines()[0]) for p in previews] == [
        ("ops@acme.example", "Dear Acme Corp,"), ("it@globex.example", "Dear Globex,")]
    assert "ROOT CAUSE\nA bad deploy of the API gateway." in previews[0]["text"]

    refused = api.post(f"{url}/approve", {}, who="alice")  # her own words
    assert refused.status_code == 403 and "second person" in refused.json()["detail"]
    assert deliver(api).received == []  # nothing went before approval

    approved = api.post(f"{url}/approve", {}, who="bob")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "sent" and approved.json()["approved_by"] == "Bob Berg"
    again = api.post(f"{url}/approve", {}, who="admin")
    assert again.status_code == 409 and "already sent" in again.json()["detail"]

    sink = deliver(api)
    assert sorted(str(m["To"]) for m in sink.received) == ["it@globex.example", "ops@acme.example"]
    for mail in sink.received:
        text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        name = "Acme Corp" if str(mail["To"]) == "ops@acme.example" else "Globex"
        assert text.startswith(f"Dear {name},") and "PREVENTION\nCanary deploys for the gateway." in text
        assert str(mail["Subject"]).startswith("Testorg Service Incident - ")
    assert kinds(api, ref)[-5:] == ["customer_email_drafted", "customer_email_approved", "customer_email_sent",
                                    "message_sent", "message_sent"]
    texts = [e["text"] for e in api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]]
    assert any("approved the customer email written by Alice Andersson" in t for t in texts)
    assert any("Sent the customer email message by email to Acme Corp <ops@acme.example>" in t for t in texts)
    assert deliver(api).received == []  # once per customer, whatever runs again


def test_a_severity_whose_policy_lets_one_person_send_needs_no_second(api: Api, tmp_path: Path) -> None:
    with_customers(api, tmp_path)
    ref = str(api.declare(title="Checkout slow", severity="P2", services=["database"])["ref"])
    url = URL.format(ref=ref)
    assert api.post(url, WORDS, who="admin").status_code == 200
    approved = api.post(f"{url}/approve", {}, who="admin")
    assert approved.status_code == 200 and approved.json()["approval"] == "single_person"
    assert [str(m["To"]) for m in deliver(api).received] == ["dba@initech.example"]


def test_who_may_draft_and_which_severities_email_customers(api: Api, tmp_path: Path) -> None:
    with_customers(api, tmp_path)
    ref = p1_with_alice_commanding(api)
    url = URL.format(ref=ref)
    bob = api.post(url, WORDS, who="bob")  # in the team, but neither commander nor communications lead
    assert bob.status_code == 403 and "commander or communications lead" in bob.json()["detail"]
    assert api.post(url, WORDS, who="vera").status_code == 403  # a viewer
    assert api.get(url).status_code == 404  # no draft yet
    assert api.post(f"/api/v1/incidents/{ref}/roles", {"role": "communications_lead", "user": "bob"}).status_code == 200
    assert api.post(url, {"summary": "first words"}, who="bob").status_code == 200
    revised = api.post(url, {"root_cause": "A bad deploy."}, who="alice").json()
    assert revised["summary"] == "first words" and revised["written_by"] == "Alice Andersson"
    assert api.post(f"{url}/approve", {}, who="bob").status_code == 200  # alice wrote it last: bob may approve
    p3 = str(api.declare(title="Slow page", severity="P3", services=["api"])["ref"])
    refused = api.post(URL.format(ref=p3), WORDS)
    assert refused.status_code == 409 and "only for P1, P2" in refused.json()["detail"]


def test_a_private_incident_needs_the_override_which_is_recorded(api: Api, tmp_path: Path) -> None:
    with_customers(api, tmp_path)
    ref = p1_with_alice_commanding(api, private=True)
    url = URL.format(ref=ref)
    assert api.get(url, who="otto").status_code == 404  # outsiders do not learn it exists
    assert api.post(url, WORDS, who="alice").status_code == 200
    refused = api.post(f"{url}/approve", {}, who="bob")
    assert refused.status_code == 409 and "override_private" in refused.json()["detail"]
    assert deliver(api).received == []
    approved = api.post(f"{url}/approve", {"override_private": True}, who="bob")
    assert approved.status_code == 200 and approved.json()["override_private"] is True
    events = api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]
    assert any("the incident is private and the approver overrode that" in e["text"] for e in events)
    assert len(deliver(api).received) == 2


def test_a_discarded_draft_is_never_sent_and_a_new_one_can_follow(api: Api, tmp_path: Path) -> None:
    with_customers(api, tmp_path)
    ref = p1_with_alice_commanding(api)
    url = URL.format(ref=ref)
    first = api.post(url, WORDS, who="alice").json()
    assert api.post(f"{url}/discard", {"reason": "wrong customer list"}, who="alice").json()["state"] == "discarded"
    assert api.post(f"{url}/approve", {}, who="bob").status_code == 409
    second = api.post(url, {}, who="alice").json()
    assert second["id"] != first["id"] and second["summary"] == "API 5xx above 5%"  # prefilled from the incident
    assert "customer_email_discarded" in kinds(api, ref)
    assert deliver(api).received == []


@pytest.mark.parametrize("body", [{"summary": "x", "nonsense": 1}, {"summary": "x" * 10_001}])
def test_bad_bodies_are_refused(api: Api, tmp_path: Path, body: dict[str, Any]) -> None:
    with_customers(api, tmp_path)
    ref = p1_with_alice_commanding(api)
    assert api.post(URL.format(ref=ref), body, who="alice").status_code == 422
