"""The Alerts pages: the list and its filters, one alert with its history and links, explain; an
alert of a private incident is a 404 to outsiders, like the incident."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from firebell.alerts.models import Alert, AlertEvent
from firebell.incidents.models import Incident
from firebell.org.models import Organisation, Service
from firebell.web import alerts_pages
from tests.web.conftest import Web

AM_API = "amapikey0000000000000000000000aa"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def am_message(name: str, *, severity: str, fingerprint: str, group: str, labels: dict[str, str] | None = None,
               annotations: dict[str, str] | None = None, generator: str = "https://prometheus.example/graph",
               status: str = "firing") -> dict[str, Any]:
    alert = {"status": status, "labels": {"alertname": name, "severity": severity} | (labels or {}),
             "annotations": annotations or {}, "fingerprint": fingerprint, "generatorURL": generator,
             "startsAt": "2026-11-23T02:59:00Z"}
    return {"version": "4", "groupKey": group, "status": status, "receiver": "firebell", "alerts": [alert]}


def send(web: Web, message: dict[str, Any]) -> None:
    answer = web.browser().client.post(f"/integrations/alertmanager/{AM_API}", json=message)
    assert answer.status_code == 202, answer.text


def three_alerts(web: Web) -> None:
    """A P1 that opens INC-1 (with a trace id and a runbook), a disk alert routed to the database,
    and a P4 that pages nobody; a minute apart, so the newest is the P4."""
    send(web, am_message("HighErrorRate", severity="critical", fingerprint="fp-errors", group="g-errors",
                         labels={"traceID": TRACE},
                         annotations={"summary": "API 5xx above 5%", "runbook_url": "https://runbooks.example/5xx"}))
    web.clock.advance(minutes=1)
    send(web, am_message("DiskFull", severity="warning", fingerprint="fp-disk", group="g-disk",
                         annotations={"summary": "Disk 91% full on db-1"}, generator="javascript:alert(1)"))
    web.clock.advance(minutes=1)
    send(web, am_message("LatencyHigh", severity="info", fingerprint="fp-latency-1", group="g-latency",
                         annotations={"summary": "p95 latency 2x normal"}))


def summaries(html: str) -> list[str]:
    return re.findall(r'<a href="/alerts/[0-9a-f-]{36}">([^<]+)</a>', html)


def alert_id(web: Web, dedup_key: str) -> str:
    with web.db.unit_of_work(write=False) as session:
        return session.execute(select(Alert.id).where(Alert.dedup_key == dedup_key)).scalar_one()


def test_the_list_is_newest_first_and_filters_by_status_service_severity_and_text(web: Web) -> None:
    three_alerts(web)
    alice = web.signed_in("alice")
    everything = alice.get("/alerts")
    assert everything.status_code == 200
    assert summaries(everything.text) == ["p95 latency 2x normal", "Disk 91% full on db-1", "API 5xx above 5%"]
    assert 'href="/incidents/INC-1"' in everything.text
    assert summaries(alice.get("/alerts", params={"service": "database"}).text) == ["Disk 91% full on db-1"]
    assert summaries(alice.get("/alerts", params={"severity": "P1"}).text) == ["API 5xx above 5%"]
    assert summaries(alice.get("/alerts", params={"q": "LATENCY"}).text) == ["p95 latency 2x normal"]
    assert summaries(alice.get("/alerts", params={"q": "fp-disk"}).text) == ["Disk 91% full on db-1"]  # dedup key
    assert summaries(alice.get("/alerts", params={"q": "1%"}).text) == ["Disk 91% full on db-1"]  # not a wildcard
    send(web, am_message("DiskFull", severity="warning", fingerprint="fp-disk", group="g-disk", status="resolved",
                         annotations={"summary": "Disk 91% full on db-1"}))
    resolved = alice.get("/alerts", params={"status": "resolved"})
    assert summaries(resolved.text) == ["Disk 91% full on db-1"]
    assert '<option value="resolved" selected>' in resolved.text
    assert summaries(alice.get("/alerts", params={"status": "open"}).text) == ["p95 latency 2x normal",
                                                                               "API 5xx above 5%"]
    nothing = alice.get("/alerts", params={"status": "resolved", "service": "api"})
    assert summaries(nothing.text) == [] and "No alert matches these filters." in nothing.text


def test_the_list_is_paginated_and_pages_keep_the_filters(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alerts_pages, "PAGE_SIZE", 2)
    three_alerts(web)
    alice = web.signed_in("alice")
    first = alice.get("/alerts")
    assert summaries(first.text) == ["p95 latency 2x normal", "Disk 91% full on db-1"]
    assert 'href="/alerts?page=2"' in first.text and "Newer" not in first.text
    second = alice.get("/alerts", params={"page": 2})
    assert summaries(second.text) == ["API 5xx above 5%"]
    assert 'href="/alerts"' in second.text and "Older" not in second.text
    filtered = alice.get("/alerts", params={"q": "fp-", "page": 1})
    assert 'href="/alerts?q=fp-&amp;page=2"' in filtered.text


def test_an_alert_shows_its_labels_incident_history_and_links(web: Web) -> None:
    with web.db.unit_of_work() as session:
        org = session.execute(select(Organisation)).scalar_one()
        org.links = {"trace": "https://tempo.example/trace/{traceID}", "logs": "https://logs.example/?q={traceID}"}
        api = session.execute(select(Service).where(Service.name == "api")).scalar_one()
        api.links = {"logs": "https://loki.example/explore?trace={traceID}"}
    three_alerts(web)
    web.clock.advance(minutes=1)
    send(web, am_message("HighErrorRate", severity="critical", fingerprint="fp-errors", group="g-errors",
                         labels={"traceID": TRACE}, annotations={"summary": "API 5xx above 5%"}, status="resolved"))
    page = web.signed_in("vera").get(f"/alerts/{alert_id(web, 'fp-errors')}")
    assert page.status_code == 200
    html = page.text
    assert "API 5xx above 5%" in html and f"<dd>{TRACE}</dd>" in html and "<dt>alertname</dt>" in html
    assert 'href="/incidents/INC-1"' in html
    for href in ("https://prometheus.example/graph", "https://runbooks.example/5xx",
                 f"https://tempo.example/trace/{TRACE}", f"https://loki.example/explore?trace={TRACE}"):
        assert f'href="{href}"' in html
    assert "logs.example" not in html  # the service's logs template replaced the organisation's
    assert [a for a in re.findall(r'class="action">(\w+)<', html)] == ["resolve", "trigger"]
    # A link a sender put in a payload is shown only if it is http(s).
    disk = web.signed_in("vera").get(f"/alerts/{alert_id(web, 'fp-disk')}").text
    assert "Disk 91% full on db-1" in disk and 'href="javascript' not in disk


def test_an_alert_of_a_private_incident_is_a_404_to_outsiders_alike_a_missing_one(web: Web) -> None:
    three_alerts(web)
    answer = web.browser().client.patch("/api/v1/incidents/INC-1", json={"private": True},
                                        headers={"Authorization": f"Bearer {web.tokens['admin']}"})
    assert answer.status_code == 200, answer.text
    hidden = alert_id(web, "fp-errors")
    otto = web.signed_in("otto")
    refused = otto.get(f"/alerts/{hidden}")
    missing = otto.get("/alerts/00000000-0000-0000-0000-000000000000")
    assert refused.status_code == missing.status_code == 404
    assert refused.text.replace(hidden, "X") == missing.text.replace("00000000-0000-0000-0000-000000000000", "X")
    assert otto.get("/alerts/not-a-uuid").status_code == 404
    assert "API 5xx above 5%" not in otto.get("/alerts").text
    assert "API 5xx above 5%" in web.signed_in("vera").get("/alerts").text  # her team's incident
    assert web.signed_in("vera").get(f"/alerts/{hidden}").status_code == 200


def _counts(web: Web) -> tuple[int, int, int]:
    with web.db.unit_of_work(write=False) as session:
        return tuple(session.execute(select(func.count()).select_from(model)).scalar_one()  # type: ignore[return-value]
                     for model in (Alert, AlertEvent, Incident))


def test_explain_says_what_would_happen_and_writes_nothing(web: Web) -> None:
    vera = web.signed_in("vera")  # reading only: a viewer may ask
    form = vera.get("/alerts/explain")
    assert form.status_code == 200 and 'name="payload"' in form.text
    before = _counts(web)
    message = am_message("HighErrorRate", severity="critical", fingerprint="fp-x", group="g-x",
                         annotations={"summary": "API 5xx above 5%"})
    answer = vera.post("/alerts/explain", {"payload": json.dumps(message), "service": "api", "format": ""})
    assert answer.status_code == 200, answer.text
    assert "Read as <strong>alertmanager</strong>" in answer.text and "api/alertmanager" in answer.text
    assert "<dt>Incident</dt><dd>a new incident is opened" in answer.text
    assert '<span class="sev sev-1">P1</span>' in answer.text
    assert _counts(web) == before
    # The same decision as the API's dry run.
    api = web.browser().client.post("/api/v1/alerts/explain", json={"payload": message, "service": "api"},
                                    headers={"Authorization": f"Bearer {web.tokens['vera']}"}).json()
    assert api["outcomes"][0]["incident_op"] == "open" and api["outcomes"][0]["severity"] == "P1"
    assert _counts(web) == before

    not_json = vera.post("/alerts/explain", {"payload": "{nope", "service": "api"})
    assert not_json.status_code == 400 and "not JSON" in not_json.text and "{nope" in not_json.text
    no_service = vera.post("/alerts/explain", {"payload": json.dumps(message)})
    assert no_service.status_code == 400 and "name the service" in no_service.text
    forged = vera.post("/alerts/explain", {"payload": json.dumps(message), "service": "api"}, csrf=None)
    assert forged.status_code == 403
    assert _counts(web) == before


def test_alert_pages_need_a_session(web: Web) -> None:
    browser = web.browser()
    assert browser.get("/alerts?status=triggered").headers["location"] == "/sign-in?next=/alerts%3Fstatus%3Dtriggered"
    assert browser.client.post("/alerts/explain", data={"payload": "{}"}).status_code == 403
