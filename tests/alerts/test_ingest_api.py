"""Ingestion through the real endpoints on both backends: dedup, grouping, auto-resolve, routing,
maintenance, flapping, thresholds, heartbeats, change events, and explain agreeing with reality."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from firebell.alerts.heartbeats import check_overdue
from tests.api.conftest import Api

PD_API = "pdapikey0000000000000000000000aa"
PD_DB = "pddbkey00000000000000000000000aa"
AM_API = "amapikey0000000000000000000000aa"
AM_DB = "amdbkey00000000000000000000000aa"


def pd_event(action: str = "trigger", key: str = "db1/disk", severity: str = "critical", summary: str = "Disk full",
             routing_key: str = PD_API, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"routing_key": routing_key, "event_action": action, "dedup_key": key}
    if action == "trigger":
        body["payload"] = {"summary": summary, "source": "db1", "severity": severity}
    return body | extra


def am_alert(name: str, instance: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {"status": status, "labels": {"alertname": name, "instance": instance, **labels},
            "annotations": {"summary": f"{name} on {instance}"}, "startsAt": "2026-11-23T02:59:00Z",
            "endsAt": "2026-11-23T03:10:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": hashlib.sha256(
                f"{name}{instance}".encode()).hexdigest()[:16]}


def am_message(group: str, alerts: list[dict[str, Any]], **common: str) -> dict[str, Any]:
    status = "resolved" if all(a["status"] == "resolved" for a in alerts) else "firing"
    return {"version": "4", "groupKey": f'{{}}:{{alertname="{group}"}}', "truncatedAlerts": 0, "status": status,
            "receiver": "firebell", "groupLabels": {"alertname": group}, "commonLabels": common,
            "commonAnnotations": {}, "externalURL": "http://am:9093", "alerts": alerts}


def incidents(api: Api, **params: Any) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/incidents", **params).json()["items"])


def timeline_types(api: Api, ref: str) -> list[str]:
    return [e["type"] for e in api.get(f"/api/v1/incidents/{ref}/timeline").json()["events"]]


def test_pd_trigger_ack_resolve_cycle(api: Api) -> None:
    response = api.client.post("/v2/enqueue", json=pd_event())
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "db1/disk"}
    (incident,) = incidents(api)
    assert incident["source"] == "alert" and incident["severity"] == "P1" and incident["title"] == "Disk full"
    assert incident["services"] == ["api"] and incident["team"] == "platform"

    again = api.client.post("/v2/enqueue", json=pd_event())  # a retried delivery changes nothing
    assert again.status_code == 202
    (alert,) = api.get("/api/v1/alerts").json()
    assert alert["event_count"] == 1 and alert["incident"] == incident["ref"]
    history = api.get(f"/api/v1/alerts/{alert['id']}").json()["history"]
    assert [h["action"] for h in history] == ["trigger", "duplicate"]

    api.client.post("/v2/enqueue", json=pd_event(summary="Disk 99% full"))  # a new trigger is logged
    assert api.get("/api/v1/alerts").json()[0]["event_count"] == 2
    assert len(incidents(api)) == 1

    api.client.post("/v2/enqueue", json=pd_event("acknowledge"))
    assert incidents(api)[0]["status"] == "acknowledged"
    assert api.get("/api/v1/alerts").json()[0]["status"] == "acknowledged"
    api.client.post("/v2/enqueue", json=pd_event("resolve", payload={"summary": "ok", "source": "am",
                                                                      "severity": "error"}))
    assert incidents(api)[0]["status"] == "resolved"
    types = timeline_types(api, incident["ref"])
    assert types[:2] == ["declared", "alert_attached"]
    assert "alert_refired" in types and "alert_resolved" in types and types[-2:] == ["resolved", "stage_changed"]

    # After resolution the same key opens a new alert and a new incident.
    api.client.post("/v2/enqueue", json=pd_event())
    assert [i["ref"] for i in incidents(api)] == ["INC-2", "INC-1"]


def test_pd_generated_key_errors_and_unknown_key(api: Api) -> None:
    body = pd_event()
    del body["dedup_key"]
    generated = api.client.post("/v2/enqueue", json=body).json()["dedup_key"]
    assert len(generated) == 32
    bad = api.client.post("/v2/enqueue", json={"routing_key": PD_API, "event_action": "trigger",
                                              "payload": {"source": "x", "severity": "loud"}})
    assert bad.status_code == 400
    assert bad.json() == {"status": "invalid event", "message": "Event object is invalid", "errors": [
        "'payload.summary' is missing", "'payload.severity' must be one of critical, error, warning, info"]}
    assert api.client.post("/v2/enqueue", content=b"{nope").status_code == 400
    huge = pd_event(payload={"summary": "s", "source": "s", "severity": "info", "custom_details": "x" * 600_000})
    assert api.client.post("/v2/enqueue", json=huge).status_code == 413
    unknown = api.client.post("/v2/enqueue", json=pd_event(routing_key="z" * 32))
    assert unknown.status_code == 404 and unknown.json() == {"status": "not found", "message": "Not Found"}
    wrong_type = api.client.post("/v2/enqueue", json=pd_event(routing_key=AM_API))  # an AM key is not a PD key
    assert wrong_type.status_code == 404
    assert len(incidents(api)) == 1  # only the first, valid trigger


def test_alertmanager_group_becomes_one_incident_and_auto_resolves(api: Api) -> None:
    group = [am_alert("HighLatency", "web1", severity="warning"), am_alert("HighLatency", "web2", severity="critical")]
    response = api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message("HighLatency", group))
    assert response.status_code == 202 and response.json()["events"] == 2
    (incident,) = incidents(api)
    assert incident["severity"] == "P3" or incident["severity"] == "P1"
    alerts = api.get("/api/v1/alerts", incident=incident["ref"]).json()
    assert len(alerts) == 2
    shown = api.get(f"/api/v1/incidents/{incident['ref']}").json()
    assert shown["severity"] == "P1"  # the critical alert raised it
    # The whole group is re-sent with one alert resolved: the incident stays open.
    group[0] = am_alert("HighLatency", "web1", status="resolved", severity="warning")
    api.client.post("/integrations/alertmanager", json=am_message("HighLatency", group),
                    headers={"Authorization": f"Bearer {AM_API}"})
    assert incidents(api)[0]["status"] == "triggered"
    # Alertmanager drops delivered resolved alerts: the next message carries only web2, resolved.
    api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message(
        "HighLatency", [am_alert("HighLatency", "web2", status="resolved", severity="critical")]))
    assert incidents(api)[0]["status"] == "resolved"
    assert timeline_types(api, incident["ref"]).count("alert_resolved") == 2


def test_service_without_auto_resolve_waits_for_a_human(api: Api) -> None:
    api.client.post(f"/integrations/alertmanager/{AM_DB}", json=am_message(
        "ReplicationLag", [am_alert("ReplicationLag", "db2", severity="critical")]))
    api.client.post(f"/integrations/alertmanager/{AM_DB}", json=am_message(
        "ReplicationLag", [am_alert("ReplicationLag", "db2", status="resolved", severity="critical")]))
    (incident,) = incidents(api)
    assert incident["status"] == "triggered"
    last = api.get(f"/api/v1/incidents/{incident['ref']}/timeline").json()["events"][-1]
    assert last["type"] == "note_added" and "does not auto-resolve" in last["payload"]["text"]


def test_routing_rules_move_tag_and_suppress(api: Api) -> None:
    api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message(
        "DiskFull", [am_alert("DiskFull", "db1", severity="critical")]))
    (incident,) = incidents(api)
    assert incident["services"] == ["database"] and incident["tags"] == ["storage"]
    api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message(
        "Smoke", [am_alert("Smoke", "ci1", severity="critical", env="test")]))
    assert len(incidents(api)) == 1
    held = [a for a in api.get("/api/v1/alerts").json() if a["labels"]["alertname"] == "Smoke"]
    assert held[0]["held_reason"] == "suppressed by routing rule 'drop-test-alerts'"


def test_below_threshold_is_recorded_not_paged(api: Api) -> None:
    api.client.post("/v2/enqueue", json=pd_event(severity="info", key="noise"))
    assert incidents(api) == []
    (alert,) = api.get("/api/v1/alerts").json()
    assert alert["severity"] == "P4" and alert["held_reason"] == "below the paging threshold P3 of api"


def test_maintenance_window_holds_paging(api: Api) -> None:
    started = api.post("/api/v1/maintenance", {"service": "api", "duration": "2h", "reason": "upgrade"}, who="alice")
    assert started.status_code == 201 and started.json()["active"]
    api.client.post("/v2/enqueue", json=pd_event())
    assert incidents(api) == []
    (alert,) = api.get("/api/v1/alerts").json()
    assert "in maintenance" in alert["held_reason"]
    listed = api.get("/api/v1/maintenance").json()
    assert [w["service"] for w in listed] == ["api"]
    assert api.post(f"/api/v1/maintenance/{listed[0]['id']}/end", who="sam").status_code == 403
    assert api.post(f"/api/v1/maintenance/{listed[0]['id']}/end", who="alice").status_code == 200
    api.client.post("/v2/enqueue", json=pd_event(summary="still full"))  # the same alert fires again
    assert len(incidents(api)) == 1
    bad = api.post("/api/v1/maintenance", {"service": "api", "duration": "soon"})
    assert bad.status_code == 422 and "not a duration" in bad.json()["detail"]


def test_flapping_alert_stops_paging(api: Api) -> None:
    for _ in range(6):
        api.client.post("/v2/enqueue", json=pd_event(key="flappy"))
        api.client.post("/v2/enqueue", json=pd_event("resolve", key="flappy"))
        api.clock.advance(minutes=1)
    assert len(incidents(api)) == 4  # max_refires 3: the 5th and 6th firing are held
    newest = api.get("/api/v1/alerts").json()[0]
    assert newest["flapping"] and newest["held_reason"].startswith("flapping")


def test_grafana_hmac(api: Api) -> None:
    body = json.dumps({"version": "1", "orgId": 1, "groupKey": "g", "status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": "HighCPU", "severity": "critical"}, "annotations": {},
         "startsAt": "2026-11-23T03:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f1",
         "silenceURL": "http://g/s", "dashboardURL": "", "panelURL": "", "values": None}]}).encode()
    stamp = str(int(api.clock.now.timestamp()))
    good = hmac.new(b"s3cret", stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    url = "/integrations/grafana/grapikey0000000000000000000000aa"
    unsigned = api.client.post(url, content=body)
    assert unsigned.status_code == 401 and "X-Grafana-Alerting" in unsigned.json()["detail"]
    wrong = api.client.post(url, content=body, headers={"X-Grafana-Alerting-Signature": "0" * 64,
                                                        "X-Grafana-Alerting-Timestamp": stamp})
    assert wrong.status_code == 401
    stale = str(int(api.clock.now.timestamp()) - 3600)
    old = hmac.new(b"s3cret", stale.encode() + b":" + body, hashlib.sha256).hexdigest()
    assert api.client.post(url, content=body, headers={"X-Grafana-Alerting-Signature": old,
                                                       "X-Grafana-Alerting-Timestamp": stale}).status_code == 401
    assert incidents(api) == []
    ok = api.client.put(url, content=body, headers={"X-Grafana-Alerting-Signature": good,
                                                    "X-Grafana-Alerting-Timestamp": stamp})
    assert ok.status_code == 202
    assert incidents(api)[0]["severity"] == "P1"


def test_generic_webhook_mapping(api: Api) -> None:
    url = "/integrations/webhook/whapikey0000000000000000000000aa"
    check = {"check": {"title": "Checkout 500s", "level": "critical", "id": "chk-1", "url": "https://ci/1"},
             "state": "failing", "host": "web3"}
    assert api.client.post(url, json=check).status_code == 202
    (incident,) = incidents(api)
    assert incident["title"] == "Checkout 500s"
    api.client.post(url, json=check | {"state": "passing"})
    assert incidents(api)[0]["status"] == "resolved"
    bad = api.client.post(url, json={"state": "failing"})
    assert bad.status_code == 400 and "summary field 'check.title'" in bad.json()["detail"]
    assert api.client.post("/integrations/webhook/nope", json=check).status_code == 404


def test_heartbeat_miss_raises_and_next_beat_resolves(api: Api) -> None:
    url = "/integrations/heartbeat/hbapikey0000000000000000000000aa"
    assert api.client.get(url).status_code == 202
    (beat,) = api.get("/api/v1/heartbeats").json()
    assert beat["status"] == "up" and beat["interval_seconds"] == 600 and beat["grace_seconds"] == 120
    api.clock.advance(minutes=11)
    with api.db.unit_of_work() as session:
        assert check_overdue(session, api.clock.now) == []  # within grace
    api.clock.advance(minutes=2)
    with api.db.unit_of_work() as session:
        (outcome,) = check_overdue(session, api.clock.now)
        assert outcome.incident_op == "open"
    with api.db.unit_of_work() as session:
        assert check_overdue(session, api.clock.now) == []  # raised once, not on every check
    (incident,) = incidents(api)
    assert incident["title"] == "Nightly backup did not check in" and incident["severity"] == "P2"
    assert api.get("/api/v1/heartbeats").json()[0]["status"] == "down"
    api.client.post(url)
    assert incidents(api)[0]["status"] == "resolved"
    assert api.get("/api/v1/heartbeats").json()[0]["status"] == "up"


def test_change_events_show_on_incidents(api: Api) -> None:
    deploy = {"routing_key": PD_API, "payload": {"summary": "Deploy api v42", "source": "ci",
                                                 "timestamp": "2026-11-23T02:15:00Z"},
              "links": [{"href": "https://ci/42", "text": "pipeline"}]}
    response = api.client.post("/v2/change/enqueue", json=deploy)
    assert response.status_code == 202 and response.json()["message"] == "Change event processed"
    old = deploy | {"payload": {"summary": "Deploy api v41", "source": "ci", "timestamp": "2026-11-22T20:00:00Z"}}
    api.client.post("/v2/change/enqueue", json=old)
    api.client.post("/v2/enqueue", json=pd_event())
    ref = incidents(api)[0]["ref"]
    changes = api.get(f"/api/v1/incidents/{ref}/changes").json()
    assert [c["summary"] for c in changes] == ["Deploy api v42"]  # v41 is more than 2 h before detection
    assert len(api.get(f"/api/v1/incidents/{ref}/changes", before="12h").json()) == 2
    assert len(api.get("/api/v1/changes", service="api").json()) == 2


def test_acknowledging_the_incident_acknowledges_its_alerts(api: Api) -> None:
    api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message(
        "Errors", [am_alert("Errors", "a", severity="critical"), am_alert("Errors", "b", severity="critical")]))
    ref = incidents(api)[0]["ref"]
    api.post(f"/api/v1/incidents/{ref}/acknowledge", who="alice")
    assert {a["status"] for a in api.get("/api/v1/alerts", incident=ref).json()} == {"acknowledged"}
    api.post(f"/api/v1/incidents/{ref}/resolve", who="alice")
    assert {a["status"] for a in api.get("/api/v1/alerts", incident=ref).json()} == {"resolved"}


def test_explain_matches_what_really_happens(api: Api) -> None:
    cases: list[tuple[str, dict[str, Any], str | None]] = [
        (f"/integrations/alertmanager/{AM_API}", am_message("Errors", [
            am_alert("Errors", "a", severity="critical"), am_alert("Errors", "b", severity="warning")]), "api"),
        ("/v2/enqueue", pd_event(key="x1"), None),
        ("/v2/enqueue", pd_event(key="x1", summary="again"), None),
        ("/v2/enqueue", pd_event(key="x2", severity="info"), None),
        (f"/integrations/alertmanager/{AM_API}",
         am_message("DiskFull", [am_alert("DiskFull", "d", severity="critical")]), "api"),
        ("/v2/enqueue", pd_event("resolve", key="x1"), None),
        (f"/integrations/alertmanager/{AM_API}", am_message("Errors", [
            am_alert("Errors", "a", status="resolved", severity="critical")]), "api"),
    ]
    for url, payload, service in cases:
        before = api.get("/api/v1/alerts").json()
        explained = api.post("/api/v1/alerts/explain", {"payload": payload, "service": service})
        assert explained.status_code == 200, explained.text
        assert api.get("/api/v1/alerts").json() == before  # explain stored nothing
        api.client.post(url, json=payload)
        after = {(a["dedup_key"], a["status"], a["incident"], a["severity"], a["held_reason"])
                 for a in api.get("/api/v1/alerts").json()}
        for outcome in explained.json()["outcomes"]:
            status = {"create": "triggered", "update": None, "resolve": "resolved"}.get(outcome["alert_op"])
            match = [a for a in after if a[0] == outcome["dedup_key"] and (status is None or a[1] == status)]
            assert match, (outcome, after)
            assert any(a[2] == outcome["incident"] for a in match if outcome["incident_op"] in ("open", "join")) \
                or outcome["incident_op"] not in ("open", "join")
            assert any(a[3] == outcome["severity"] for a in match)
    detected = api.post("/api/v1/alerts/explain", {"payload": pd_event(key="y")}).json()
    assert detected["format"] == "pagerduty" and detected["service"] == "api"
    assert detected["outcomes"][0]["incident_op"] == "open"
    am = api.post("/api/v1/alerts/explain", {"payload": am_message("DiskFull", [am_alert("DiskFull", "z")]),
                                             "service": "api"}).json()
    assert am["format"] == "alertmanager" and am["outcomes"][0]["service"] == "database"
    assert any("disk-to-database" in line and "matched" in line for line in am["outcomes"][0]["routing"])
    needs_service = api.post("/api/v1/alerts/explain", {"payload": am_message("A", [am_alert("A", "a")])})
    assert needs_service.status_code == 422 and "name the service" in needs_service.json()["detail"]


def test_empty_severity_from_alertmanager_pages_at_the_service_default(api: Api) -> None:
    event = pd_event(key="mixed")
    event["payload"]["severity"] = ""
    assert api.client.post("/v2/enqueue", json=event).status_code == 202
    (incident,) = incidents(api)
    assert incident["severity"] == "P3"  # the api service's default severity


def test_oversized_body_is_refused_before_it_is_read(api: Api) -> None:
    response = api.client.post("/v2/enqueue", content=b"{}", headers={"Content-Length": "900000"})
    assert response.status_code == 413


def test_alerts_of_a_private_incident_are_hidden_like_the_incident(api: Api) -> None:
    api.client.post("/v2/enqueue", json=pd_event(key="leak", summary="customer PII in logs"))
    ref = incidents(api)[0]["ref"]
    api.patch(f"/api/v1/incidents/{ref}", {"private": True}, who="admin")
    alert_id = api.get("/api/v1/alerts").json()[0]["id"]
    assert api.get("/api/v1/alerts", who="otto").json() == []  # outsider: nothing
    assert api.get(f"/api/v1/alerts/{alert_id}", who="otto").status_code == 404
    assert len(api.get("/api/v1/alerts", who="vera").json()) == 1  # the owning team sees it
    assert api.get(f"/api/v1/alerts/{alert_id}", who="vera").status_code == 200


def test_a_trigger_waits_for_a_concurrent_resolve_of_its_group(api: Api) -> None:
    """The last alert of an incident resolves (closing it) while another alert of the same group
    fires. The trigger must wait for the resolve's commit and then open a new incident, never join
    the one being closed (which would leave an open alert inside a resolved incident)."""
    import threading

    from firebell.alerts.models import Integration
    from firebell.alerts.service import ingest
    from firebell.core.formats.alertmanager import parse_message

    url = f"/integrations/alertmanager/{AM_API}"
    api.client.post(url, json=am_message("Race", [am_alert("Race", "a", severity="critical")]))
    (first,) = incidents(api)
    resolve = parse_message(am_message("Race", [am_alert("Race", "a", status="resolved", severity="critical")]),
                            flavour="alertmanager")
    trigger = parse_message(am_message("Race", [am_alert("Race", "b", severity="critical")]), flavour="alertmanager")
    resolving, trigger_done = threading.Event(), threading.Event()
    order: list[str] = []

    def integration(session):  # type: ignore[no-untyped-def]
        return session.query(Integration).filter_by(name="alertmanager", type="alertmanager").first()

    def resolver() -> None:
        with api.db.unit_of_work() as session:
            ingest(session, integration(session), resolve, api.clock.now)
            resolving.set()
            assert not trigger_done.wait(0.5)  # the trigger is held while we have not committed
            order.append("resolve committed")

    def triggerer() -> None:
        resolving.wait(10)
        with api.db.unit_of_work() as session:
            ingest(session, integration(session), trigger, api.clock.now)
        order.append("trigger committed")
        trigger_done.set()

    threads = [threading.Thread(target=resolver), threading.Thread(target=triggerer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert order == ["resolve committed", "trigger committed"]
    by_ref = {i["ref"]: i["status"] for i in incidents(api)}
    assert by_ref[first["ref"]] == "resolved"
    (newest,) = [a for a in api.get("/api/v1/alerts").json() if a["labels"]["instance"] == "b"]
    assert newest["incident"] != first["ref"] and by_ref[newest["incident"]] == "triggered"


def test_a_rotated_key_works_at_once_and_the_old_one_stops_on_a_running_server(api: Api) -> None:
    """The server caches integrations by key hash: rotation must reach that cache immediately."""
    from sqlalchemy import update

    from firebell.alerts.keys_admin import rotate
    from firebell.alerts.models import Integration

    assert api.client.post("/v2/enqueue", json=pd_event(key="before-rotation")).status_code == 202  # cache warm
    with api.db.unit_of_work() as session:
        session.execute(update(Integration).where(Integration.name == "pagerduty", Integration.type == "pagerduty")
                        .values(key_source="generated"))
    with api.db.unit_of_work() as session:
        new_key = rotate(session, "api", "pagerduty", now=api.clock.now)
    old = api.client.post("/v2/enqueue", json=pd_event(key="after-rotation"))
    assert old.status_code == 404
    fresh = api.client.post("/v2/enqueue", json=pd_event(key="after-rotation", routing_key=new_key))
    assert fresh.status_code == 202, fresh.text
    keys = {a["dedup_key"] for a in api.get("/api/v1/alerts").json()}
    assert "after-rotation" in keys and "before-rotation" in keys


def test_alerts_are_listed_by_severity_and_text_a_page_at_a_time(api: Api) -> None:
    for key, severity, summary in (("db1/disk", "critical", "Disk full on db1"), ("web/5xx", "warning", "5xx on web"),
                                   ("web/latency", "warning", "Latency on web")):
        sent = api.client.post("/v2/enqueue", json=pd_event(key=key, severity=severity, summary=summary))
        assert sent.status_code == 202
        api.clock.advance(seconds=1)
    assert [a["summary"] for a in api.get("/api/v1/alerts", severity="P3").json()] == ["Latency on web", "5xx on web"]
    assert [a["dedup_key"] for a in api.get("/api/v1/alerts", q="DB1").json()] == ["db1/disk"]
    assert [a["summary"] for a in api.get("/api/v1/alerts", limit=1, offset=1).json()] == ["5xx on web"]
