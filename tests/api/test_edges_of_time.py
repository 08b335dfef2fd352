"""Times at the edges of the calendar, huge durations and forged cursors: a 4xx naming the field,
never a 500 (issue 13)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.alerts.test_ingest_api import AM_API, PD_API, am_alert, am_message, incidents, pd_event
from tests.api.conftest import Api

LATE = "9999-12-31T23:59:59-23:59"  # its UTC value is in the year 10000
EARLY = "0001-01-01T00:00:00+23:59"  # its UTC value is in the year 0
EDGES = [LATE, EARLY, "1899-12-31T23:59:59Z", "9000-01-01T00:00:00Z"]
RANGE = "times must be between 1900-01-01 and 8999-12-31 (UTC)"


def _refused(response: Any, field: str, reason: str = RANGE) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert detail.startswith(f"{field}: ") and reason in detail, detail


@pytest.mark.parametrize("edge", EDGES)
def test_list_filters_refuse_times_out_of_range(api: Api, edge: str) -> None:
    _refused(api.get("/api/v1/incidents", since=edge), "since")
    _refused(api.get("/api/v1/changes", since=edge), "since")


@pytest.mark.parametrize("edge", EDGES)
def test_on_call_and_schedule_windows_refuse_times_out_of_range(api: Api, edge: str) -> None:
    _refused(api.get("/api/v1/oncall", at=edge), "at")
    _refused(api.get("/api/v1/schedules/primary", start=edge, days=366), "start")


def test_a_schedule_window_may_not_run_past_the_range(api: Api) -> None:
    response = api.get("/api/v1/schedules/primary", start="8999-12-01T00:00:00Z", days=366)
    _refused(response, "days", "out of range")
    assert api.get("/api/v1/schedules/primary", start="8999-12-01T00:00:00Z", days=30).status_code == 200


@pytest.mark.parametrize("edge", EDGES)
def test_overrides_refuse_times_out_of_range(api: Api, edge: str) -> None:
    ordinary = "2026-11-23T09:00:00Z"
    for field, body in (("start", {"start": edge, "end": ordinary}), ("end", {"start": ordinary, "end": edge})):
        _refused(api.post("/api/v1/schedules/primary/overrides", {"user": "alice"} | body), field)


@pytest.mark.parametrize("edge", EDGES)
def test_maintenance_refuses_times_out_of_range(api: Api, edge: str) -> None:
    _refused(api.post("/api/v1/maintenance", {"service": "api", "starts_at": edge, "duration": "2h"}), "starts_at")
    _refused(api.post("/api/v1/maintenance", {"service": "api", "ends_at": edge}), "ends_at")
    assert api.get("/api/v1/maintenance").json() == []


def test_maintenance_refuses_durations_that_overflow(api: Api) -> None:
    _refused(api.post("/api/v1/maintenance", {"service": "api", "duration": "99999999999w"}), "duration",
             "too long")
    _refused(api.post("/api/v1/maintenance", {"service": "api", "starts_at": "8999-12-01T00:00:00Z",
                                              "duration": "60d"}), "duration", "out of range")
    assert api.get("/api/v1/maintenance").json() == []


def test_incident_changes_refuse_a_lookback_that_overflows(api: Api) -> None:
    ref = api.declare()["ref"]
    _refused(api.get(f"/api/v1/incidents/{ref}/changes", before="99999999999w"), "before", "too long")


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": value}).encode()).decode().rstrip("=")


@pytest.mark.parametrize("forged", [_cursor(10**30), _cursor(2**31), _cursor(True), _cursor(0), _cursor(-5),
                                    "\u00e9t\u00e9", base64.urlsafe_b64encode(b"\xff\xfe").decode()])
def test_a_forged_cursor_is_refused(api: Api, forged: str) -> None:
    api.declare()
    response = api.get("/api/v1/incidents", cursor=forged)
    _refused(response, "cursor", "not one this server issued; start again without it")


@pytest.mark.parametrize("edge", [LATE, EARLY, "1800-01-01T00:00:00"])
def test_pagerduty_timestamps_out_of_range_are_an_invalid_event(api: Api, edge: str) -> None:
    event = pd_event(payload={"summary": "Disk full", "source": "db1", "severity": "critical", "timestamp": edge})
    response = api.client.post("/v2/enqueue", json=event)
    assert response.status_code == 400, response.text
    assert response.json()["errors"] == [f"'payload.timestamp' {edge!r} is not an ISO 8601 timestamp"]
    change = {"routing_key": PD_API, "payload": {"summary": "Deploy", "source": "ci", "timestamp": edge}}
    assert api.client.post("/v2/change/enqueue", json=change).status_code == 400
    explained = api.post("/api/v1/alerts/explain", {"payload": event})
    assert explained.status_code == 422 and "payload.timestamp" in explained.json()["detail"]
    assert incidents(api) == []


def test_alertmanager_start_out_of_range_is_read_as_unknown(api: Api) -> None:
    """Alertmanager's own zero time is '0001-01-01...'; any other time out of range is treated the same:
    the alert still pages, stamped when it arrived."""
    alert = am_alert("DiskFull", "db1") | {"startsAt": LATE}
    response = api.client.post(f"/integrations/alertmanager/{AM_API}", json=am_message("DiskFull", [alert]))
    assert response.status_code == 202, response.text
    assert len(incidents(api)) == 1


@pytest.mark.parametrize("ref", ["INC-99999999999", "INC-2147483648", "9" * 5000])
def test_an_incident_number_too_big_for_any_incident_is_not_found(api: Api, ref: str) -> None:
    api.declare()
    response = api.get(f"/api/v1/incidents/{ref}")
    assert response.status_code == 404, response.text


def test_an_alert_list_offset_past_a_bigint_is_refused_not_a_server_error(api: Api) -> None:
    # schemathesis found it on PostgreSQL: the offset went to the database as a bigint out of range.
    _refused(api.get("/api/v1/alerts", offset=str(2**63)), "offset", "less than or equal to 1000000")
