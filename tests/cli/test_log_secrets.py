"""Secrets in request paths never reach the server's log: `firebell serve` logs the route template.

An integration key, an action link's token or a calendar feed's token in a log is a working
credential for whoever reads the log (an action link acknowledges or resolves for a day), so the
access log and the error log (with its tracebacks) show `{key}` and `{token}` in their place.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.test_cli_live import Live, serving
from tests.conftest import fresh_database

pytestmark = pytest.mark.live

AM_KEY = "amapikey0000000000000000000000aa"  # keys of tests/fixtures/org.yaml
GRAFANA_KEY = "grapikey0000000000000000000000aa"
WEBHOOK_KEY = "whapikey0000000000000000000000aa"
HEARTBEAT_KEY = "hbapikey0000000000000000000000aa"
UNKNOWN_KEY = "unknownkey00000000000000000000zz"  # a mistyped key is a secret too, nearly
ACT_TOKEN = "eyJhY3Rpb24iOiJhY2tub3dsZWRnZSJ9.c2lnbmF0dXJlLW9mLXRoZS1saW5r"
FEED_TOKEN = "u0f3c9a1e-7d3b-4c55-9a0e-2b8f4c1d6e7a.Zm9vYmFyYmF6cXV4cXV1eA"
VOICE_TOKEN = "dm9pY2UtdG9rZW4tb2YtYS1wYWdlLWNhbGw.c2lnbmVk"
QUERY_TOKEN = "q-token-0123456789abcdef"
SECRETS = [AM_KEY, GRAFANA_KEY, WEBHOOK_KEY, HEARTBEAT_KEY, UNKNOWN_KEY, ACT_TOKEN, FEED_TOKEN, VOICE_TOKEN,
           QUERY_TOKEN]

ALERT = {"version": "4", "status": "firing", "receiver": "firebell", "groupKey": "g", "alerts": [
    {"status": "firing", "labels": {"alertname": "DiskFull", "severity": "warning"}, "annotations": {},
     "startsAt": "2026-01-01T00:00:00Z", "fingerprint": "f1"}]}


@pytest.fixture
def live_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Live, Path]]:
    with fresh_database(request, "sqlite", tmp_path / "db") as url, serving(url, tmp_path) as live:
        yield live, tmp_path / "db" / "firebell.db"


def test_the_server_log_shows_route_templates_and_no_secret_from_a_path(live_sqlite: tuple[Live, Path]) -> None:
    live, database = live_sqlite
    with httpx.Client(base_url=live.url, timeout=10) as client:
        assert client.post(f"/integrations/alertmanager/{AM_KEY}", json=ALERT).status_code == 202
        assert client.post(f"/integrations/alertmanager/{UNKNOWN_KEY}", json=ALERT).status_code == 404
        assert client.put(f"/integrations/grafana/{GRAFANA_KEY}", json={}).status_code in (400, 401, 422)
        assert client.post(f"/integrations/webhook/{WEBHOOK_KEY}", json={"check": {}}).status_code in (202, 400, 422)
        assert client.get(f"/integrations/heartbeat/{HEARTBEAT_KEY}").status_code == 202
        assert client.get(f"/integrations/heartbeat/{HEARTBEAT_KEY}?token={QUERY_TOKEN}").status_code == 202
        assert client.get(f"/act/{ACT_TOKEN}").status_code == 400
        assert client.post(f"/act/{ACT_TOKEN}").status_code == 400
        assert client.get(f"/ical/{FEED_TOKEN}.ics").status_code == 404
        client.post(f"/integrations/twilio/voice/{VOICE_TOKEN}", data={"Digits": "4"})
        # A percent-encoded path reaches the same route: its log line must not slip past.
        assert client.get(f"/integrations%2Fheartbeat%2F{HEARTBEAT_KEY}").status_code == 202

        # The database breaks under a request: the error log and its traceback name the path too.
        with sqlite3.connect(database) as conn:
            conn.execute("ALTER TABLE alerts RENAME TO alerts_gone")
        # (On its own connection: the server drops the connection a failure happened on.)
        failed = httpx.post(f"{live.url}/integrations/alertmanager/{AM_KEY}", json=ALERT, timeout=10,
                            headers={"Connection": "close"})
        assert failed.status_code == 500

    log = live.log.read_text()
    leaked = [secret for secret in SECRETS if secret in log]
    assert leaked == [], log
    assert '"POST /integrations/alertmanager/{key} HTTP/1.1" 202' in log
    assert '"POST /integrations/alertmanager/{key} HTTP/1.1" 404' in log
    assert '"GET /integrations/heartbeat/{key}?token=*** HTTP/1.1" 202' in log
    assert '"POST /act/{token} HTTP/1.1" 400' in log
    assert '"GET /ical/{token}.ics HTTP/1.1" 404' in log
    assert "/integrations/twilio/voice/{token}" in log
    assert '"POST /integrations/alertmanager/{key} HTTP/1.1" 500' in log
    assert "unhandled error on /integrations/alertmanager/{key}" in log
    assert "Traceback" in log  # the failure was logged, with the secret taken out

