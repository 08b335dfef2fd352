"""A signed Slack button payload that is not what Slack sends (nested a thousand deep, or fields of
the wrong shape): a 400 saying what is wrong, nothing done, no traceback (issue 13)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from firebell.app import create_app
from firebell.notify.settings import Channels
from firebell.slack.signing import sign_slack_request
from tests.api.conftest import Api

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CLICK = {"type": "block_actions", "user": {"id": "U0ALICE01"}, "channel": {"id": "C0INCIDENTS"},
         "actions": [{"type": "button", "action_id": "ack", "value": "INC-1"}]}


def _post_payload(api: Api, payload: str) -> Any:
    client = TestClient(create_app(api.db, api.clock, channels=Channels(
        public_url="http://testserver", clock=api.clock, slack_signing_secret=SECRET)))
    body = urlencode({"payload": payload}).encode()
    stamp = str(int(api.clock.now.timestamp()))
    return client.post("/integrations/slack/interactive", content=body, headers={
        "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": sign_slack_request(SECRET, stamp, body),
        "Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize(("payload", "reason"), [
    ("[" * 1000 + "]" * 1000, "the JSON is nested too deeply"),
    (json.dumps(CLICK | {"state": json.loads("[" * 900 + "]" * 900)}), "the JSON is nested too deeply"),
    (json.dumps(CLICK | {"channel": "x"}), "'channel' must be an object"),
    (json.dumps(CLICK | {"user": "U0ALICE01"}), "'user' must be an object with an id"),
    (json.dumps(CLICK | {"actions": {"0": {}}}), "'actions' must hold one action"),
    (json.dumps(CLICK | {"actions": ["ack"]}), "'actions' must hold one action"),
    (json.dumps([CLICK]), "the payload is not a JSON object"),
    ("{nope", "Expecting property name"),
])
def test_a_malformed_button_payload_is_a_400_with_the_reason(api: Api, payload: str, reason: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    ref = api.declare()["ref"]
    with caplog.at_level(logging.INFO):
        response = _post_payload(api, payload)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith("expected a block_actions payload with one action: ") and reason in detail, detail
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert api.get(f"/api/v1/incidents/{ref}").json()["status"] == "triggered"
