"""PagerDuty's own Python client (pdpyras) pointed at a live `firebell serve`, on SQLite and PostgreSQL.

The client is written against events.pagerduty.com; it only has to be told our base URL. Where the
Events API v2 fixes the bytes of a response, the raw HTTP response is checked as well.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.peers.amserver import API_PD_KEY, Firebell, fresh_database, run_firebell

with warnings.catch_warnings():  # pdpyras warns on import that "pagerduty" is its successor
    warnings.simplefilter("ignore")
    try:
        import pdpyras
    except ImportError:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            raise
        pytest.skip("pdpyras is not installed (scripts/test.sh installs it)", allow_module_level=True)

if TYPE_CHECKING:
    import requests  # pdpyras is built on it

# One worker runs the module (scripts/test.sh: --dist loadgroup), so its servers start once per backend.
pytestmark = [pytest.mark.live, pytest.mark.xdist_group("pagerduty-client")]
BACKENDS = ["sqlite", "postgresql"]
S = TypeVar("S", bound="pdpyras.PDSession")


@pytest.fixture(scope="module", params=BACKENDS)
def fb(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firebell]:
    """One server per backend for this module (each test uses its own dedup keys and summaries):
    a server start costs seconds, the tests here take a fraction of one."""
    workdir = tmp_path_factory.mktemp(f"pd-client-{request.param}")
    with fresh_database(request, request.param, workdir) as url, run_firebell(url, workdir) as server:
        yield server


def _point_at(session: S, fb: Firebell) -> S:
    session.url = fb.url  # instead of https://events.pagerduty.com
    session.timeout = 10
    session.max_http_attempts = session.max_network_attempts = 1
    return session


def _events(fb: Firebell, routing_key: str = API_PD_KEY) -> pdpyras.EventsAPISession:
    return _point_at(pdpyras.EventsAPISession(routing_key), fb)


def _raw(session: pdpyras.PDSession, path: str, event: dict[str, Any]) -> requests.Response:
    """POST through the client's session and return the raw response. EventsAPISession adds the
    routing_key to the body; ChangeEventsAPISession does not (its submit() puts it in itself)."""
    response: requests.Response = session.post(path, json=event)
    return response


def _pairs(response: requests.Response) -> list[tuple[str, Any]]:
    return list(json.loads(response.content, object_pairs_hook=lambda pairs: pairs))


def _alert(fb: Firebell, dedup_key: str) -> dict[str, Any]:
    found = [a for a in fb.alerts() if a["dedup_key"] == dedup_key]
    assert len(found) == 1, f"expected one alert with dedup_key {dedup_key}: {found}"
    return found[0]


def _key(prefix: str = "pdpy") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _stored(fb: Firebell, marker: str) -> list[dict[str, Any]]:
    """Alerts whose dedup key or summary contains `marker` (the server is shared by this module)."""
    return [a for a in fb.alerts() if marker in a["dedup_key"] or marker in a["summary"]]


def test_trigger_answers_202_with_the_documented_body(fb: Firebell) -> None:
    session = _events(fb)
    key = _key()
    event = {"event_action": "trigger", "dedup_key": key,
             "payload": {"summary": "Disk 97% full on web-1", "source": "web-1.prod.example.net",
                         "severity": "critical", "timestamp": "2015-07-17T08:42:58.315+0000",
                         "component": "nginx", "group": "web", "class": "disk",
                         "custom_details": {"used_pct": 97}},
             "links": [{"href": "https://runbooks.example.net/disk", "text": "Runbook"}],
             "images": [{"src": "https://graphs.example.net/disk.png", "alt": "disk"}],
             "client": "pdpyras test", "client_url": "https://monitoring.example.net"}
    response = _raw(session, "/v2/enqueue", event)
    assert response.status_code == 202, response.text
    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert _pairs(response) == [("status", "success"), ("message", "Event processed"), ("dedup_key", key)]
    assert response.content == b'{"status":"success","message":"Event processed","dedup_key":"' + key.encode() + b'"}'

    alert = _alert(fb, key)
    assert alert["service"] == "api" and alert["format"] == "pagerduty" and alert["status"] == "triggered"
    assert alert["summary"] == "Disk 97% full on web-1" and alert["source"] == "web-1.prod.example.net"
    assert alert["severity"] == "P1" and alert["incident"]
    assert {"href": "https://runbooks.example.net/disk", "text": "Runbook"} in alert["links"]

    # The client's own trigger() returns the dedup key from the response body.
    key2 = _key()
    assert session.trigger("Checkout latency", "checkout-1", dedup_key=key2, severity="error") == key2
    assert _alert(fb, key2)["severity"] == "P2"


def test_acknowledge_and_resolve_through_the_client(fb: Firebell) -> None:
    session = _events(fb)
    key = _key()
    assert session.trigger("Payments 5xx above 5%", "payments-1", dedup_key=key, severity="critical") == key
    ref = _alert(fb, key)["incident"]
    assert ref and fb.incident(ref)["status"] == "triggered"

    assert session.acknowledge(key) == key
    assert _alert(fb, key)["status"] == "acknowledged"
    assert fb.incident(ref)["status"] == "acknowledged"

    assert session.resolve(key) == key
    assert _alert(fb, key)["status"] == "resolved"
    assert fb.incident(ref)["status"] == "resolved"  # api auto-resolves when its alerts do


def test_a_repeated_trigger_is_logged_on_the_open_alert_and_a_later_one_opens_a_new_alert(fb: Firebell) -> None:
    session = _events(fb)
    key = _key()
    session.trigger("Queue backlog", "worker-1", dedup_key=key, severity="critical")
    session.trigger("Queue backlog growing", "worker-1", dedup_key=key, severity="critical")
    alert = _alert(fb, key)
    assert alert["event_count"] == 2 and alert["summary"] == "Queue backlog growing"
    assert len(fb.alerts(incident=alert["incident"])) == 1

    session.resolve(key)
    session.trigger("Queue backlog again", "worker-1", dedup_key=key, severity="critical")
    both = [a for a in fb.alerts() if a["dedup_key"] == key]
    assert sorted(a["status"] for a in both) == ["resolved", "triggered"]


def test_acknowledge_or_resolve_of_an_unknown_key_is_accepted_and_dropped(fb: Firebell) -> None:
    session = _events(fb)
    key = _key("never-triggered")
    response = _raw(session, "/v2/enqueue", {"event_action": "resolve", "dedup_key": key})
    assert response.status_code == 202, response.text
    assert _pairs(response) == [("status", "success"), ("message", "Event processed"), ("dedup_key", key)]
    assert session.acknowledge(key) == key
    assert [a for a in fb.alerts() if a["dedup_key"] == key] == []


def test_trigger_without_dedup_key_gets_a_generated_one(fb: Firebell) -> None:
    session = _events(fb)
    response = _raw(session, "/v2/enqueue", {"event_action": "trigger",
                                             "payload": {"summary": "No key", "source": "s1", "severity": "info"}})
    assert response.status_code == 202, response.text
    pairs = _pairs(response)
    assert [k for k, _ in pairs] == ["status", "message", "dedup_key"]
    generated = dict(pairs)["dedup_key"]
    assert isinstance(generated, str) and 0 < len(generated) <= 255

    key = session.trigger("No key either", "s2", severity="critical")
    assert key and key != generated
    assert _alert(fb, key)["summary"] == "No key either"
    assert session.resolve(key) == key
    assert _alert(fb, key)["status"] == "resolved"


def test_invalid_event_is_400_naming_each_bad_field(fb: Firebell) -> None:
    session = _events(fb)
    marker = _key("invalid")
    response = _raw(session, "/v2/enqueue", {"event_action": "trigger", "dedup_key": marker,
                                             "payload": {"source": "web-1", "severity": "fatal"}})
    assert response.status_code == 400, response.text
    pairs = _pairs(response)
    assert pairs[:2] == [("status", "invalid event"), ("message", "Event object is invalid")]
    assert [k for k, _ in pairs] == ["status", "message", "errors"]
    errors = dict(pairs)["errors"]
    assert isinstance(errors, list) and all(isinstance(e, str) for e in errors)
    assert len(errors) == 2, errors
    assert any("payload.summary" in e for e in errors), errors
    assert any("payload.severity" in e for e in errors), errors

    # Every problem is named at once, not just the first.
    response = _raw(session, "/v2/enqueue", {"event_action": "explode", "payload": {"summary": 3, "source": "x",
                                                                                    "severity": "info"}})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any("event_action" in e for e in errors) and any("payload.summary" in e for e in errors), errors

    response = _raw(session, "/v2/enqueue", {"event_action": "acknowledge", "dedup_key": ""})
    assert response.status_code == 400 and any("dedup_key" in e for e in response.json()["errors"])
    response = _raw(session, "/v2/enqueue", {"event_action": "acknowledge"})
    assert response.status_code == 400 and any("dedup_key" in e for e in response.json()["errors"])

    response = _raw(session, "/v2/enqueue", {"event_action": "trigger", "dedup_key": "k" * 256,
                                             "payload": {"summary": "s", "source": "x", "severity": "info"}})
    assert response.status_code == 400 and any("dedup_key" in e for e in response.json()["errors"])

    response = session.post("/v2/enqueue", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["status"] == "invalid event"

    # The client surfaces the 400 as an error carrying the response.
    with pytest.raises(pdpyras.PDClientError) as raised:
        session.trigger(f"Bad severity {marker}", "web-1", severity="fatal")
    assert raised.value.response is not None and raised.value.response.status_code == 400
    assert _stored(fb, marker) == []


def test_event_over_512_kb_is_413(fb: Firebell) -> None:
    session = _events(fb)
    marker = _key("big")
    event = {"event_action": "trigger", "dedup_key": marker,
             "payload": {"summary": marker, "source": "x", "severity": "info",
                         "custom_details": {"blob": "x" * 600_000}}}
    response = _raw(session, "/v2/enqueue", event)
    assert response.status_code == 413, response.text
    assert response.json()["status"] == "invalid event"
    with pytest.raises(pdpyras.PDClientError) as raised:
        session.trigger(marker, "x", severity="info", custom_details={"blob": "x" * 600_000})
    assert raised.value.response is not None and raised.value.response.status_code == 413
    assert _stored(fb, marker) == []


def test_unknown_routing_key_is_404(fb: Firebell) -> None:
    stranger = _events(fb, routing_key="0123456789abcdef0123456789abcdef")
    marker = _key("stranger")
    with pytest.raises(pdpyras.PDClientError) as raised:
        stranger.trigger("Who am I", "nowhere", dedup_key=marker, severity="critical")
    assert raised.value.response is not None and raised.value.response.status_code == 404
    response = _raw(stranger, "/v2/enqueue", {"event_action": "trigger",
                                              "payload": {"summary": marker, "source": "x", "severity": "info"}})
    assert response.status_code == 404
    assert response.json() == {"status": "not found", "message": "Not Found"}
    assert _stored(fb, marker) == []


def test_resolve_that_carries_a_payload_is_accepted(fb: Firebell) -> None:
    """What Alertmanager sends: 64-hex dedup key, no timestamp, string custom_details, payload on resolve."""
    session = _events(fb)
    key = uuid.uuid4().hex + uuid.uuid4().hex
    details = {"firing": "Labels:\n - alertname = DiskFull\n", "resolved": "", "num_firing": "1",
               "num_resolved": "0"}
    payload = {"summary": "[FIRING:1] DiskFull (db critical)", "source": "Alertmanager", "severity": "critical",
               "custom_details": details}
    extra = {"client": "Alertmanager", "client_url": "http://am.example.net/#/alerts?receiver=pd"}
    assert session.send_event("trigger", dedup_key=key, payload=payload, **extra) == key
    resolved_payload = payload | {"summary": "[RESOLVED] DiskFull (db critical)",
                                  "custom_details": details | {"firing": "", "resolved": details["firing"],
                                                               "num_firing": "0", "num_resolved": "1"}}
    response = _raw(session, "/v2/enqueue", {"event_action": "resolve", "dedup_key": key,
                                             "payload": resolved_payload, **extra})
    assert response.status_code == 202, response.text
    assert _pairs(response) == [("status", "success"), ("message", "Event processed"), ("dedup_key", key)]
    alert = _alert(fb, key)
    assert alert["status"] == "resolved"
    assert fb.incident(alert["incident"])["status"] == "resolved"


def test_custom_details_as_string_and_as_object(fb: Firebell) -> None:
    session = _events(fb)
    as_string, as_object = _key(), _key()
    session.trigger("Details as text", "h1", dedup_key=as_string, severity="warning",
                    payload={"custom_details": "free text: 97% used"})
    session.trigger("Details as object", "h2", dedup_key=as_object, severity="warning",
                    custom_details={"used_pct": 97, "mounts": ["/", "/var"], "nested": {"a": None}})
    assert fb.alert(_alert(fb, as_string)["id"])["details"] == "free text: 97% used"
    assert fb.alert(_alert(fb, as_object)["id"])["details"] == {"used_pct": 97, "mounts": ["/", "/var"],
                                                                 "nested": {"a": None}}


def test_change_events_are_202(fb: Firebell) -> None:
    changes = _point_at(pdpyras.ChangeEventsAPISession(API_PD_KEY), fb)
    deploy, flag = _key("Deployed api v42"), _key("Flag checkout_v2 on")
    changes.submit(deploy, source="ci.example.net", custom_details={"build": 42},
                   links=[{"href": "https://ci.example.net/42", "text": "Build 42"}])
    response = _raw(changes, "/v2/change/enqueue", {"routing_key": API_PD_KEY,
                                                    "payload": {"summary": flag, "timestamp": "2024-05-01T10:00:00Z"}})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "success"
    listed = fb.api("/api/v1/changes", service="api", since="2000-01-01T00:00:00Z")
    summaries = {c["summary"]: c for c in listed if c["summary"] in (deploy, flag)}
    assert set(summaries) == {deploy, flag}
    assert summaries[deploy]["details"] == {"build": 42} and summaries[deploy]["source"] == "ci.example.net"
    assert summaries[deploy]["links"] == [{"href": "https://ci.example.net/42", "text": "Build 42"}]

    response = _raw(changes, "/v2/change/enqueue", {"routing_key": API_PD_KEY, "payload": {"source": "no summary"}})
    assert response.status_code == 400 and any("payload.summary" in e for e in response.json()["errors"])
