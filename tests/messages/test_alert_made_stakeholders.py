"""Incidents Firebell opens and resolves on its own account are told to the stakeholders too: an
Alertmanager alert opens a P1 -> the stakeholder Slack channel, the list's addresses (a real SMTP
server) and its webhook get "INCIDENT DECLARED" once; its resolve -> "INCIDENT RESOLVED" with the
duration. Ingestion renders nothing (the job does, after); a restarted job, or a second engine's,
sends nothing twice, and a person's declaration is not told again by the job."""

from __future__ import annotations

from typing import Any

import pytest

from firebell.messages import context
from firebell.messages.jobs import AlertMadeTelling
from firebell.slack.cards import stakeholder_channels
from tests.api.conftest import Api
from tests.messages.test_stakeholder_updates_end_to_end import COMMS, LIST, Routes, routes

AM_KEY = "amapikey0000000000000000000000aa"


def alertmanager(status: str) -> dict[str, Any]:
    alert = {"status": status, "labels": {"alertname": "CheckoutErrors", "severity": "critical"},
             "annotations": {"summary": "Checkout 5xx above 20%"}, "fingerprint": "fp-checkout",
             "startsAt": "2026-11-23T02:59:00Z"}
    return {"version": "4", "groupKey": "g-checkout", "status": status, "receiver": "firebell", "alerts": [alert]}


def counts(r: Routes) -> tuple[int, int, int, int, int, int]:
    return (len(r.comms("INCIDENT DECLARED")), len(r.mails("INCIDENT DECLARED")), len(r.hooks("INCIDENT DECLARED")),
            len(r.comms("INCIDENT RESOLVED")), len(r.mails("INCIDENT RESOLVED")), len(r.hooks("INCIDENT RESOLVED")))


def test_an_incident_an_alert_opens_and_resolves_is_told_once_on_every_route(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = []
    real_build = context.build
    monkeypatch.setattr(context, "build", lambda *a, **k: rendered.append(a[1]) or real_build(*a, **k))
    with routes(api) as r:
        answer = api.client.post(f"/integrations/alertmanager/{AM_KEY}", json=alertmanager("firing"))
        assert answer.status_code == 202, answer.text
        assert "declared" not in rendered  # not in ingestion's transaction
        r.deliver()
        (declared,) = r.comms("INCIDENT DECLARED")
        assert "*Summary*: Checkout 5xx above 20%" in declared and "*Status*: Investigating" in declared
        assert r.mails("INCIDENT DECLARED") == LIST and len(r.hooks("INCIDENT DECLARED")) == 1

        api.clock.advance(minutes=30)
        answer = api.client.post(f"/integrations/alertmanager/{AM_KEY}", json=alertmanager("resolved"))
        assert answer.status_code == 202, answer.text
        r.deliver()
        (resolved,) = r.comms("INCIDENT RESOLVED")
        assert "(30 minutes)" in resolved and "*Resolution*: all alerts resolved" in resolved, resolved
        assert r.mails("INCIDENT RESOLVED") == LIST and len(r.hooks("INCIDENT RESOLVED")) == 1
        assert counts(r) == (1, 2, 1, 1, 2, 1)

        (ref,) = {e["ref"] for e in api.get("/api/v1/incidents", status="resolved").json()["items"]}
        events = api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]
        sent = [e["text"] for e in events if e["type"] == "message_sent"]
        assert sum("#incident-comms" in t for t in sent) == 2 and sum("ceo@example.com" in t for t in sent) == 2

        # A restart (a job that remembers nothing, looking back a day) and a second engine's job.
        for _ in range(2):
            api.clock.advance(seconds=5)
            AlertMadeTelling(stakeholder_channels, "http://testserver")(r.loop, api.clock.now)
        r.deliver()
        assert counts(r) == (1, 2, 1, 1, 2, 1)


def test_a_persons_declaration_is_told_by_its_own_request_and_never_again_by_the_job(api: Api) -> None:
    with routes(api) as r:
        api.declare(severity="P1", title="Checkout failing")
        r.deliver()
        api.clock.advance(seconds=5)
        AlertMadeTelling(stakeholder_channels, "http://testserver")(r.loop, api.clock.now)
        r.deliver()
        assert len(r.comms("INCIDENT DECLARED")) == 1 and r.mails("INCIDENT DECLARED") == LIST
        assert not [m for m in r.fake.messages if m.channel == COMMS and "Checkout failing" not in str(m.current)]


def test_an_alert_made_incident_with_no_stakeholder_route_is_told_to_nobody(api: Api) -> None:
    with routes(api) as r:
        alert = alertmanager("firing")
        alert["alerts"][0]["labels"]["severity"] = "warning"  # a P3: no channel or list is for it
        assert api.client.post(f"/integrations/alertmanager/{AM_KEY}", json=alert).status_code == 202
        r.deliver()
        assert not [m for m in r.fake.messages if m.channel == COMMS] and not r.mails("INCIDENT DECLARED")
        assert r.sink.received, "the P3 still pages its on-call person"


def test_the_job_goes_on_from_a_full_batch(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("firebell.messages.alert_made.BATCH", 1)
    with routes(api) as r:
        for name in ("one", "two", "three"):
            alert = alertmanager("firing")
            alert["alerts"][0]["labels"]["alertname"] = name
            alert["alerts"][0]["fingerprint"] = f"fp-{name}"
            alert["groupKey"] = f"g-{name}"
            assert api.client.post(f"/integrations/alertmanager/{AM_KEY}", json=alert).status_code == 202
            api.clock.advance(seconds=1)
        for _ in range(4):
            r.deliver()
        assert len(r.comms("INCIDENT DECLARED")) == 3 and len(r.mails("INCIDENT DECLARED")) == 6
