"""What the fuzz suite found, each pinned through the real routes on both stores."""

from __future__ import annotations

import json

import pytest

from firebell.notify.channels.http_post import small_body_length
from tests.alerts.test_ingest_api import AM_API, am_alert, am_message, pd_event
from tests.api.conftest import Api
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
