"""The timeline through its one writer (incidents/timeline.py) and the API: events numbered in the
order the code appended them whoever acted, every event of the main flows a sentence of the
catalogue, and rows the catalogue cannot read shown with a generic sentence."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, text

from firebell.actor import Actor
from firebell.core.access import AccessRole, Principal
from firebell.core.timeline.incident import NoteAdded, StatusUpdate
from firebell.effects import EFFECTS
from firebell.incidents import respond, timeline
from firebell.incidents.models import Incident
from firebell.org.models import User
from tests.alerts.test_ingest_api import pd_event
from tests.api.conftest import Api
from tests.notify.test_reach import setup

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def events(api: Api, ref: str) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/incidents/{ref}/timeline")
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def _incident_id(api: Api, ref: str) -> str:
    with api.db.unit_of_work(write=False) as session:
        return str(session.execute(select(Incident.id).where(Incident.number == int(ref[4:]))).scalar_one())


def test_events_are_numbered_in_the_order_appended_whether_a_person_or_firebell_acted(api: Api) -> None:
    """A person's event is written at once, Firebell's wait for the commit: mixed in one transaction
    (and with ORM work between two of them) they still come out in the order the code appended them."""
    ref = api.declare()["ref"]
    incident_id = _incident_id(api, ref)
    with api.db.unit_of_work() as session:
        alice = session.execute(select(User).where(User.name == "alice")).scalar_one()
        person = Actor(principal=Principal(user_id=alice.id, role=AccessRole.RESPONDER, team_ids=frozenset()),
                       user_name="alice", display_name="Alice Andersson", via="slack")
        for n in range(6):
            if n % 2:
                timeline.append(session, incident_id, NoteAdded(text=f"note {n}"), at=api.clock.now, actor=person)
            else:
                timeline.append(session, incident_id, NoteAdded(text=f"note {n}"), at=api.clock.now)
            if n == 3:  # ORM work between two of them
                session.get(Incident, incident_id).updated_at = api.clock.now  # type: ignore[union-attr]
                session.flush()
    shown = [e for e in events(api, ref) if e["type"] == "note_added"]
    assert [e["payload"]["text"] for e in shown] == [f"note {n}" for n in range(6)]
    assert [e["actor"] for e in shown[:2]] == ["firebell", "Alice Andersson via slack"]


def test_events_of_a_transaction_that_rolls_back_are_not_written(api: Api) -> None:
    ref = api.declare()["ref"]
    incident_id = _incident_id(api, ref)
    with pytest.raises(RuntimeError), api.db.unit_of_work() as session:
        timeline.append(session, incident_id, StatusUpdate(message="never", status=""), at=api.clock.now)
        raise RuntimeError("the command failed")
    with api.db.unit_of_work() as session:
        timeline.append(session, incident_id, StatusUpdate(message="kept", status=""), at=api.clock.now)
    assert [e["payload"]["message"] for e in events(api, ref) if e["type"] == "status_update"] == ["kept"]


def test_the_api_gives_each_event_its_kind_sentence_and_typed_data(api: Api) -> None:
    ref = api.declare(who="alice")["ref"]
    assert api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice").status_code == 200
    assert api.post(f"/api/v1/incidents/{ref}/severity", {"severity": "P2", "reason": "EU tenants\nonly"},
                    who="alice").status_code == 200
    shown = events(api, ref)
    by_kind = {e["kind"]: e for e in shown}
    assert by_kind["acknowledged"]["text"] == "Alice Andersson acknowledged via the API"
    severity = by_kind["severity_changed"]
    assert severity["text"] == "Alice Andersson lowered the severity P1 -> P2: EU tenants only"
    assert severity["data"] == {"from": "P1", "to": "P2", "reason": "EU tenants\nonly"} == severity["payload"]
    assert by_kind["declared"]["text"] == ("Alice Andersson declared P1 \u201cAPI 5xx above 5%\u201d affecting api "
                                           "via the API")
    assert all(e["kind"] == e["type"] for e in shown)

    schema = api.client.get("/openapi.json").json()["components"]["schemas"]
    assert {"kind", "text", "data", "type", "payload"} <= set(schema["EventOut"]["properties"])
    assert "severity_changed" in schema["EventKind"]["enum"]


@pytest.mark.old_timeline_rows
def test_rows_the_catalogue_cannot_read_are_shown_with_a_generic_sentence(api: Api) -> None:
    ref = api.declare()["ref"]
    incident_id = _incident_id(api, ref)
    with api.db.unit_of_work() as session:
        for type_, payload in (("page_sent", '{"to": "alice"}'), ("stage_changed", '{"from": "a", "to": 3}')):
            session.execute(text("INSERT INTO timeline_events (incident_id, type, actor, payload, occurred_at, "
                                 "recorded_at) VALUES (:id, :type, 'Bob Berg via sms', :payload, :at, :at)"),
                            {"id": incident_id, "type": type_, "payload": payload, "at": api.clock.now})
    old = events(api, ref)[-2:]
    assert [(e["kind"], e["text"], e["data"]) for e in old] == [
        (None, "Bob Berg: page sent via SMS", None), (None, "Bob Berg: stage changed via SMS", None)]
    assert old[1]["payload"] == {"from": "a", "to": 3}


def test_the_main_flows_leave_only_events_of_the_catalogue_each_with_its_own_sentence(api: Api) -> None:
    """Declare, page, acknowledge through each channel, change severity and roles, post an update,
    resolve; an alert opens an incident, joins, acknowledges and resolves it."""
    loop, _sent = setup(api, ("sms", "+46701740605"))
    ref = api.declare(who="alice")["ref"]
    loop.run_once()  # the ladder pages alice by SMS
    assert api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice").status_code == 200
    api.post(f"/api/v1/incidents/{ref}/severity", {"severity": "P2", "reason": "EU tenants too"}, who="alice")
    api.post(f"/api/v1/incidents/{ref}/roles", {"role": "commander", "user": "bob"}, who="alice")
    api.post(f"/api/v1/incidents/{ref}/updates", {"message": "Mitigated", "status": "Monitoring"}, who="alice")
    api.post(f"/api/v1/incidents/{ref}/notes", {"text": "rolled back"}, who="alice")
    api.patch(f"/api/v1/incidents/{ref}", {"title": "Checkout 5xx", "tags": ["eu"]}, who="alice")
    api.post(f"/api/v1/incidents/{ref}/resolve", {"resolution": "rollback fixed it"}, who="alice")
    refs = [ref]
    for via in ("slack", "sms", "voice", "link", "cli"):  # the same funnel, through each channel
        other = api.declare(title=f"Paged through {via}")["ref"]
        refs.append(other)
        loop.run_once()
        with api.db.unit_of_work() as session:
            alice = session.execute(select(User).where(User.name == "alice")).scalar_one()
            respond.respond(session, alice, other, "acknowledge", via, api.clock.now, effects=EFFECTS)
    api.client.post("/v2/enqueue", json=pd_event())  # an alert opens an incident
    api.client.post("/v2/enqueue", json=pd_event(key="db1/cpu", summary="CPU hot"))  # another joins it
    api.client.post("/v2/enqueue", json=pd_event("acknowledge"))
    api.client.post("/v2/enqueue", json=pd_event("resolve"))
    api.client.post("/v2/enqueue", json=pd_event("resolve", key="db1/cpu"))
    loop.run_once()
    refs += [i["ref"] for i in api.get("/api/v1/incidents", status="resolved").json()["items"] if i["ref"] not in refs]

    every = [e for r in refs for e in events(api, r)]
    kinds = {e["kind"] for e in every}
    assert None not in kinds
    assert {"declared", "escalation_step", "notification_sent", "acknowledged", "severity_changed", "role_assigned",
            "status_update", "note_added", "details_changed", "resolved", "stage_changed", "alert_attached",
            "alert_resolved"} <= kinds
    for e in every:
        assert e["data"] == e["payload"], e
        assert e["text"] and len(e["text"].splitlines()) == 1 and not UUID.search(e["text"]), e
        assert not e["text"].startswith(f"{e['actor']}:"), f"generic sentence: {e}"
    texts = {e["text"] for e in every}
    for sentence in ("Paged Alice Andersson by SMS (level 1)", "Alice Andersson acknowledged via the API",
                     "Alice Andersson acknowledged via Slack", "Alice Andersson acknowledged via SMS",
                     "Alice Andersson acknowledged via voice call", "Alice Andersson acknowledged via the CLI",
                     "Alice Andersson acknowledged via a link in the page",
                     "Alice Andersson lowered the severity P1 -> P2: EU tenants too",
                     "Alice Andersson made Bob Berg commander",
                     "Alice Andersson posted a status update (Monitoring) via the API: Mitigated; "
                     "next update at 03:30 UTC",
                     "Acknowledged by alert \u201cdb1/disk\u201d (pagerduty)"):
        assert sentence in texts, (sentence, sorted(texts))
