"""A real Prometheus Alertmanager delivering to a real `firebell serve`, on SQLite and PostgreSQL.

Alerts are posted to Alertmanager's own API; Alertmanager groups them and notifies Firebell through
its webhook receiver (key in the URL, or as a bearer token) and its PagerDuty receiver (Events API
v2 pointed at /v2/enqueue). The tests only look at what Firebell's API then shows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.peers.amserver import (
    Alertmanager,
    Firebell,
    find_alertmanager,
    fresh_database,
    group_key,
    pd_dedup_key,
    run_alertmanager,
    run_firebell,
    wait_for,
)

# One worker runs the module (scripts/test.sh: --dist loadgroup), so its servers start once per backend.
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("alertmanager")]
BACKENDS = ["sqlite", "postgresql"]


@dataclass
class Stack:
    fb: Firebell
    am: Alertmanager

    def logs(self) -> str:
        return f"{self.fb.log_tail()}\n{self.am.log_tail()}"

    def alerts_named(self, alertname: str) -> list[dict[str, Any]]:
        return [a for a in self.fb.alerts() if a["labels"].get("alertname") == alertname]

    def wait_alerts(self, alertname: str, count: int, **expect: Any) -> list[dict[str, Any]]:
        def probe() -> list[dict[str, Any]] | None:
            found = self.alerts_named(alertname)
            ok = len(found) == count and all(all(a[k] == v for k, v in expect.items()) for a in found)
            return found if ok else None

        return wait_for(probe, f"{count} alert(s) {alertname} with {expect}",
                        on_timeout=lambda: f"alerts: {self.alerts_named(alertname)}\n{self.logs()}")

    def wait_incident(self, ref: str, status: str) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            incident = self.fb.incident(ref)
            return incident if incident["status"] == status else None

        return wait_for(probe, f"{ref} to be {status}",
                        on_timeout=lambda: f"incident: {self.fb.incident(ref)}\n{self.logs()}")


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    binary = find_alertmanager()
    if binary is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("Alertmanager is missing in CI; scripts/test.sh installs prometheus-alertmanager")
        pytest.skip("no Alertmanager binary (apt-get install prometheus-alertmanager)")
    return binary


@pytest.fixture(scope="module", params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          alertmanager_binary: str) -> Iterator[Stack]:
    """One Firebell and one Alertmanager per backend for this module: each test fires alerts with
    its own alertname and looks only at those (and at the incidents they opened), so none depends on
    what another left; starting the pair cost 8-11 s a test, the tests themselves a few seconds."""
    workdir = tmp_path_factory.mktemp(f"alertmanager-{request.param}")
    with fresh_database(request, request.param, workdir / "db") as url, \
            run_firebell(url, workdir / "firebell") as fb, \
            run_alertmanager(alertmanager_binary, fb.url, workdir / "alertmanager") as am:
        yield Stack(fb=fb, am=am)


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _am_fingerprints(am: Alertmanager, alertname: str) -> dict[str, str]:
    """instance -> Alertmanager's fingerprint of the alert, from Alertmanager's own API."""
    response = httpx.get(f"{am.url}/api/v2/alerts", params={"filter": f'alertname="{alertname}"'}, timeout=10)
    assert response.status_code == 200, response.text
    return {a["labels"].get("instance", ""): a["fingerprint"] for a in response.json()}


def test_webhook_groups_two_alerts_into_one_incident_that_resolves_when_both_do(stack: Stack) -> None:
    name = _unique("HighErrorRate")
    started = datetime.now(UTC)
    a = {"alertname": name, "instance": "web-1:9100", "severity": "error", "receiver_kind": "webhook"}
    b = {"alertname": name, "instance": "web-2:9100", "severity": "error", "receiver_kind": "webhook"}
    stack.am.fire(a, b, starts_at=started, summary="5xx above 5%")

    alerts = stack.wait_alerts(name, 2)
    refs = {x["incident"] for x in alerts}
    assert len(refs) == 1 and None not in refs, f"both alerts should be in one incident: {alerts}"
    ref = refs.pop()
    assert {x["service"] for x in alerts} == {"api"}
    assert {x["format"] for x in alerts} == {"alertmanager"}
    assert {x["status"] for x in alerts} == {"triggered"}
    assert {x["severity"] for x in alerts} == {"P2"}  # severity="error" -> P2 in api's severity_map
    assert {x["group_key"] for x in alerts} == {group_key("webhook", name)}
    assert {x["source"] for x in alerts} == {"web-1:9100", "web-2:9100"}
    # Alertmanager's fingerprint identifies each alert.
    fingerprints = _am_fingerprints(stack.am, name)
    assert {x["dedup_key"] for x in alerts} == set(fingerprints.values())

    attached = stack.fb.alerts(incident=ref)
    assert len(attached) == 2, attached
    incident = stack.fb.incident(ref)
    assert incident["severity"] == "P2" and incident["status"] == "triggered" and incident["services"] == ["api"]
    assert incident["title"] == "5xx above 5%"

    stack.am.resolve(a, starts_at=started, summary="5xx above 5%")
    wait_for(lambda: {x["labels"]["instance"]: x["status"] for x in stack.alerts_named(name)}
             == {"web-1:9100": "resolved", "web-2:9100": "triggered"}, "web-1 resolved, web-2 still firing",
             on_timeout=lambda: f"{stack.alerts_named(name)}\n{stack.logs()}")
    assert stack.fb.incident(ref)["status"] == "triggered", "one alert is still firing: the incident stays open"

    stack.am.resolve(b, starts_at=started, summary="5xx above 5%")
    resolved = stack.wait_incident(ref, "resolved")
    assert resolved["resolved_at"] is not None
    listed = stack.fb.api("/api/v1/incidents", service="api", status="resolved")["items"]
    assert ref in [i["ref"] for i in listed]
    assert {x["status"] for x in stack.alerts_named(name)} == {"resolved"}
    types = [e["type"] for e in stack.fb.timeline(ref)]
    assert types.count("alert_attached") == 2 and types.count("alert_resolved") == 2, types


def test_webhook_with_the_key_as_bearer_token(stack: Stack) -> None:
    name = _unique("LatencyHigh")
    started = datetime.now(UTC)
    labels = {"alertname": name, "instance": "web-3:9100", "severity": "critical", "receiver_kind": "bearer"}
    stack.am.fire(labels, starts_at=started)

    (alert,) = stack.wait_alerts(name, 1)
    assert alert["service"] == "api" and alert["severity"] == "P1" and alert["incident"]
    assert alert["group_key"] == group_key("bearer", name)
    ref = alert["incident"]
    assert stack.fb.incident(ref)["severity"] == "P1"

    stack.am.resolve(labels, starts_at=started)
    stack.wait_incident(ref, "resolved")
    assert stack.alerts_named(name)[0]["status"] == "resolved"


def test_pagerduty_receiver_opens_and_resolves_an_incident(stack: Stack) -> None:
    name = _unique("CheckoutDown")
    started = datetime.now(UTC)
    labels = {"alertname": name, "instance": "checkout-1", "severity": "critical", "receiver_kind": "pd"}
    stack.am.fire(labels, starts_at=started)

    dedup = pd_dedup_key("pd", name)

    def by_dedup() -> list[dict[str, Any]]:
        return [x for x in stack.fb.alerts(service="api") if x["dedup_key"] == dedup]

    (alert,) = wait_for(lambda: by_dedup() or None, f"a PagerDuty alert with dedup_key {dedup}",
                        on_timeout=lambda: f"alerts: {stack.fb.alerts()}\n{stack.logs()}")
    assert alert["format"] == "pagerduty"
    assert alert["status"] == "triggered"
    assert alert["source_severity"] == "critical"  # severity: '{{ .CommonLabels.severity }}'
    assert alert["severity"] == "P1"
    assert alert["source"] == "Alertmanager"  # Alertmanager's default payload.source is its client name
    assert alert["summary"].startswith("[FIRING:1] " + name), alert["summary"]
    ref = alert["incident"]
    assert ref, alert
    incident = stack.fb.incident(ref)
    assert incident["status"] == "triggered" and incident["severity"] == "P1"

    detail = stack.fb.alert(alert["id"])
    assert detail["last_payload"]["event_action"] == "trigger"
    assert detail["last_payload"]["client"] == "Alertmanager"

    stack.am.resolve(labels, starts_at=started)
    stack.wait_incident(ref, "resolved")
    (after,) = by_dedup()
    assert after["status"] == "resolved"
    history = stack.fb.alert(after["id"])["history"]
    assert [h["action"] for h in history] == ["trigger", "resolve"], history
    # Alertmanager sends the payload on resolve too; Firebell must have accepted it.
    assert history[-1]["payload"]["event_action"] == "resolve" and "payload" in history[-1]["payload"]


def test_disk_alert_is_routed_to_database_which_waits_for_a_human(stack: Stack) -> None:
    name = _unique("DiskFull")
    started = datetime.now(UTC)
    labels = {"alertname": name, "instance": "db-1:9100", "severity": "critical", "receiver_kind": "webhook"}
    stack.am.fire(labels, starts_at=started, summary="Disk 97% full on db-1")

    (alert,) = stack.wait_alerts(name, 1)
    assert alert["service"] == "database", "routing rule disk-to-database (alertname=~\"Disk.*\")"
    assert "storage" in alert["tags"]
    ref = alert["incident"]
    assert ref, alert
    incident = stack.fb.incident(ref)
    assert incident["services"] == ["database"] and incident["status"] == "triggered"
    assert "storage" in incident["tags"]
    listed = stack.fb.api("/api/v1/incidents", service="database", status="triggered")["items"]
    assert ref in [i["ref"] for i in listed]

    stack.am.resolve(labels, starts_at=started, summary="Disk 97% full on db-1")
    stack.wait_alerts(name, 1, status="resolved")

    def note() -> list[dict[str, Any]] | None:
        notes = [e for e in stack.fb.timeline(ref) if e["type"] == "note_added"]
        return notes or None

    (held,) = wait_for(note, f"a note on {ref} that a person must resolve it",
                       on_timeout=lambda: f"timeline: {stack.fb.timeline(ref)}\n{stack.logs()}")
    assert "does not auto-resolve" in held["payload"]["text"]
    assert stack.fb.incident(ref)["status"] == "triggered", "database has auto_resolve: false"
