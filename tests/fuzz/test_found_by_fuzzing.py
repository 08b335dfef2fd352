"""What the fuzz suite found, each pinned through the real routes on both stores."""

from __future__ import annotations

import json
import logging
import threading
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.notify.channels.http_post import small_body_length
from firebell.notify.models import HeldReceipt
from firebell.slack import api as slack_api
from tests.alerts.test_ingest_api import AM_API, am_alert, am_message, pd_event
from tests.api.conftest import Api
from tests.fuzz.senders import ALICE_PHONE, slack_post, twilio_post
from tests.fuzz.strategies import nested


@pytest.mark.parametrize("length", ["1" * 5_000, "²"])
def test_a_content_length_no_server_could_mean_is_a_413_or_ignored_never_a_crash(api: Api, length: str) -> None:
    """5,000 digits (int() refuses over 4,300) was a 500; "²" ("²".isdigit() is true) states no length."""
    body = json.dumps(pd_event()).encode()
    response = api.client.post("/v2/enqueue", content=body, headers={
        "content-type": "application/json", "content-length": length.encode("latin-1")})
    if length.isascii():  # digits, past any limit
        assert response.status_code == 413
        assert "the limit is 512000" in response.json()["errors"][0]
    else:  # not a length at all: the body is read as it comes
        assert response.status_code == 202


@pytest.mark.parametrize("length", ["1" * 5_000, "²", "٣", "-1", "1e3"])
def test_a_webhook_receiver_answering_a_content_length_that_is_no_number_is_not_read(length: str) -> None:
    """The webhook channel reads small answers whole by their declared length; a hostile one raised."""
    assert small_body_length({"content-length": length}, 1_000) is None


def test_json_too_deep_under_a_key_no_encoder_writes_is_refused_with_a_readable_message(api: Api) -> None:
    alert = am_alert("Deep", "db1") | {"annotations": {"\ud800" + "k" * 500: nested(80)}}
    body = json.dumps(am_message("Deep", [alert]))  # ASCII: the lone surrogate is the escape \ud800
    response = api.client.post(f"/integrations/alertmanager/{AM_API}", content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "nested more than 64 levels deep" in detail and "\ufffd" + "k" * 39 in detail and len(detail) < 300
    pd = api.client.post("/v2/enqueue", content=json.dumps(pd_event(payload={"\udfff": nested(80)})))
    assert pd.status_code == 400 and "nested more than 64" in pd.json()["errors"][0]  # the same parser


def test_an_unknown_calendar_feed_says_so_without_echoing_the_secret_path(api: Api) -> None:
    """Calendar apps show the answer to whoever subscribed: an empty 404 told them nothing."""
    url = api.get("/api/v1/schedules/primary/feed").json()["url"]
    revoked = api.client.get(url.replace(".ics", "x.ics"))
    assert revoked.status_code == 404 and revoked.headers["content-type"] == "application/problem+json"
    assert "no such calendar feed" in revoked.json()["detail"] and "instance" not in revoked.json()


@pytest.mark.parametrize("fields", [
    {"MessageSid": "SM" + "x" * 300, "MessageStatus": "delivered"},
    {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "é" * 30},
    {"CallSid": "CA1", "CallStatus": "x" * 41},
    {"MessageSid": "SM1", "MessageStatus": "deliv\x00ered"}])
def test_a_delivery_receipt_that_is_not_twilios_is_acknowledged_and_ignored(api: Api, client: TestClient,
                                                                             fields: dict[str, str]) -> None:
    """Fields longer than their columns, or holding NUL, were a 500 on PostgreSQL (and stored on SQLite)."""
    response = twilio_post(api, client, "/integrations/twilio/status", urlencode(fields).encode())
    assert response.status_code == 200
    with api.db.unit_of_work(write=False) as session:
        held = session.execute(select(HeldReceipt.error_code)).scalars().all()
    assert held in ([], [""])  # a failed SMS with a code that is no code: held, without the code


def test_an_sms_from_a_number_holding_nul_is_answered_not_a_crash(api: Api, client: TestClient) -> None:
    """PostgreSQL refuses NUL even in a query's parameters: a 500 before."""
    form = urlencode({"Body": "ack", "From": ALICE_PHONE + "\x00", "MessageSid": "SM2"}).encode()
    response = twilio_post(api, client, "/integrations/twilio/sms", form)
    assert response.status_code == 200 and "not linked to anyone" in response.text


def test_a_slack_command_holding_nul_is_carried_out(api: Api, client: TestClient) -> None:
    """On PostgreSQL the work failed and Slack was told "Something went wrong" (slack_post checks it)."""
    response = slack_post(api, client, "/integrations/slack/commands", {
        "command": "/incident", "text": "create Disk\x00full p3", "user_id": "U0ALICE01", "channel_id": "C0X",
        "response_url": ""})
    assert "INC-2" in response.text
    assert api.get("/api/v1/incidents/INC-2").json()["title"] == "Disk\ufffdfull"


def test_a_refused_webhook_lists_each_field_at_fault_as_the_document_declares(api: Api) -> None:
    """The errors were bare strings where the document's Problem says {field, message} (schemathesis)."""
    message = am_message("Disk", [am_alert("Disk", "db1") | {"status": "exploded"}])
    response = api.client.post(f"/integrations/alertmanager/{AM_API}", json=message)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "alerts[0].status", "message": "'alerts[0].status' must be firing or resolved"}]
    not_an_object = api.client.post(f"/integrations/alertmanager/{AM_API}", json=None).json()["errors"]
    assert [e["field"] for e in not_an_object] == ["body"]


