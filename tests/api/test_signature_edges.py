"""Signatures and secret URLs holding characters no genuine one has (non-ASCII header values, odd path
bytes): a bad signature like any other, never a 500, and the same answer whether or not the id exists
(issue 13)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from firebell.app import create_app
from firebell.notify.settings import Channels
from tests.alerts.test_ingest_api import incidents
from tests.api.conftest import Api

GRAFANA = "/integrations/grafana/grapikey0000000000000000000000aa"  # hmac_secret s3cret, timestamp header
NON_ASCII = "é✓".encode()  # what a header carries; the server reads it as latin-1 text "Ã©â\x9c\x93"


def _server(api: Api, **channels: Any) -> TestClient:
    configured = Channels(public_url="http://testserver", clock=api.clock, **channels)
    return TestClient(create_app(api.db, api.clock, channels=configured))


@pytest.mark.parametrize(("signature", "stamp"), [
    (NON_ASCII + b"0" * 60, None),  # a signature that is not hex
    (b"0" * 64, b"1" * 5000),  # more digits than int() converts
    (b"0" * 64, NON_ASCII),
])
def test_grafana_refuses_a_hostile_signature_or_timestamp(api: Api, signature: bytes, stamp: bytes | None) -> None:
    headers = {"X-Grafana-Alerting-Signature": signature,
               "X-Grafana-Alerting-Timestamp": stamp or str(int(api.clock.now.timestamp())).encode()}
    response = api.client.post(GRAFANA, content=b'{"alerts": []}', headers=headers)
    assert response.status_code == 401, response.text
    assert "X-Grafana-Alerting" in response.json()["detail"]
    assert incidents(api) == []


def test_slack_refuses_a_non_ascii_signature(api: Api) -> None:
    client = _server(api, slack_signing_secret="8f742231b10e8888abcd99yyyzzz85a5")
    stamp = str(int(api.clock.now.timestamp()))
    response = client.post("/integrations/slack/commands", content=b"text=ack",
                           headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": b"v0=" + NON_ASCII})
    assert response.status_code == 401 and "signature does not match" in response.json()["detail"]


def test_twilio_refuses_a_non_ascii_signature(api: Api) -> None:
    client = _server(api, twilio_auth_token="0123456789abcdef0123456789abcdef")
    response = client.post("/integrations/twilio/sms", content=b"Body=ack&From=%2B46700000001",
                           headers={"X-Twilio-Signature": NON_ASCII,
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 401 and "X-Twilio-Signature" in response.json()["detail"]


def test_every_malformed_or_unknown_feed_token_is_the_same_404(api: Api) -> None:
    url = api.get("/api/v1/schedules/primary/feed").json()["url"]
    mine = api.get("/api/v1/users/alice/feed", who="alice").json()["url"]
    assert api.client.get(url).status_code == 200 and api.client.get(mine).status_code == 200
    known, _ = url.removeprefix("/ical/").removesuffix(".ics").split(".")
    me, _ = mine.removeprefix("/ical/").removesuffix(".ics").split(".")
    unknown = "s00000000-0000-7000-8000-000000000000"
    answers = {token: api.client.get(f"/ical/{token}.ics") for token in (
        f"{known}.é✓", f"{me}.é✓", f"{unknown}.é✓", f"{known}.%FF", f"{known}.%00", f"{unknown}.AAAA",
        "u%00.AAAA", "s%00.AAAA", "s.AAAA", "x" + known[1:] + ".AAAA", known, f"{known}{known}.AAAA")}
    refusal = answers[known].content
    assert b"no such calendar feed" in refusal  # says what is wrong, and the same whatever was wrong
    for token, response in answers.items():
        assert (response.status_code, response.content) == (404, refusal), token
