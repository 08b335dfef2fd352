"""Issue 13, "stay up in the storm": every ingestion route, fed hostile input, answers 2xx or a 4xx
saying what is wrong, never a 5xx; and whatever it accepted reads back through the API. On both stores.

Most examples start from a payload a real sender would send, with one field made hostile: random
JSON stops at the first check, a mutated real message reaches the parsers, the rules and the store.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from tests.alerts.test_ingest_api import AM_API, PD_API, am_alert, am_message, pd_event
from tests.api.conftest import Api
from tests.fuzz.rules import assert_fair, fuzz
from tests.fuzz.strategies import broken_bytes, dumps, header_value, hostile_json, mutated

GRAFANA_KEY = "grapikey0000000000000000000000aa"
GRAFANA_SECRET = b"s3cret"  # tests/fixtures/org.yaml
WEBHOOK_KEY = "whapikey0000000000000000000000aa"
HEARTBEAT_KEY = "hbapikey0000000000000000000000aa"

PD_TRIGGER = pd_event(key="fuzz/1", payload={
    "summary": "Disk full", "source": "db1", "severity": "critical", "timestamp": "2026-11-23T02:59:00Z",
    "component": "disk", "group": "db", "class": "capacity", "custom_details": {"free": "1%", "mounts": ["/"]}},
    client="Prometheus", client_url="http://prometheus:9090", links=[{"href": "http://x/1", "text": "graph"}],
    images=[{"src": "http://x/1.png", "href": "http://x/1", "alt": "graph"}])
PD_CHANGE = {"routing_key": PD_API, "links": [{"href": "http://ci/42", "text": "run"}], "payload": {
    "summary": "Deploy 42", "source": "ci", "timestamp": "2026-11-23T02:00:00Z", "custom_details": {"sha": "abc"}}}
AM_MESSAGE = am_message("DiskFull", [am_alert("DiskFull", "db1", severity="critical"),
                                     am_alert("DiskFull", "db2", status="resolved", severity="warning")],
                        env="prod")
GRAFANA_MESSAGE = AM_MESSAGE | {"version": "1", "orgId": 1, "title": "[FIRING:1] DiskFull", "state": "alerting",
                                "message": "Disk full on db1"}
WEBHOOK_CHECK = {"check": {"title": "CI red", "level": "error", "id": "ci-1", "url": "http://ci/1"}, "state": "failing",
                 "host": "ci1"}


def body_for(valid: Any) -> st.SearchStrategy[bytes]:
    """A hostile version of `valid`, as bytes: mutated (most often), hostile JSON, or not JSON at all."""
    return st.one_of(mutated(valid).map(dumps), mutated(valid).map(dumps), hostile_json.map(dumps),
                     broken_bytes(valid))


def reads_back(api: Api, answer: dict[str, Any]) -> None:
    """What an accepted request stored reads back through the API: alert lists and details, the
    incidents it touched and their timelines."""
    listed = api.get("/api/v1/alerts", limit=500)
    assert listed.status_code == 200, listed.text[:2_000]
    for alert in listed.json()[:3]:  # the newest activity: the clock moved on before this request
        detail = api.get(f"/api/v1/alerts/{alert['id']}")
        assert detail.status_code == 200, detail.text[:2_000]
    refs = {o["incident"] for o in answer.get("outcomes", []) if o.get("incident")}
    for ref in sorted(refs)[:3]:
        for path in (f"/api/v1/incidents/{ref}", f"/api/v1/incidents/{ref}/timeline"):
            shown = api.get(path)
            assert shown.status_code == 200, shown.text[:2_000]
    assert api.get("/api/v1/incidents").status_code == 200


def send(api: Api, method: str, url: str, body: bytes, headers: dict[str, Any] | None = None) -> Any:
    api.clock.advance(seconds=1)
    response = api.client.request(method, url, content=body,
                                  headers={"content-type": "application/json"} | (headers or {}))
    assert_fair(response, method)
    if response.status_code < 300:
        reads_back(api, response.json() if response.content else {})
    return response


@fuzz
@given(body=body_for(PD_TRIGGER))
def test_pagerduty_events_survive_hostile_bodies(api: Api, body: bytes) -> None:
    response = send(api, "POST", "/v2/enqueue", body)
    if response.status_code >= 400:  # PagerDuty's shape: senders' client libraries read these
        assert {"status", "message"} <= set(response.json())


@fuzz
@given(body=body_for(PD_CHANGE))
def test_pagerduty_change_events_survive_hostile_bodies(api: Api, body: bytes) -> None:
    send(api, "POST", "/v2/change/enqueue", body)


@fuzz
@given(body=body_for(AM_MESSAGE), bearer=st.booleans())
def test_alertmanager_messages_survive_hostile_bodies(api: Api, body: bytes, bearer: bool) -> None:
    if bearer:
        send(api, "POST", "/integrations/alertmanager", body, {"authorization": f"Bearer {AM_API}"})
    else:
        send(api, "POST", f"/integrations/alertmanager/{AM_API}", body)


def grafana_headers(api: Api, body: bytes) -> dict[str, str]:
    stamp = str(int(api.clock.now.timestamp()) + 1)  # send() moves the clock on by a second
    signature = hmac.new(GRAFANA_SECRET, stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Grafana-Alerting-Signature": signature, "X-Grafana-Alerting-Timestamp": stamp}


@fuzz
@given(body=body_for(GRAFANA_MESSAGE), method=st.sampled_from(["POST", "PUT"]))
def test_signed_grafana_messages_survive_hostile_bodies(api: Api, body: bytes, method: str) -> None:
    send(api, method, f"/integrations/grafana/{GRAFANA_KEY}", body, grafana_headers(api, body))


@fuzz
@given(body=body_for(WEBHOOK_CHECK))
def test_mapped_webhooks_survive_hostile_bodies(api: Api, body: bytes) -> None:
    send(api, "POST", f"/integrations/webhook/{WEBHOOK_KEY}", body)


@fuzz
@given(method=st.sampled_from(["GET", "POST", "HEAD"]), body=st.one_of(st.just(b""), hostile_json.map(dumps)),
       key=st.one_of(st.just(HEARTBEAT_KEY), st.text(st.characters(codec="utf-8"), min_size=1, max_size=80)))
def test_heartbeats_survive_hostile_keys_and_bodies(api: Api, method: str, body: bytes, key: str) -> None:
    send(api, method, f"/integrations/heartbeat/{quote(key, safe='')}", body)  # any character reaches the route


INGESTION_HEADERS = ["authorization", "content-type", "content-length", "content-encoding", "transfer-encoding",
                     "x-grafana-alerting-signature", "x-grafana-alerting-timestamp"]


@fuzz
@given(route=st.sampled_from([("/v2/enqueue", PD_TRIGGER), ("/integrations/alertmanager", AM_MESSAGE),
                              (f"/integrations/alertmanager/{AM_API}", AM_MESSAGE),
                              (f"/integrations/grafana/{GRAFANA_KEY}", GRAFANA_MESSAGE),
                              (f"/integrations/webhook/{WEBHOOK_KEY}", WEBHOOK_CHECK)]),
       hostile=st.dictionaries(st.sampled_from(INGESTION_HEADERS), header_value, min_size=1, max_size=3))
def test_ingestion_survives_hostile_headers(api: Api, route: tuple[str, Any], hostile: dict[str, bytes]) -> None:
    """A valid body (Grafana's validly signed) with hostile auth, signature, timestamp or body headers."""
    url, valid = route
    body = dumps(valid)
    headers: dict[str, Any] = {"authorization": f"Bearer {AM_API}"} | grafana_headers(api, body)
    headers |= hostile
    send(api, "POST", url, body, headers)
