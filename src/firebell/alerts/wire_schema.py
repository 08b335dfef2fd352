"""What the ingestion routes declare in the OpenAPI document. They read their bodies themselves
(alerts/wire.py), so FastAPI cannot see what they take or answer: these say it, for clients and for
the schemathesis run that checks every answer against the document (tests/fuzz).

The bodies are the senders' formats in outline, not every rule the parsers keep: a body that fits
the outline can still be refused with a 400 saying which field is wrong.
"""

from __future__ import annotations

from typing import Any

from firebell.api.problems import problem_responses
from firebell.core.formats.pagerduty import MAX_DEDUP_KEY, MAX_SUMMARY

_TEXT = {"type": "string"}
_LABELS = {"type": "object", "additionalProperties": _TEXT}
_LINKS = {"type": "array", "items": {"type": "object", "properties": {"href": _TEXT, "text": _TEXT}}}

PAGERDUTY_EVENT = {
    "type": "object", "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": _TEXT, "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": MAX_DEDUP_KEY,
                      "description": "required to acknowledge or resolve"},
        "payload": {"type": "object", "required": ["summary", "source", "severity"], "properties": {
            "summary": {"type": "string", "maxLength": MAX_SUMMARY}, "source": _TEXT,
            "severity": {"enum": ["critical", "error", "warning", "info"]}, "timestamp": _TEXT, "component": _TEXT,
            "group": _TEXT, "class": _TEXT, "custom_details": {}}, "description": "required to trigger"},
        "client": _TEXT, "client_url": _TEXT, "links": _LINKS,
        "images": {"type": "array", "items": {"type": "object"}}},
}
PAGERDUTY_CHANGE = {
    "type": "object", "required": ["routing_key", "payload"],
    "properties": {"routing_key": _TEXT, "links": _LINKS, "payload": {
        "type": "object", "required": ["summary"], "properties": {
            "summary": {"type": "string", "maxLength": MAX_SUMMARY}, "source": _TEXT, "timestamp": _TEXT,
            "custom_details": {}}}},
}


def _alert_message(version: str) -> dict[str, Any]:
    return {
        "type": "object", "required": ["version", "groupKey", "alerts"],
        "properties": {
            "version": {"const": version}, "groupKey": _TEXT, "status": {"enum": ["firing", "resolved"]},
            "receiver": _TEXT, "groupLabels": _LABELS, "commonLabels": _LABELS, "commonAnnotations": _LABELS,
            "externalURL": _TEXT, "truncatedAlerts": {"type": "integer"},
            "alerts": {"type": "array", "items": {
                "type": "object", "required": ["status"],
                "properties": {"status": {"enum": ["firing", "resolved"]}, "labels": _LABELS, "annotations": _LABELS,
                               "startsAt": _TEXT, "endsAt": _TEXT, "generatorURL": _TEXT, "fingerprint": _TEXT}}}},
    }


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A route's `openapi_extra` declaring its JSON body."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


PAGERDUTY_ERROR = {"type": "object", "required": ["status", "message"],
                   "properties": {"status": _TEXT, "message": _TEXT, "errors": {"type": "array", "items": _TEXT}}}
_PAGERDUTY_MEANINGS = {400: "Not a valid event: `errors` names each bad field", 404: "No integration has this key",
                       413: "The body is larger than PagerDuty's limit of 512 KB"}
# PagerDuty's own shape, which its senders' client libraries read, not problem+json.
PAGERDUTY_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"description": meaning, "content": {"application/json": {"schema": PAGERDUTY_ERROR}}}
    for status, meaning in _PAGERDUTY_MEANINGS.items()}
WEBHOOK_ERRORS = problem_responses(400, 404, 413)
SIGNED_WEBHOOK_ERRORS = problem_responses(400, 401, 404, 413)
ALERTMANAGER_BODY = json_body(_alert_message("4"))
GRAFANA_BODY = json_body(_alert_message("1"))
ANY_JSON_BODY = json_body({"description": "any JSON; the integration's mapping says which fields are read"})
