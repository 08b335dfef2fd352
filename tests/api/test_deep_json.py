"""JSON nested deeper than any real sender writes: a 400 saying so on every REST route, before
FastAPI's parser recurses into it, and no traceback in the log (issue 13)."""

from __future__ import annotations

import json
import logging

import pytest

from tests.api.conftest import Api

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
MESSAGE = "the JSON is nested too deeply: at most 64 levels of arrays and objects"


def _nested(body: str, depth: int) -> str:
    """`body` with a `"deep"` field holding `depth` levels of arrays."""
    return body[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT, "[" * 100_000,
                                  _nested('{"title": "x", "severity": "P1", "services": ["api"]}', 500),
                                  _nested('{"title": "x", "severity": "P1", "services": ["api"]}', 65)])
def test_deep_json_is_a_400_on_every_route(api: Api, body: str, caplog: pytest.LogCaptureFixture) -> None:
    ref = api.declare()["ref"]
    headers = {"Authorization": f"Bearer {api.tokens['admin']}", "Content-Type": "application/json"}
    for method, path in (("POST", "/api/v1/incidents"), ("PATCH", f"/api/v1/incidents/{ref}"),
                         ("POST", f"/api/v1/incidents/{ref}/notes"), ("POST", "/api/v1/alerts/explain"),
                         ("POST", "/api/v1/maintenance"), ("POST", "/api/v1/schedules/primary/overrides")):
        for content_type in ("application/json", "application/problem+json", None):
            sent = headers | {"Content-Type": content_type} if content_type else \
                {k: v for k, v in headers.items() if k != "Content-Type"}
            with caplog.at_level(logging.INFO):
                response = api.client.request(method, path, content=body.encode(), headers=sent)
            assert response.status_code == 400, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["detail"] == MESSAGE
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert [i["ref"] for i in api.get("/api/v1/incidents").json()["items"]] == [ref]


def test_json_as_deep_as_the_limit_is_accepted(api: Api) -> None:
    check = {"title": "x", "id": "1", "level": "critical"}
    body = {"service": "api", "format": "webhook", "payload": {"check": check, "deep": json.loads("[" * 62 + "]" * 62)}}
    response = api.post("/api/v1/alerts/explain", body)
    assert response.status_code == 200, response.text
