"""Parsing every wire format, quirks included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from firebell.core.events import EventAction
from firebell.core.formats import PayloadError
from firebell.core.formats.alertmanager import parse_message
from firebell.core.formats.pagerduty import parse_change, parse_event
from firebell.core.formats.timestamps import parse_instant
from firebell.core.formats.webhook import parse_webhook

KEY = "0123456789abcdef0123456789abcdef"


def pd(**overrides: object) -> dict:  # type: ignore[type-arg]
    body = {"routing_key": KEY, "event_action": "trigger", "dedup_key": "db1/disk",
            "payload": {"summary": "Disk 97% full on db1", "source": "db1", "severity": "critical"}}
    body.update(overrides)
    return body


def test_pd_trigger() -> None:
    key, event = parse_event(pd(links=[{"href": "https://rb/disk", "text": "Runbook"}],
                                payload={"summary": "s", "source": "db1", "severity": "warning",
                                         "timestamp": "2015-07-17T08:42:58.315+0000", "component": "postgres",
                                         "custom_details": {"used_pct": 97}}), generated_dedup_key="gen")
    assert key == KEY and event.action is EventAction.TRIGGER and event.dedup_key == "db1/disk"
    assert event.occurred_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert event.labels == {"component": "postgres", "severity": "warning"}
    assert event.links == [{"href": "https://rb/disk", "text": "Runbook"}]


def test_pd_generates_a_dedup_key_only_when_absent() -> None:
    body = pd()
    del body["dedup_key"]
    assert parse_event(body, generated_dedup_key="gen")[1].dedup_key == "gen"


def test_pd_alertmanager_quirks_are_accepted() -> None:
    am_resolve = {"routing_key": KEY, "event_action": "resolve", "dedup_key": "a" * 64,
                  "payload": {"summary": "[RESOLVED] DiskFull", "source": "Alertmanager", "severity": "error",
                              "custom_details": {"firing": "", "num_firing": "0"}},
                  "client": "Alertmanager", "client_url": "http://am/#/alerts"}
    event = parse_event(am_resolve, generated_dedup_key="x")[1]
    assert event.action is EventAction.RESOLVE and event.dedup_key == "a" * 64
    structured = pd(payload={"summary": "s", "source": "Alertmanager", "severity": "error",
                             "custom_details": {"firing": [{"labels": {"a": "b"}}], "num_firing": 1}})
    assert parse_event(structured, generated_dedup_key="x")[1].details["num_firing"] == 1


def test_pd_ack_and_resolve_need_only_the_key() -> None:
    event = parse_event({"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "k"},
                        generated_dedup_key="x")[1]
    assert event.action is EventAction.ACKNOWLEDGE and event.summary == ""


@pytest.mark.parametrize(("body", "errors"), [
    ({"event_action": "trigger"}, ["'routing_key' is missing", "'payload' is required for trigger"]),
    (pd(event_action="explode"), ["'event_action' must be one of trigger, acknowledge, resolve"]),
    (pd(payload={"source": "db1", "severity": "fatal"}),
     ["'payload.summary' is missing", "'payload.severity' must be one of critical, error, warning, info"]),
    (pd(payload={"summary": "x" * 1025, "source": "s", "severity": "info"}),
     ["Length of 'payload.summary' is 1025; the limit is 1024 characters"]),
    (pd(dedup_key="k" * 256), ["Length of 'dedup_key' is 256; the limit is 255 characters"]),
    ({"routing_key": KEY, "event_action": "resolve"}, ["'dedup_key' is required for resolve"]),
    (pd(payload={"summary": "s", "source": "s", "severity": "info", "timestamp": "yesterday"}),
     ["'payload.timestamp' 'yesterday' is not an ISO 8601 timestamp"]),
    (pd(links=[{"text": "no href"}], images=[{"alt": "x"}]),
     ["'links[0].href' is missing", "'images[0].src' is missing"]),
    ([1, 2], ["the body must be a JSON object"]),
])
def test_pd_errors_name_each_bad_field(body: object, errors: list[str]) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_event(body, generated_dedup_key="x")
    assert caught.value.errors == errors


def test_pd_change_event() -> None:
    key, change = parse_change({"routing_key": KEY, "payload": {"summary": "Deploy 42", "source": "ci",
                                                                "timestamp": "2026-11-23T09:00:00Z"},
                                "links": [{"href": "https://ci/42"}]})
    assert key == KEY and change.summary == "Deploy 42" and change.links == [{"href": "https://ci/42", "text": ""}]
    with pytest.raises(PayloadError, match="payload"):
        parse_change({"routing_key": KEY})


AM = {
    "version": "4", "groupKey": '{}/{team="db"}:{alertname="DiskFull"}', "truncatedAlerts": 0, "status": "firing",
    "receiver": "irp\\-webhook", "groupLabels": {"alertname": "DiskFull"},
    "commonLabels": {"alertname": "DiskFull", "team": "db"}, "commonAnnotations": {}, "externalURL": "http://am",
    "alerts": [
        {"status": "firing", "labels": {"alertname": "DiskFull", "team": "db", "severity": "critical",
                                        "instance": "db1:9100"},
         "annotations": {"summary": "Disk almost full", "runbook_url": "https://rb/disk"},
         "startsAt": "2024-05-01T10:00:00.123456789Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://prom:9090/graph", "fingerprint": "0a1b2c3d4e5f6071"},
        {"status": "resolved", "labels": {"alertname": "DiskFull", "team": "db", "instance": "db2:9100"},
         "annotations": {}, "startsAt": "2024-05-01T10:00:00Z", "endsAt": "2024-05-01T10:20:00.456+02:00",
         "generatorURL": "", "fingerprint": "1111111111111111"},
    ],
}


def test_alertmanager_message_gives_one_event_per_alert() -> None:
    firing, resolved = parse_message(AM, flavour="alertmanager")
    assert firing.action is EventAction.TRIGGER and resolved.action is EventAction.RESOLVE
    assert firing.dedup_key == "0a1b2c3d4e5f6071" and firing.group_key == AM["groupKey"]
    assert firing.summary == "Disk almost full" and firing.source == "db1:9100"
    assert firing.source_severity == "critical"
    assert firing.occurred_at == datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert {"href": "https://rb/disk", "text": "Runbook"} in firing.links
    assert resolved.summary == "DiskFull (instance=db2:9100, team=db)"
    assert resolved.occurred_at == datetime(2024, 5, 1, 8, 20, 0, 456000, tzinfo=UTC)


def test_grafana_message_and_version_checks() -> None:
    grafana = dict(AM, version="1", orgId=1, state="alerting")
    grafana["alerts"] = [dict(AM["alerts"][0], silenceURL="http://g/silence", dashboardURL="", values={"B": 93.1})]
    (event,) = parse_message(grafana, flavour="grafana")
    assert event.format == "grafana" and {"href": "http://g/silence", "text": "Silence"} in event.links
    assert event.details == {"values": {"B": 93.1}}
    with pytest.raises(PayloadError, match="version 4"):
        parse_message(grafana, flavour="alertmanager")
    with pytest.raises(PayloadError) as caught:
        parse_message({"version": "4", "alerts": [{"status": "burning"}]}, flavour="alertmanager")
    assert caught.value.errors == ["'groupKey' is missing", "'alerts[0].status' must be firing or resolved"]


MAPPING = {"summary": "check.title", "severity": "check.level", "dedup_key": "check.id", "status": "state",
           "resolved_values": ["ok", "passing"], "source": "host", "links": ["check.url", "items.0.url"]}


def test_webhook_mapping() -> None:
    body = {"check": {"title": "HTTP 500s", "level": "Critical", "id": 42, "url": "https://x/42"}, "state": "failing",
            "host": "web1", "items": [{"url": "https://y"}]}
    event = parse_webhook(body, MAPPING)
    assert (event.summary, event.dedup_key, event.source_severity, event.action) == (
        "HTTP 500s", "42", "critical", EventAction.TRIGGER)
    assert [link["href"] for link in event.links] == ["https://x/42", "https://y"]
    assert parse_webhook(dict(body, state="PASSING"), MAPPING).action is EventAction.RESOLVE
    with pytest.raises(PayloadError, match=r"summary field 'check\.title' is missing"):
        parse_webhook({"check": {"id": 1}}, MAPPING)


def test_timestamps() -> None:
    assert parse_instant("2026-03-29T02:30:00+02:00") == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="no time zone"):
        parse_instant("2026-03-29T02:30:00")


def test_pd_leniencies_that_keep_pages_flowing() -> None:
    """Alertmanager renders an empty severity when a group's alerts disagree; many senders omit the
    zone. Both are accepted (default severity; UTC) rather than refused into an endless re-send."""
    body = pd(payload={"summary": "s", "source": "am", "severity": "", "timestamp": "2024-05-01T10:00:00"})
    event = parse_event(body, generated_dedup_key="x")[1]
    assert event.source_severity == "" and event.occurred_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    with pytest.raises(PayloadError, match=r"'payload\.severity' is missing"):
        parse_event(pd(payload={"summary": "s", "source": "am"}), generated_dedup_key="x")