def test_an_unknown_webhook_key_is_a_problem_like_the_webhooks_other_errors(api: Api) -> None:
    for path in ("/integrations/alertmanager/nope", "/integrations/webhook/nope", "/integrations/heartbeat/nope"):
        response = api.client.post(path, json={})
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "no integration of this kind has this key"
    pagerduty = api.client.post("/v2/enqueue", json=pd_event(routing_key="nope"))
    assert pagerduty.json() == {"status": "not found", "message": "Not Found"}  # PagerDuty's shape stays


def test_the_document_declares_what_ingestion_takes_and_every_error_as_it_comes(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    paths = document["paths"]
    enqueue = paths["/v2/enqueue"]["post"]
    assert "routing_key" in enqueue["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"400", "404", "413"} <= set(enqueue["responses"])
    assert "application/json" in enqueue["responses"]["400"]["content"]  # PagerDuty's shape, not a problem
    for path in ("/integrations/alertmanager/{key}", "/integrations/webhook/{key}"):
        declared = paths[path]["post"]["responses"]
        assert {"400", "404", "413"} <= set(declared) and "application/problem+json" in declared["404"]["content"]
    assert "401" in paths["/integrations/grafana/{key}"]["put"]["responses"]
    declare = paths["/api/v1/incidents"]["post"]["responses"]
    assert {"400", "413"} <= set(declare)  # any body can be unreadable or too large
    assert "HTTPValidationError" not in json.dumps(document)  # 422s are problems, as they are sent


def test_a_body_that_is_not_utf8_is_refused_saying_so(api: Api) -> None:
    response = api.client.post("/api/v1/incidents", content=b"\xff\xfe{", headers={
        "Authorization": f"Bearer {api.tokens['admin']}", "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"] == "the body could not be read: it is not UTF-8 JSON"


def test_a_slack_reply_to_a_response_url_that_is_no_url_is_logged_not_raised_in_a_thread(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    with caplog.at_level(logging.WARNING, logger="firebell.slack.api"):
        slack_api._reply_later("xhttps://hooks.slack.com/actions/T/1/x", {"text": "done"})
        for thread in [t for t in threading.enumerate() if t.name == "slack-response"]:
            thread.join(5)
    assert raised == []
    assert "a Slack reply was dropped: a Slack response_url must be an http(s) URL" in caplog.text


def test_a_nul_in_a_query_or_path_parameter_is_a_422_on_both_stores(api: Api) -> None:
    """schemathesis: GET /api/v1/incidents?service=%00 was a 500 on PostgreSQL, which refuses NUL."""
    listed = api.get("/api/v1/incidents", service="\x00")
    assert listed.status_code == 422, listed.text
    assert "NUL" in listed.json()["detail"]
    shown = api.get("/api/v1/schedules/a%00b")
    assert shown.status_code == 422, shown.text
